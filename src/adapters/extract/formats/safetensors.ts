import type { ExtractedValue } from '../../../core/ports/metadata-extractor.ts';

/**
 * Safetensors (https://huggingface.co/docs/safetensors): an 8-byte little-endian header length N,
 * then N bytes of JSON mapping tensor names to {dtype, shape, data_offsets}, plus an optional
 * `__metadata__` map of strings. Parsed by hand: it is a length and a JSON document, and the
 * reference parsers are Rust and Python.
 */
export const SAFETENSORS_TYPE = 'application/x-safetensors';
/** The format caps headers at 100 MB; headers past this many bytes are not read. */
export const MAX_SAFETENSORS_HEADER = 16 * 1024 * 1024;
/** Tensors listed one by one in `tensor_index`; all are counted. */
const LISTED_TENSORS = 5000;

interface TensorInfo {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

/** Header fields, or throws with the reason the bytes are not a safetensors header. */
export function safetensorsFields(head: Buffer, size: number | undefined): Record<string, ExtractedValue> {
  if (head.length < 8) throw new Error('shorter than the 8-byte header length');
  const length = head.readBigUInt64LE(0);
  if (length > 100_000_000n) throw new Error(`header length ${length} exceeds the format's 100,000,000-byte limit`);
  if (length > BigInt(MAX_SAFETENSORS_HEADER)) return { format: 'safetensors', safetensors: `skipped: header of ${length} bytes` };
  const end = 8 + Number(length);
  if (head.length < end) throw new Error(`header of ${length} bytes is cut short at ${head.length - 8}`);
  const parsed: unknown = JSON.parse(head.subarray(8, end).toString('utf8'));
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('header is not a JSON object');
  const header = parsed as Record<string, unknown>;
  const fields: Record<string, ExtractedValue> = { format: 'safetensors' };
  let parameters = 0;
  let dataEnd = 0;
  const dtypes = new Map<string, number>();
  const index: Record<string, [string, number[]]> = {};
  let tensors = 0;
  for (const [name, value] of Object.entries(header)) {
    if (name === '__metadata__') {
      for (const [key, text] of Object.entries((value ?? {}) as Record<string, unknown>)) if (typeof text === 'string') fields[`metadata.${key}`] = text;
      continue;
    }
    const tensor = value as TensorInfo;
    if (typeof tensor.dtype !== 'string' || !Array.isArray(tensor.shape) || !Array.isArray(tensor.data_offsets)) throw new Error(`tensor '${name}' lacks dtype, shape or data_offsets`);
    tensors++;
    parameters += tensor.shape.reduce((product, n) => product * n, 1);
    dataEnd = Math.max(dataEnd, tensor.data_offsets[1]);
    dtypes.set(tensor.dtype, (dtypes.get(tensor.dtype) ?? 0) + 1);
    if (tensors <= LISTED_TENSORS) index[name] = [tensor.dtype, tensor.shape];
  }
  if (size !== undefined && end + dataEnd !== size) throw new Error(`tensors end at byte ${end + dataEnd}, the file has ${size}`);
  fields.tensors = tensors;
  fields.parameters = parameters;
  fields.dtypes = [...dtypes].map(([dtype, count]) => `${dtype}:${count}`).join(',');
  fields.tensor_index = JSON.stringify(index);
  return fields;
}
