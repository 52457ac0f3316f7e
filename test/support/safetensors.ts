import { randomBytes } from 'node:crypto';

/** A safetensors file of F32 tensors with the given shapes, filled with random bytes (or `fill`). */
export function safetensorsFile(tensors: Array<{ name: string; shape: number[]; fill?: Buffer }>, metadata: Record<string, string> = {}): Buffer {
  const header: Record<string, unknown> = { __metadata__: metadata };
  const bodies: Buffer[] = [];
  let offset = 0;
  for (const t of tensors) {
    const bytes = t.shape.reduce((a, b) => a * b, 1) * 4;
    header[t.name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + bytes] };
    bodies.push(t.fill ?? randomBytes(bytes));
    offset += bytes;
  }
  const json = Buffer.from(JSON.stringify(header));
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([length, json, ...bodies]);
}
