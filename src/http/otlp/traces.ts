import { createRequire } from 'node:module';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { invalidArgument } from '../../core/errors.ts';
import type { RouteDeps } from '../build-server.ts';
import { mapTraces, type ExportTraceServiceRequest } from './genai-spans.ts';

interface ProtoType {
  decode(bytes: Uint8Array): unknown;
  toObject(message: unknown, options: { longs: StringConstructor; defaults: boolean }): unknown;
  encode(message: unknown): { finish(): Uint8Array };
  fromObject(object: unknown): unknown;
}

/**
 * The OTLP message types, from the protobufjs code that OpenTelemetry's own exporters are built
 * with (@opentelemetry/otlp-transformer, pinned to one minor version: the module path is not
 * part of its public API). Loaded on first protobuf request.
 */
let proto: { request: ProtoType; response: ProtoType } | undefined;
function protoTypes(): { request: ProtoType; response: ProtoType } {
  if (proto === undefined) {
    const root = createRequire(import.meta.url)('@opentelemetry/otlp-transformer/build/src/generated/root') as { opentelemetry: { proto: { collector: { trace: { v1: { ExportTraceServiceRequest: ProtoType; ExportTraceServiceResponse: ProtoType } } } } } };
    const v1 = root.opentelemetry.proto.collector.trace.v1;
    proto = { request: v1.ExportTraceServiceRequest, response: v1.ExportTraceServiceResponse };
  }
  return proto;
}

const PROTOBUF = 'application/x-protobuf';

/**
 * OTLP/HTTP trace ingestion (`POST /v1/traces`, JSON or protobuf): spans that follow the GenAI
 * semantic conventions become inference records; the others are counted as rejected in the
 * partial-success answer, as the OTLP specification asks, so exporters do not retry them.
 */
export function registerOtlpRoutes(app: FastifyInstance, deps: RouteDeps & { maxBodyBytes: number }): void {
  app.addContentTypeParser(PROTOBUF, { parseAs: 'buffer', bodyLimit: deps.maxBodyBytes }, (_request, body, done) => {
    done(null, body);
  });
  app.post('/v1/traces', { bodyLimit: deps.maxBodyBytes, schema: { hide: true } }, async (request, reply) => {
    const binary = isProtobuf(request);
    let message: ExportTraceServiceRequest;
    if (binary) {
      const types = protoTypes();
      try {
        message = types.request.toObject(types.request.decode(request.body as Buffer), { longs: String, defaults: false }) as ExportTraceServiceRequest;
      } catch (error) {
        throw invalidArgument(`not an OTLP ExportTraceServiceRequest: ${(error as Error).message}`);
      }
    } else {
      if (typeof request.body !== 'object' || request.body === null) throw invalidArgument('expected an OTLP/JSON ExportTraceServiceRequest');
      message = request.body;
    }
    const mapped = mapTraces(message);
    const records = mapped.flatMap((m) => ('record' in m ? [m.record] : []));
    const reasons = mapped.flatMap((m) => ('skipped' in m ? [m.skipped] : []));
    const results = records.length === 0 ? [] : await deps.core.inference.log(deps.context(request), records, 'otlp');
    for (const r of results) if ('error' in r) reasons.push(`span ${r.index}: ${r.error.message}`);
    const rejected = reasons.length;
    const partialSuccess = rejected === 0 ? undefined : { rejectedSpans: rejected, errorMessage: `${rejected} span(s) not archived: ${reasons.slice(0, 5).join('; ')}${rejected > 5 ? '; …' : ''}` };
    return send(reply, binary, partialSuccess === undefined ? {} : { partialSuccess });
  });
}

function isProtobuf(request: FastifyRequest): boolean {
  return (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() === PROTOBUF;
}

function send(reply: FastifyReply, binary: boolean, body: { partialSuccess?: { rejectedSpans: number; errorMessage: string } }): FastifyReply {
  if (!binary) return reply.status(200).send(body);
  const types = protoTypes();
  const bytes = types.response.encode(types.response.fromObject(body)).finish();
  return reply.status(200).header('content-type', PROTOBUF).send(Buffer.from(bytes));
}
