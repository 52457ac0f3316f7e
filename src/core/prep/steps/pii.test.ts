import { describe, expect, it } from 'vitest';
import { seededRandom as random } from '../../../../test/support/random.ts';
import { findPii, ibanValid, luhn, PII_TYPES, type PiiType } from './pii.ts';

const rnd = random(17);
const int = (lo: number, hi: number): number => lo + Math.floor(rnd() * (hi - lo + 1));
const pick = <T>(items: readonly T[]): T => items[Math.floor(rnd() * items.length)] as T;
const digits = (n: number): string => Array.from({ length: n }, () => String(int(0, 9))).join('');
const alnum = (n: number, chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'): string => Array.from({ length: n }, () => chars[int(0, chars.length - 1)]).join('');

function withLuhn(prefix: string, length: number): string {
  const body = prefix + digits(length - prefix.length - 1);
  for (let d = 0; d <= 9; d++) if (luhn(body + String(d))) return body + String(d);
  throw new Error('unreachable');
}
function group(number: string, sizes: number[], sep: string): string {
  const parts: string[] = [];
  let at = 0;
  for (const size of sizes) {
    parts.push(number.slice(at, at + size));
    at += size;
  }
  return parts.join(sep);
}
function iban(country: string, bban: string): string {
  for (let check = 2; check <= 98; check++) {
    const candidate = `${country}${String(check).padStart(2, '0')}${bban}`;
    if (ibanValid(candidate)) return candidate;
  }
  throw new Error('unreachable');
}
const spaced = (text: string): string => text.replace(/(.{4})/g, '$1 ').trim();

/** Generators of one value each: positives of a type, and negatives that look alike but are not PII. */
const POSITIVE: Record<PiiType, () => string> = {
  email: () => pick([`${pick(['ada', 'grace', 'alan'])}.${pick(['lovelace', 'hopper', 'turing'])}${int(1, 99)}@example.com`, `J.Doe+${alnum(4, 'abcdefgh')}@mail.${pick(['co.uk', 'org', 'io'])}`, `support_${int(1, 999)}@sub.domain-${int(1, 9)}.net`]),
  phone: () => {
    const area = String(pick([212, 312, 415, 617, 646, 202, 303, 512]));
    const exchange = String(int(201, 989)).replace(/^(\d)11$/, '$1 22'.replace(' ', ''));
    const line = digits(4);
    return pick([`(${area}) ${exchange}-${line}`, `${area}-${exchange}-${line}`, `+1 ${area} ${exchange} ${line}`, `+44 20 7946 ${digits(4)}`, `+33 1 42 68 ${int(10, 99)} ${int(10, 99)}`]);
  },
  credit_card: () => {
    const kind = int(0, 2);
    if (kind === 0) return group(withLuhn('4', 16), [4, 4, 4, 4], pick([' ', '-', '']));
    if (kind === 1) return group(withLuhn(String(int(51, 55)), 16), [4, 4, 4, 4], pick([' ', '-', '']));
    return group(withLuhn(pick(['34', '37']), 15), [4, 6, 5], pick([' ', '-', '']));
  },
  iban: () => {
    const value = pick([() => iban('GB', `${alnum(4, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ')}${digits(14)}`), () => iban('DE', digits(18)), () => iban('FR', `${digits(10)}${alnum(11)}${digits(2)}`)])();
    return rnd() < 0.5 ? value : spaced(value);
  },
  ssn: () => `${String(pick([int(1, 665), int(667, 899)])).padStart(3, '0')}-${String(int(1, 99)).padStart(2, '0')}-${String(int(1, 9999)).padStart(4, '0')}`,
  ip_address: () => (rnd() < 0.6 ? `${int(1, 223)}.${int(0, 255)}.${int(0, 255)}.${int(1, 254)}` : pick([`2001:db8:${alnum(4, '0123456789abcdef')}::${alnum(3, '0123456789abcdef')}`, `fe80::${alnum(4, '0123456789abcdef')}:${alnum(4, '0123456789abcdef')}:${alnum(2, '0123456789abcdef')}ff:fe${alnum(2, '0123456789abcdef')}:${alnum(4, '0123456789abcdef')}`, Array.from({ length: 8 }, () => alnum(4, '0123456789abcdef')).join(':')])),
  secret: () => pick([`AKIA${alnum(16)}`, `ghp_${alnum(36, 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789')}`, `xoxb-${digits(11)}-${digits(12)}-${alnum(24, 'abcdefghijklmnopqrstuvwxyz0123456789')}`, `sk-proj-${alnum(40, 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789')}`, `-----BEGIN RSA PRIVATE KEY-----\nMIIEow${alnum(60, 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+/')}\n-----END RSA PRIVATE KEY-----`]),
};
const NEGATIVE: Record<PiiType, () => string> = {
  email: () => pick([`ada at example dot com`, `@grace_hopper`, `user@localhost`, `name@domain`, `v2.${int(1, 9)}@build`]),
  phone: () => pick([`order ${digits(6)}`, `${int(2000, 2030)}-${String(int(1, 12)).padStart(2, '0')}-${String(int(1, 28)).padStart(2, '0')}`, `555-${digits(4)}`, `(000) 000-${digits(4)}`, `version ${int(1, 9)}.${int(0, 9)}.${int(0, 99)}`]),
  credit_card: () => {
    let number = withLuhn('4', 16);
    number = number.slice(0, 15) + String((Number(number[15]) + int(1, 9)) % 10);
    return pick([group(number, [4, 4, 4, 4], ' '), `${digits(3)} ${digits(3)} ${digits(3)}`, `tracking ${digits(12)}`]);
  },
  iban: () => {
    const valid = iban('DE', digits(18));
    const wrong = `${valid.slice(0, 2)}${String((Number(valid.slice(2, 4)) + int(1, 50)) % 97).padStart(2, '0')}${valid.slice(4)}`;
    return ibanValid(wrong) ? `DE00${digits(18)}` : pick([wrong, `ISBN 978-${digits(1)}-${digits(3)}-${digits(5)}-${digits(1)}`]);
  },
  ssn: () => pick([`000-${digits(2)}-${digits(4)}`, `666-${String(int(10, 99))}-${digits(4)}`, `${int(100, 665)}-00-${digits(4)}`, `${int(900, 999)}-${int(10, 99)}-${digits(4)}`, `ref ${digits(3)}-${digits(2)}-${digits(5)}`]),
  ip_address: () => pick([`version ${int(1, 9)}.${int(0, 9)}.${int(0, 9)}.${int(0, 9)}.${int(0, 9)}`, `${int(256, 999)}.${int(0, 255)}.${int(0, 255)}.${int(0, 255)}`, `${String(int(0, 23)).padStart(2, '0')}:${String(int(10, 59))}:${String(int(10, 59))}`, `std::vector`, `a::b::c`]),
  secret: () => pick([`AKIA${alnum(6)}`, `ghp_${alnum(8)}`, `sk-learn`, `xoxb`, `-----BEGIN PUBLIC KEY-----`]),
};

describe('pii detection on a labelled generated set', () => {
  it('reaches recall ≥ 0.98 and precision ≥ 0.95 for every type', () => {
    const config = { types: [...PII_TYPES], default_region: 'US' };
    const lines: string[] = [];
    for (const type of PII_TYPES) {
      let truePositives = 0;
      let falsePositives = 0;
      const samples = 200;
      for (let i = 0; i < samples; i++) {
        const value = POSITIVE[type]();
        const text = `Please note ${value} for the record.`;
        const start = text.indexOf(value);
        const found = findPii(text, config);
        if (found.some((f) => f.type === type && f.start === start && f.end === start + value.length)) truePositives++;
        falsePositives += found.filter((f) => !(f.type === type && f.start === start && f.end === start + value.length)).length;
      }
      // Negatives are counted against every type: nothing may be found in them.
      for (let i = 0; i < samples; i++) {
        const text = `Please note ${NEGATIVE[type]()} for the record.`;
        const found = findPii(text, config);
        if (process.env.PII_DEBUG && found.length > 0) console.log(type, JSON.stringify(text), found.map((f) => `${f.type}:${text.slice(f.start, f.end)}`));
        falsePositives += found.length;
      }
      const recall = truePositives / samples;
      const precision = truePositives / Math.max(truePositives + falsePositives, 1);
      lines.push(`${type.padEnd(12)} recall ${recall.toFixed(3)}  precision ${precision.toFixed(3)}`);
      expect.soft(recall, `${type} recall`).toBeGreaterThanOrEqual(0.98);
      expect.soft(precision, `${type} precision`).toBeGreaterThanOrEqual(0.95);
    }
    console.log(`pii on ${PII_TYPES.length} × 200 positives and 200 look-alike negatives:\n${lines.join('\n')}`);
  });
});
