import { CreateBucketCommand, HeadObjectCommand, PutObjectCommand, S3ServiceException } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { readdir } from 'node:fs/promises';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from '../support/s3.ts';

let gw: TestGateway;
beforeAll(async () => {
  gw = await startGateway();
  await gw.client.send(new CreateBucketCommand({ Bucket: 'stream' }));
});
afterAll(async () => {
  await gw.close();
});

const openFiles = async (): Promise<number> => (await readdir('/proc/self/fd')).length;
const settle = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function waitForFds(limit: number): Promise<number> {
  let count = await openFiles();
  for (let i = 0; i < 50 && count > limit; i++) {
    await settle(50);
    count = await openFiles();
  }
  return count;
}

describe('aborted and slow transfers', () => {
  it('a PUT cut off mid-body stages nothing and leaks no file handle', async () => {
    const before = await openFiles();
    const url = await getSignedUrl(gw.client, new PutObjectCommand({ Bucket: 'stream', Key: 'cut.bin' }), { expiresIn: 60 });
    await new Promise<void>((resolve) => {
      const req = request(url, { method: 'PUT', headers: { 'content-length': String(64 * 1024 * 1024) } });
      req.on('error', () => {
        resolve();
      });
      req.write(Buffer.alloc(8 * 1024 * 1024, 1), () => {
        setTimeout(() => {
          req.destroy();
          resolve();
        }, 100);
      });
    });
    await settle(200);
    const error = await gw.client.send(new HeadObjectCommand({ Bucket: 'stream', Key: 'cut.bin' })).catch((e: unknown) => e);
    expect(error instanceof S3ServiceException && error.$metadata.httpStatusCode).toBe(404);
    expect(await waitForFds(before)).toBeLessThanOrEqual(before);
  });

  it('a GET abandoned mid-body releases its file handles', async () => {
    await gw.client.send(new PutObjectCommand({ Bucket: 'stream', Key: 'big.bin', Body: Buffer.alloc(24 * 1024 * 1024, 7) }));
    const before = await openFiles();
    const { GetObjectCommand } = await import('@aws-sdk/client-s3');
    const url = await getSignedUrl(gw.client, new GetObjectCommand({ Bucket: 'stream', Key: 'big.bin' }), { expiresIn: 60 });
    let received = 0;
    await new Promise<void>((resolve) => {
      const req = request(url, (res) => {
        // A slow reader: take one piece, pause, then hang up.
        res.once('data', (piece: Buffer) => {
          received += piece.length;
          res.pause();
          setTimeout(() => {
            req.destroy();
            resolve();
          }, 200);
        });
      });
      req.on('error', () => {
        resolve();
      });
      req.end();
    });
    expect(received).toBeGreaterThan(0);
    expect(received).toBeLessThan(24 * 1024 * 1024);
    expect(await waitForFds(before)).toBeLessThanOrEqual(before);
  });
});
