import { S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { createHash, createHmac } from 'node:crypto';
import type { IncomingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AccessKeyRecord } from '../../src/core/ports/metadata-store.ts';
import type { StrataCoreOptions } from '../../src/core/strata.ts';
import { buildS3Server } from '../../src/http/s3/server.ts';
import { createTestCore, ctx, type Dialect, type TestCore } from './core.ts';

export interface TestGateway extends TestCore {
  endpoint: string;
  port: number;
  key: AccessKeyRecord;
  client: S3Client;
  /** A client for the same gateway with other credentials or options. */
  clientWith(options: { accessKeyId?: string; secretAccessKey?: string; systemClockOffset?: number }): S3Client;
  server: Server;
  close(): Promise<void>;
}

/** A core and an S3 gateway on a free loopback port, with one access key for principal 'ada'. */
export async function startGateway(dialect: Dialect = 'sqlite', options: { now?: () => number; allowedHosts?: string[]; core?: Partial<StrataCoreOptions> } = {}): Promise<TestGateway> {
  const test = await createTestCore(dialect, options.core);
  const server = buildS3Server({ core: test.core, logger: { info: () => undefined, error: () => undefined }, now: options.now, ...(options.allowedHosts === undefined ? {} : { allowedHosts: options.allowedHosts }) });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const endpoint = `http://127.0.0.1:${port}`;
  const key = await test.core.accessKeys.create(ctx, { principal: 'ada' });
  const clients: S3Client[] = [];
  const clientWith: TestGateway['clientWith'] = (o) => {
    const client = new S3Client({
      endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: o.accessKeyId ?? key.id, secretAccessKey: o.secretAccessKey ?? key.secret },
      systemClockOffset: o.systemClockOffset,
      maxAttempts: 1,
    });
    clients.push(client);
    return client;
  };
  const client = clientWith({});
  return {
    ...test,
    endpoint,
    port,
    key,
    client,
    clientWith,
    server,
    close: async () => {
      for (const c of clients) c.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
      });
      await test.dispose();
    },
  };
}

/** SHA-256 in the shape the AWS signer takes, over node:crypto. */
type Source = string | ArrayBuffer | ArrayBufferView;
type Digest = ReturnType<typeof createHash> | ReturnType<typeof createHmac>;
const toBytes = (data: Source): string | Uint8Array =>
  typeof data === 'string' ? data : data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);

export class NodeSha256 {
  private hash: Digest;
  constructor(private readonly secret?: Source) {
    this.hash = this.fresh();
  }
  update(data: Source): void {
    this.hash.update(toBytes(data));
  }
  digest(): Promise<Uint8Array> {
    return Promise.resolve(new Uint8Array(this.hash.digest()));
  }
  reset(): void {
    this.hash = this.fresh();
  }
  private fresh(): Digest {
    return this.secret === undefined ? createHash('sha256') : createHmac('sha256', toBytes(this.secret));
  }
}

/** The S3 error a command failed with: its code and HTTP status. Throws if it succeeded. */
export async function failure(promise: Promise<unknown>): Promise<{ name: string; status: number | undefined }> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof S3ServiceException) return { name: error.name, status: error.$metadata.httpStatusCode };
    throw error;
  }
  throw new Error('expected the command to fail');
}

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  text: string;
}

export interface RawRequest {
  method: string;
  /** The path as sent on the wire (percent-encoding untouched), with its query. */
  path: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Sign with SigV4 as the AWS SDK's signer does (default); false sends the request anonymously. */
  sign?: boolean;
  /** Give a signed request an UNSIGNED-PAYLOAD hash instead of the body's SHA-256. */
  unsignedPayload?: boolean;
}

/** One HTTP request to the gateway over node:http, signed by the AWS SDK's SigV4 signer. */
export async function rawRequest(gateway: TestGateway, input: RawRequest): Promise<RawResponse> {
  const { SignatureV4 } = await import('@smithy/signature-v4');
  const body = input.body === undefined ? undefined : Buffer.from(input.body);
  const url = new URL(`http://127.0.0.1:${gateway.port}`);
  const q = input.path.indexOf('?');
  const path = q < 0 ? input.path : input.path.slice(0, q);
  const query: Record<string, string> = {};
  if (q >= 0) for (const [name, value] of new URLSearchParams(input.path.slice(q + 1))) query[name] = value;
  let headers: Record<string, string> = { host: url.host, ...input.headers };
  if (body !== undefined) headers['content-length'] = String(body.length);
  if (input.sign !== false) {
    const payloadHash = input.unsignedPayload === true ? 'UNSIGNED-PAYLOAD' : createHash('sha256').update(body ?? '').digest('hex');
    headers['x-amz-content-sha256'] ??= payloadHash;
    const signer = new SignatureV4({ credentials: { accessKeyId: gateway.key.id, secretAccessKey: gateway.key.secret }, region: 'us-east-1', service: 's3', sha256: NodeSha256, uriEscapePath: false });
    headers = (await signer.sign({ method: input.method, protocol: 'http:', hostname: url.hostname, port: gateway.port, path, query, headers, body })).headers;
  }
  // Signed as UTF-8 text, sent as its bytes: node writes each character of a value as one byte.
  headers = Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, Buffer.from(value, 'utf8').toString('latin1')]));
  const { request } = await import('node:http');
  return new Promise<RawResponse>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: gateway.port, method: input.method, path: input.path, headers }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (d: Buffer) => parts.push(d));
      res.on('end', () => {
        const all = Buffer.concat(parts);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: all, text: all.toString('utf8') });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}
