import { describe, expect, it } from 'vitest';
import { safetensorsFile } from '../../../../test/support/safetensors.ts';
import { BasicExtractor } from '../basic-extractor.ts';

async function extract(path: string, bytes: Buffer): Promise<Awaited<ReturnType<ReturnType<BasicExtractor['start']>['finish']>>> {
  const session = new BasicExtractor().start({ path, size: bytes.length });
  for (let i = 0; i < bytes.length; i += 65_536) session.update(bytes.subarray(i, i + 65_536));
  return session.finish();
}

describe('safetensors header extraction', () => {
  it('records tensor count, parameters, dtypes, shapes and the metadata map', async () => {
    const file = safetensorsFile([{ name: 'embed.weight', shape: [64, 32] }, { name: 'head.bias', shape: [10] }], { format: 'pt' });
    const { contentType, fields, error } = await extract('ckpt/model.safetensors', file);
    expect(error).toBeUndefined();
    expect(contentType).toBe('application/x-safetensors');
    expect(fields).toEqual({
      format: 'safetensors',
      'metadata.format': 'pt',
      tensors: 2,
      parameters: 64 * 32 + 10,
      dtypes: 'F32:2',
      tensor_index: JSON.stringify({ 'embed.weight': ['F32', [64, 32]], 'head.bias': ['F32', [10]] }),
    });
  });

  it('reads headers far larger than the 64 KiB other formats keep', async () => {
    const tensors = Array.from({ length: 3000 }, (_, i) => ({ name: `layers.${i}.mlp.weight`, shape: [2, 2] }));
    const { fields } = await extract('big.safetensors', safetensorsFile(tensors));
    expect(fields.tensors).toBe(3000);
    expect(fields.parameters).toBe(12_000);
  });

  it('keeps a damaged file as octet-stream with the reason', async () => {
    const file = safetensorsFile([{ name: 'w', shape: [4] }]);
    expect((await extract('cut.safetensors', file.subarray(0, file.length - 1))).error).toBe('cannot read the safetensors header: tensors end at byte ' + String(file.length) + ', the file has ' + String(file.length - 1));
    expect((await extract('junk.safetensors', Buffer.from('{"not":"safetensors"}'))).error).toMatch(/^cannot read the safetensors header: header length \d+ exceeds the format's 100,000,000-byte limit$/);
  });
});
