/** Longest word kept; longer runs (hashes, base64) are cut, as both engines would treat them as noise. */
const MAX_WORD = 64;

/**
 * The words of a text as the search index stores and matches them: compatibility-decomposed,
 * accents dropped, lower case, split at anything but a letter or digit. Both engines receive
 * these words joined by spaces, so SQLite and PostgreSQL tokenise them identically and
 * `report_2024-Final.PDF` is found by `report`, `2024`, `final` or `pdf`.
 * Scripts written without spaces (Chinese, Japanese) stay one word per run: a known limit.
 */
export function searchWords(text: string): string[] {
  return text
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter((word) => word !== '')
    .map((word) => word.slice(0, MAX_WORD));
}

/** The words of several texts, joined for indexing. */
export function indexText(...texts: (string | undefined)[]): string {
  return texts.flatMap((text) => (text === undefined ? [] : searchWords(text))).join(' ');
}
