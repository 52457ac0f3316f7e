import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isStrataError } from '../../src/core/errors.ts';
import type { BlobStore } from '../../src/core/ports/blob-store.ts';

/**
 * The BlobStore contract, run against every adapter (fs, memory, and S3 when it lands).
 * `create` returns a fresh, empty store.
 */
export function blobStoreConformance(name: string, create: () => Promise<BlobStore>): void {
  const sha = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');
  async function collect(stream: AsyncIterable<Uint8Array>): Promise<Buffer> {
    const parts: Uint8Array[] = [];
    for await (const part of stream) parts.push(part);
    return Buffer.concat(parts);
  }
  async function* streamOf(bytes: Buffer, piece: number): AsyncGenerator<Uint8Array> {
    await Promise.resolve();
    for (let i = 0; i < bytes.length; i += piece) yield bytes.subarray(i, i + piece);
  }

  describe(`BlobStore conformance: ${name}`, () => {
    it('puts a stream and returns its SHA-256 and size; get returns the same bytes', async () => {
      const store = await create();
      const bytes = randomBytes(3 * 1024 * 1024 + 17);
      const result = await store.put(streamOf(bytes, 65536));
      expect(result).toEqual({ sha256: sha(bytes), size: bytes.length });
      expect((await collect(await store.get(result.sha256))).equals(bytes)).toBe(true);
      expect(Buffer.from(await store.read(result.sha256)).equals(bytes)).toBe(true);
    });

    it('serves byte ranges exactly', async () => {
      const store = await create();
      const bytes = randomBytes(100_000);
      const { sha256 } = await store.put(bytes);
      expect((await collect(await store.get(sha256, { range: { start: 10, end: 20 } }))).equals(bytes.subarray(10, 20))).toBe(true);
      expect((await collect(await store.get(sha256, { range: { start: 99_999, end: 100_000 } }))).equals(bytes.subarray(99_999))).toBe(true);
      expect((await collect(await store.get(sha256, { range: { start: 5, end: 5 } }))).length).toBe(0);
    });

    it('is idempotent and content-addressed', async () => {
      const store = await create();
      const bytes = Buffer.from('hello, strata');
      const first = await store.put(bytes);
      const second = await store.put(streamOf(bytes, 3));
      expect(second).toEqual(first);
      const listed: string[] = [];
      for await (const info of store.list()) listed.push(info.sha256);
      expect(listed).toEqual([first.sha256]);
    });

    it('lists each blob, and stat gives its size and last modification time (as the listing does when it carries them)', async () => {
      const store = await create();
      const before = Date.now() - 1;
      const a = await store.put(Buffer.from('first blob'));
      const b = await store.put(randomBytes(300_000));
      const listed = new Map<string, { size?: number; modifiedAt?: number }>();
      for await (const info of store.list()) listed.set(info.sha256, info);
      expect([...listed.keys()].sort()).toEqual([a.sha256, b.sha256].sort());
      for (const [sha256, size] of [[a.sha256, 10], [b.sha256, 300_000]] as const) {
        const info = await store.stat(sha256);
        expect(info?.size).toBe(size);
        expect(info?.modifiedAt).toBeGreaterThanOrEqual(before);
        const fromList = listed.get(sha256);
        // A listing's times may be finer than a stat's (S3: milliseconds in a listing, seconds in a HEAD).
        if (fromList?.size !== undefined) expect(fromList.size).toBe(size);
        if (fromList?.modifiedAt !== undefined) expect(Math.abs(fromList.modifiedAt - (info?.modifiedAt ?? 0))).toBeLessThanOrEqual(1000);
      }
      expect(await store.stat(sha(Buffer.from('absent')))).toBeUndefined();
    });

    it('collects only blobs not written or freshened since the cutoff', async () => {
      const store = await create();
      const { sha256 } = await store.put(Buffer.from('garbage, perhaps'));
      const written = Date.now();
      expect((await store.collect(sha256, written - 60_000)).outcome).toBe('kept');
      expect(await store.has(sha256)).toBe(true);
      expect(await store.collect(sha256, written + 60_000)).toEqual({ outcome: 'deleted', size: 16 });
      expect(await store.has(sha256)).toBe(false);
      expect((await store.collect(sha256, written + 60_000)).outcome).toBe('absent');
      expect(await store.freshen(sha256)).toBe(false);
    });

    it('freshens a blob, and a put of existing bytes freshens it too', async () => {
      const store = await create();
      const small = Buffer.from('kept alive');
      const large = randomBytes(400_000);
      await store.put(small, { sha256: sha(small) });
      await store.put(large, { sha256: sha(large) });
      await new Promise((resolve) => setTimeout(resolve, 30));
      const cutoff = Date.now();
      expect(await store.freshen(sha(small))).toBe(true);
      await store.put(large, { sha256: sha(large) });
      expect((await store.collect(sha(small), cutoff)).outcome).toBe('kept');
      expect((await store.collect(sha(large), cutoff)).outcome).toBe('kept');
      expect(Buffer.from(await store.read(sha(large))).equals(large)).toBe(true);
      expect(Buffer.from(await store.read(sha(small))).equals(small)).toBe(true);
    });

    it('stores the empty blob', async () => {
      const store = await create();
      const result = await store.put(Buffer.alloc(0));
      expect(result).toEqual({ sha256: sha(Buffer.alloc(0)), size: 0 });
      expect((await collect(await store.get(result.sha256))).length).toBe(0);
    });

    it('reports absent blobs as NotFound, and has/delete agree', async () => {
      const store = await create();
      const missing = sha(Buffer.from('never stored'));
      expect(await store.has(missing)).toBe(false);
      const error = await store.get(missing).then(() => undefined, (e: unknown) => e);
      expect(isStrataError(error) && error.code).toBe('NotFound');
      const readError = await store.read(missing).then(() => undefined, (e: unknown) => e);
      expect(isStrataError(readError) && readError.code).toBe('NotFound');
      const { sha256 } = await store.put(Buffer.from('x'));
      expect(await store.has(sha256)).toBe(true);
      expect(await store.delete(sha256)).toBe(true);
      expect(await store.delete(sha256)).toBe(false);
      expect(await store.has(sha256)).toBe(false);
    });

    it('makes deferred puts visible at once and flush makes them durable', async () => {
      const store = await create();
      const written = [];
      for (let i = 0; i < 40; i++) written.push(await store.put(Buffer.from(`deferred ${i}`), { deferSync: true }));
      for (const { sha256 } of written) expect(await store.has(sha256)).toBe(true);
      await store.flush();
      await store.flush();
      const few = await store.put(Buffer.from('one'), { deferSync: true });
      await store.flush();
      expect(Buffer.from(await store.read(few.sha256)).toString()).toBe('one');
    });

    it('leaves nothing behind when a streamed put is aborted', async () => {
      const store = await create();
      const controller = new AbortController();
      async function* failing(): AsyncGenerator<Uint8Array> {
        await Promise.resolve();
        yield randomBytes(1000);
        controller.abort();
        yield randomBytes(1000);
      }
      await expect(store.put(failing(), { signal: controller.signal })).rejects.toThrow();
      const listed: string[] = [];
      for await (const info of store.list()) listed.push(info.sha256);
      expect(listed).toEqual([]);
    });
  });
}
