import { describe, expect, it } from 'vitest';
import { BasicExtractor } from '../basic-extractor.ts';
import { guessLanguage } from './language.ts';

const ENGLISH = 'The committee reviewed the quarterly figures and agreed that the new warehouse should open next spring.';
const FRENCH = 'Le comité a examiné les chiffres du trimestre et a convenu que le nouvel entrepôt ouvrirait au printemps prochain.';
const GERMAN = 'Der Ausschuss prüfte die Quartalszahlen und beschloss, dass das neue Lager im nächsten Frühjahr eröffnet wird.';

describe('guessLanguage', () => {
  it('names the language of prose as ISO 639-3', () => {
    expect(guessLanguage('text/plain', ENGLISH)).toBe('eng');
    expect(guessLanguage('text/markdown', `# Rapport\n\n${FRENCH}`)).toBe('fra');
    expect(guessLanguage('text/plain', GERMAN)).toBe('deu');
  });

  it('reads the visible text of HTML, not its scripts and markup', () => {
    const html = `<html><head><script>var x = "the the the and and and of of of";</script><style>body { color: red }</style></head><body><p class="intro">${GERMAN}</p></body></html>`;
    expect(guessLanguage('text/html', html)).toBe('deu');
  });

  it('makes no guess for short texts or non-prose types', () => {
    expect(guessLanguage('text/plain', 'Hello there')).toBeUndefined();
    expect(guessLanguage('text/csv', `name,comment\nada,"${ENGLISH}"`)).toBeUndefined();
    expect(guessLanguage('text/plain', '12345 67890 '.repeat(20))).toBeUndefined();
  });

  it('is recorded by the extractor as the `language` field', async () => {
    const session = new BasicExtractor().start({ path: 'notes/rapport.md' });
    session.update(Buffer.from(`# Rapport\n\n${FRENCH}\n`));
    expect((await session.finish()).fields).toMatchObject({ title: 'Rapport', language: 'fra' });
  });
});
