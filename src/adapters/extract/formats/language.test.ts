import { describe, expect, it } from 'vitest';
import { BasicExtractor } from '../basic-extractor.ts';
import { guessLanguage } from './language.ts';

const ENGLISH = 'The committee reviewed the quarterly figures and agreed that the new warehouse should open next spring.';
const FRENCH = 'Le comité a examiné les chiffres du trimestre et a convenu que le nouvel entrepôt ouvrirait au printemps prochain.';
const GERMAN = 'Der Ausschuss prüfte die Quartalszahlen und beschloss, dass das neue Lager im nächsten Frühjahr eröffnet wird.';

describe('guessLanguage', () => {
  it('names the language of prose as ISO 639-1', async () => {
    expect(await guessLanguage('text/plain', ENGLISH)).toBe('en');
    expect(await guessLanguage('text/markdown', `# Rapport\n\n${FRENCH}`)).toBe('fr');
    expect(await guessLanguage('text/plain', GERMAN)).toBe('de');
  });

  it('reads the visible text of HTML, not its scripts and markup', async () => {
    const html = `<html><head><script>var x = "the the the and and and of of of";</script><style>body { color: red }</style></head><body><p class="intro">${GERMAN}</p></body></html>`;
    expect(await guessLanguage('text/html', html)).toBe('de');
  });

  it('makes no guess for short texts or non-prose types', async () => {
    expect(await guessLanguage('text/plain', 'Hello there')).toBeUndefined();
    expect(await guessLanguage('text/csv', `name,comment\nada,"${ENGLISH}"`)).toBeUndefined();
    expect(await guessLanguage('text/plain', '12345 67890 '.repeat(20))).toBeUndefined();
  });

  it('is recorded by the extractor as the `language` field', async () => {
    const session = new BasicExtractor().start({ path: 'notes/rapport.md' });
    session.update(Buffer.from(`# Rapport\n\n${FRENCH}\n`));
    expect((await session.finish()).fields).toMatchObject({ title: 'Rapport', language: 'fr' });
  });
});
