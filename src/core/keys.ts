/**
 * Key order. Object paths sort by Unicode code point, which equals UTF-8 byte order — the order
 * S3 lists keys in, SQLite's BINARY collation and PostgreSQL's "C" collation. JavaScript's `<`
 * compares UTF-16 code units, which differs only when a surrogate pair meets a code unit in
 * U+E000–U+FFFF; that case is fixed up here.
 */
export function compareKeys(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) {
      if (x >= 0xd800 && y >= 0xd800) return codePointRank(x) - codePointRank(y);
      return x - y;
    }
  }
  return a.length - b.length;
}

/** Surrogates (U+D800–DFFF) stand for code points above U+FFFF, so they rank above U+E000–FFFF. */
function codePointRank(unit: number): number {
  return unit >= 0xd800 && unit <= 0xdfff ? unit + 0x2000 : unit - 0x800;
}

/** The smallest key greater than every key that starts with `prefix`, or undefined for ''. */
export function prefixEnd(prefix: string): string | undefined {
  if (prefix === '') return undefined;
  return prefix + '\u{10FFFF}';
}

export function hasPrefix(key: string, prefix: string): boolean {
  return key.startsWith(prefix);
}
