import { isStrataError } from '../errors.ts';
import type { ObjectService } from '../versioning/object-service.ts';
import type { CallContext } from '../versioning/types.ts';

/** A dataset's card: this file at the dataset's prefix. */
export const CARD_NAME = 'README.md';
const CARD_BYTES = 64 * 1024;

/** The card's text (its first 64 KiB) at a ref, or undefined when the prefix has none. */
export async function readDatasetCard(objects: ObjectService, ctx: CallContext, at: { repository: string; ref: string; prefix: string }): Promise<string | undefined> {
  const address = { repository: at.repository, ref: at.ref, path: `${at.prefix}${CARD_NAME}` };
  const info = await objects.stat(ctx, address).catch((error: unknown) => {
    if (isStrataError(error) && error.code === 'NotFound') return undefined;
    throw error;
  });
  if (!info) return undefined;
  const parts: Uint8Array[] = [];
  for await (const piece of await objects.read(ctx, info, { range: { start: 0, end: Math.min(info.size, CARD_BYTES) } })) parts.push(piece);
  return Buffer.concat(parts).toString('utf8');
}
