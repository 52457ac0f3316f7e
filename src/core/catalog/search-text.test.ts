import { describe, expect, it } from 'vitest';
import { indexText, searchWords } from './search-text.ts';

describe('searchWords', () => {
  it('splits at punctuation, lowercases and drops accents', () => {
    expect(searchWords('data/Reports/report_2024-Final.PDF')).toEqual(['data', 'reports', 'report', '2024', 'final', 'pdf']);
    expect(searchWords('Café  Ünïcode ﬁle')).toEqual(['cafe', 'unicode', 'file']);
  });

  it('keeps letters of any script and cuts very long runs', () => {
    expect(searchWords('Größe δεδομένα данные')).toEqual(['große', 'δεδομενα', 'данные']);
    expect(searchWords('x'.repeat(100))).toEqual(['x'.repeat(64)]);
    expect(searchWords(' -- ')).toEqual([]);
  });

  it('joins several texts, skipping absent ones', () => {
    expect(indexText('a-b', undefined, 'C')).toBe('a b c');
  });
});
