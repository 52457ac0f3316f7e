import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { HttpLineageEmitter } from '../../src/adapters/lineage/http-lineage-emitter.ts';
import { validateOpenLineageEvent } from '../../src/http/openlineage/validate-event.ts';
import { createTestCore, ctx, type TestCore } from '../support/core.ts';

/** A stand-in OpenLineage consumer on 127.0.0.1 that records what it is sent and answers `status`. */
async function consumer(status: number): Promise<{ url: string; received: unknown[]; server: Server }> {
  const received: unknown[] = [];
  const server = createServer((request: IncomingMessage, response) => {
    const parts: Buffer[] = [];
    request.on('data', (part: Buffer) => parts.push(part));
    request.on('end', () => {
      received.push(JSON.parse(Buffer.concat(parts).toString('utf8')));
      response.statusCode = status;
      response.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/lineage`, received, server };
}

describe('OpenLineage HTTP transport', () => {
  let t: TestCore | undefined;
  let server: Server | undefined;
  afterEach(async () => {
    await t?.dispose();
    await new Promise((resolve) => server?.close(resolve));
  });

  it('sends START and COMPLETE for every run, each valid against the spec', async () => {
    const sink = await consumer(201);
    server = sink.server;
    const emitter = new HttpLineageEmitter({ url: sink.url });
    t = await createTestCore('sqlite', { openLineage: { settings: { namespace: 'strata://lab' }, emitter } });
    await t.core.repositories.create(ctx, { name: 'raw' });
    const run = await t.core.runs.start(ctx, { job: 'train', kind: 'training', inputs: ['raw@main'] });
    await t.core.runs.finish(ctx, run.id, { exitCode: 0 });
    expect(sink.received.map((e) => (e as { eventType: string }).eventType)).toEqual(['START', 'COMPLETE']);
    for (const event of sink.received) validateOpenLineageEvent(event);
    const [start] = sink.received as Array<{ run: { runId: string }; job: { namespace: string; name: string }; inputs: Array<{ namespace: string; name: string }> }>;
    expect(start).toMatchObject({ run: { runId: run.id }, job: { namespace: 'strata', name: 'train' }, inputs: [{ namespace: 'strata://lab', name: 'raw/' }] });
    expect(emitter.counts).toEqual({ sent: 2, failed: 0 });
  });

  it('never fails a run when the consumer is down: the event is retried, then reported', async () => {
    const sink = await consumer(503);
    server = sink.server;
    const errors: string[] = [];
    const emitter = new HttpLineageEmitter({ url: sink.url, attempts: 2, onError: (m) => errors.push(m) });
    t = await createTestCore('sqlite', { openLineage: { emitter } });
    const run = await t.core.runs.start(ctx, { job: 'train' });
    expect(run.status).toBe('running');
    expect(sink.received).toHaveLength(2);
    expect(errors).toEqual([`OpenLineage event not delivered to ${sink.url}: HTTP 503`]);
    expect(emitter.counts).toEqual({ sent: 0, failed: 1 });
  });
});
