import { CreateBucketCommand, GetObjectCommand, HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ctx } from '../support/core.ts';
import { failure, startGateway, type TestGateway } from '../support/s3.ts';

let gw: TestGateway;
beforeAll(async () => {
  gw = await startGateway();
  await gw.client.send(new CreateBucketCommand({ Bucket: 'ckpts' }));
});
afterAll(async () => {
  await gw.close();
});

const put = (key: string, body: string) => gw.client.send(new PutObjectCommand({ Bucket: 'ckpts', Key: key, Body: body }));
const read = async (key: string): Promise<string> => (await (await gw.client.send(new GetObjectCommand({ Bucket: 'ckpts', Key: key }))).Body?.transformToString()) ?? '';

describe('model addresses as S3 keys', () => {
  it('reads a registered version by alias or number at its exact commit, file or folder', async () => {
    await put('run-1/model.safetensors', 'weights v1');
    await put('run-1/export/config.json', '{"layers":2}');
    await gw.core.commits.commit(ctx, { repository: 'ckpts', branch: 'main', message: 'checkpoint' });
    await gw.core.models.register(ctx, { model: 'bert', source: 'ckpts@main:run-1/model.safetensors' });
    await gw.core.models.register(ctx, { model: 'bert', source: 'ckpts@main:run-1/export/' });
    await gw.core.models.setAlias(ctx, { model: 'bert', alias: 'production', version: 1 });
    // Overwriting the file on the branch does not move the registered version.
    await put('run-1/model.safetensors', 'weights v2');
    await gw.core.commits.commit(ctx, { repository: 'ckpts', branch: 'main', message: 'next' });

    expect(await read('model:bert@production')).toBe('weights v1');
    expect(await read('model:bert/1')).toBe('weights v1');
    expect(await read('model:bert/2/config.json')).toBe('{"layers":2}');
    expect(await read('run-1/model.safetensors')).toBe('weights v2');
    expect((await gw.client.send(new HeadObjectCommand({ Bucket: 'ckpts', Key: 'model:bert@production' }))).ContentLength).toBe(10);
    for (const key of ['model:bert@staging', 'model:bert/9', 'model:gpt@production', 'model:bert@production/inside.json']) {
      expect(await failure(gw.client.send(new GetObjectCommand({ Bucket: 'ckpts', Key: key }))), key).toMatchObject({ name: 'NoSuchKey', status: 404 });
    }
  });
});
