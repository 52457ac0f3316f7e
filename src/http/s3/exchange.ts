import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import type { RepositoryRecord } from '../../core/ports/metadata-store.ts';
import type { StrataCore } from '../../core/strata.ts';
import type { CallContext } from '../../core/versioning/types.ts';
import type { Authentication } from './auth/authenticate.ts';
import type { SignableRequest } from './auth/canonical.ts';
import type { S3Error } from './errors.ts';
import { xmlDocument, type XmlElement } from './xml.ts';

/** One S3 request as the commands see it: addressed, authenticated, with a place for its log line. */
export interface S3Exchange {
  id: string;
  method: string;
  bucket: string | undefined;
  key: string | undefined;
  /** Decoded query parameters (first value of each). */
  query: Map<string, string>;
  header(name: string): string | undefined;
  signable: SignableRequest;
  raw: IncomingMessage;
  res: ServerResponse;
  auth: Authentication;
  ctx: CallContext;
  /** The bucket's repository, once looked up (one lookup per request). */
  repository?: RepositoryRecord;
  /**
   * The client sent `Expect: 100-continue` and waits for a 100 before its body: sent when the
   * command first reads the body, so after authentication and the core's authorization passed;
   * a request refused before that gets its error without the body ever being sent.
   */
  expectContinue: boolean;
  /** Set when the request line could not be taken apart (e.g. InvalidURI): answered before anything else. */
  rejected?: S3Error;
  /** What the log line reports: filled by the command. */
  log: { operation: string; repository?: string; key?: string; bytesIn: number; bytesOut: number };
}

export interface GatewayDeps {
  core: StrataCore;
  region: string;
  maxUploadBytes: number;
}

export type S3Command = (exchange: S3Exchange, deps: GatewayDeps) => Promise<void>;

/** A 200 with an S3 XML document; set extra headers on `exchange.res` first. */
export function sendXml(exchange: S3Exchange, root: string, body: XmlElement): void {
  sendXmlStatus(exchange, { status: 200 }, { root, body });
}

/** An XML document with another status than 200 and extra headers (POST Object's 201). */
export function sendXmlStatus(exchange: S3Exchange, answer: { status: number; headers?: Record<string, string> }, document: { root: string; body: XmlElement }): void {
  const text = Buffer.from(xmlDocument(document.root, document.body), 'utf8');
  send(exchange, { status: answer.status, headers: { ...answer.headers, 'content-type': 'application/xml', 'content-length': String(text.length) } }, text);
}

export function sendEmpty(exchange: S3Exchange, status: number, headers: Record<string, string> = {}): void {
  send(exchange, { status, headers: { 'content-length': '0', ...headers } });
}

function send(exchange: S3Exchange, { status, headers }: { status: number; headers: Record<string, string> }, body?: Buffer): void {
  const { res } = exchange;
  res.writeHead(status, { ...headers, 'x-amz-request-id': exchange.id, server: 'Strata' });
  if (body && exchange.method !== 'HEAD') {
    exchange.log.bytesOut += body.length;
    res.end(body);
  } else {
    res.end();
  }
}

/**
 * Streams an object body; a client that goes away mid-body destroys the source stream. A body
 * of at most `inlineBytes` is sent in one write, without a stream pipeline.
 */
export async function sendStream(exchange: S3Exchange, { status, headers, inlineBytes = 0 }: { status: number; headers: Record<string, string>; inlineBytes?: number }, body: AsyncIterable<Uint8Array>): Promise<void> {
  const { res } = exchange;
  res.writeHead(status, { ...headers, 'x-amz-request-id': exchange.id, server: 'Strata' });
  if (inlineBytes > 0) {
    const parts: Uint8Array[] = [];
    for await (const piece of body) parts.push(piece);
    const bytes = parts.length === 1 ? (parts[0] as Uint8Array) : Buffer.concat(parts);
    exchange.log.bytesOut += bytes.length;
    res.end(bytes);
    return;
  }
  const source = Readable.from(counted(body, exchange), { objectMode: false });
  await pipeline(source, res);
}

async function* counted(body: AsyncIterable<Uint8Array>, exchange: S3Exchange): AsyncGenerator<Uint8Array> {
  for await (const piece of body) {
    exchange.log.bytesOut += piece.length;
    yield piece;
  }
}

/**
 * The request body, counted for the log line; a client waiting on `Expect: 100-continue` is told
 * to send it when it is first read.
 */
export async function* requestBytes(exchange: S3Exchange): AsyncGenerator<Uint8Array> {
  if (exchange.expectContinue) {
    exchange.expectContinue = false;
    exchange.res.writeContinue();
  }
  for await (const piece of exchange.raw as AsyncIterable<Uint8Array>) {
    exchange.log.bytesIn += piece.length;
    yield piece;
  }
}

/**
 * A header value as node must be given it to put these UTF-8 bytes on the wire (node writes
 * each character as one latin1 byte): stored metadata goes back out byte for byte as it came in.
 */
export function toWire(value: string): string {
  // eslint-disable-next-line no-control-regex
  return /[^\x00-\x7f]/.test(value) ? Buffer.from(value, 'utf8').toString('latin1') : value;
}

/** The last ISO time formatted: a hot object's Last-Modified is the same on every GET. */
let lastDate = { iso: '', http: '' };

export function httpDate(iso: string): string {
  if (lastDate.iso !== iso) lastDate = { iso, http: new Date(iso).toUTCString() };
  return lastDate.http;
}

/** ISO 8601 with milliseconds, as S3 lists times. */
export function isoDate(iso: string): string {
  return new Date(iso).toISOString();
}
