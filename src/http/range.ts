/**
 * HTTP Range parsing for a single byte range (RFC 9110 §14.1.2): `bytes=a-b`, `bytes=a-`,
 * `bytes=-n`. Several ranges are answered with the whole content, as S3 does.
 * Returns undefined for "serve everything", 'unsatisfiable' for a 416, or [start, end).
 */
export function parseRange(header: string | undefined, size: number): { start: number; end: number } | 'unsatisfiable' | undefined {
  if (header === undefined) return undefined;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match) return undefined;
  const [, first = '', last = ''] = match;
  if (first === '' && last === '') return undefined;
  if (first === '') {
    const suffix = Number(last);
    if (suffix === 0) return 'unsatisfiable';
    return { start: Math.max(size - suffix, 0), end: size };
  }
  const start = Number(first);
  if (start >= size) return 'unsatisfiable';
  const end = last === '' ? size : Math.min(Number(last) + 1, size);
  if (end <= start) return undefined;
  return { start, end };
}
