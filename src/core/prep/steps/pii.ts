import { createHash } from 'node:crypto';
import { findPhoneNumbersInText, type CountryCode } from 'libphonenumber-js';
import { z } from 'zod';
import type { StepInstance } from '../record.ts';

export const PII_TYPES = ['email', 'phone', 'credit_card', 'iban', 'ssn', 'ip_address', 'secret'] as const;
export type PiiType = (typeof PII_TYPES)[number];

export const PiiParams = z.strictObject({
  /** redact: a typed placeholder (`<EMAIL>`); hash: placeholder with a keyed digest; drop-record: drop the record. */
  mode: z.enum(['redact', 'hash', 'drop-record']).default('redact'),
  types: z.array(z.enum(PII_TYPES)).default([...PII_TYPES]),
  /** Region phone numbers without a country code are read in (ISO 3166 alpha-2). */
  default_region: z.string().length(2).default('US'),
  /** Key of the hash mode's HMAC-free digest prefix (a salt). */
  salt: z.string().default(''),
});
export type PiiConfig = z.infer<typeof PiiParams>;

export interface PiiFinding {
  type: PiiType;
  start: number;
  end: number;
}

const EMAIL = /[\p{L}\p{N}._%+-]+@[\p{L}\p{N}-]+(?:\.[\p{L}\p{N}-]+)*\.\p{L}{2,}/gu;
const CARD = /\b\d(?:[ -]?\d){12,18}\b/g;
const IBAN = /\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}\b/g;
const SSN = /\b(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}\b/g;
const IPV4 = /(?<![\d.])(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?![.\d])/g;
const IPV6 = /(?<![\w:])(?:[0-9a-f]{0,4}:){2,7}[0-9a-f]{0,4}(?![\w:])/gi;
/** Well-known credential shapes: AWS keys, GitHub/Slack/OpenAI-style tokens, JWTs, PEM private keys. */
const SECRETS = [
  /-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----[\s\S]+?-----END (?:[A-Z]+ )?PRIVATE KEY-----/g,
  /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/g,
  /\bgh[pousr]_[A-Za-z0-9]{36,}\b/g,
  /\bxox[abprs]-[A-Za-z0-9-]{10,}\b/g,
  /\bsk-(?:proj-)?[A-Za-z0-9_-]{20,}\b/g,
  /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\b/g,
];

const PLACEHOLDER: Record<PiiType, string> = { email: 'EMAIL', phone: 'PHONE', credit_card: 'CREDIT_CARD', iban: 'IBAN', ssn: 'SSN', ip_address: 'IP_ADDRESS', secret: 'SECRET' };

/** Issuer prefixes of the card networks (Visa, Mastercard, Amex, Diners, Discover, JCB, UnionPay). */
const CARD_PREFIX = /^(?:4|5[1-5]|2[2-7]|3[47]|3[0689]|6(?:011|5|4[4-9]|2))/;

/**
 * A card number as printed: 13–19 digits starting with a network's prefix, passing Luhn, and —
 * when separated — in groups of four (Amex: 4-6-5). ISBNs and tracking numbers fail one of these.
 */
function cardValid(match: string): boolean {
  const digits = match.replace(/[ -]/g, '');
  if (!CARD_PREFIX.test(digits) || !luhn(digits)) return false;
  const groups = match.split(/[ -]/);
  if (groups.length === 1) return true;
  const sizes = groups.map((g) => g.length).join(',');
  return sizes === '4,6,5' || groups.every((g, i) => g.length === 4 || (i === groups.length - 1 && g.length >= 1 && g.length <= 4));
}

/** Luhn checksum (ISO/IEC 7812-1). */
export function luhn(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

/** IBAN check digits (ISO 13616: move the first four characters to the end, letters to 10–35, mod 97 = 1). */
export function ibanValid(iban: string): boolean {
  const compact = iban.replace(/ /g, '');
  if (compact.length < 15 || compact.length > 34) return false;
  const moved = compact.slice(4) + compact.slice(0, 4);
  let remainder = 0;
  for (const char of moved) {
    const value = /\d/.test(char) ? char : String(char.charCodeAt(0) - 55);
    for (const digit of value) remainder = (remainder * 10 + Number(digit)) % 97;
  }
  return remainder === 1;
}

function ipv6Valid(candidate: string): boolean {
  if (!candidate.includes('::') && candidate.split(':').length !== 8) return false;
  try {
    return new URL(`http://[${candidate}]/`).hostname.length > 2;
  } catch {
    return false;
  }
}

const groups = (text: string): string => (text.match(/\d+/g) ?? []).map((g) => g.length).join(',');

/**
 * A valid number written the way numbers of its country are written: one run of digits, or
 * digit groups as its national or international format groups them. `217-71-61044` is a valid
 * US number in digits but grouped like no phone number; `548.244.35.40` is an address.
 */
function phoneShaped(match: string, number: { isValid(): boolean; formatNational(): string; formatInternational(): string }): boolean {
  if (!number.isValid()) return false;
  const shape = groups(match);
  return !shape.includes(',') || shape === groups(number.formatNational()) || shape === groups(number.formatInternational());
}

/** Every finding of the configured types, validated (Luhn, IBAN check digits, phone numbering plans), without overlaps. */
export function findPii(text: string, config: Pick<PiiConfig, 'types' | 'default_region'>): PiiFinding[] {
  const wanted = new Set(config.types);
  const found: PiiFinding[] = [];
  const add = (type: PiiType, start: number, end: number): void => {
    if (wanted.has(type)) found.push({ type, start, end });
  };
  const each = (pattern: RegExp, type: PiiType, valid: (match: string) => boolean = () => true): void => {
    for (const m of text.matchAll(pattern)) if (valid(m[0])) add(type, m.index, m.index + m[0].length);
  };
  for (const pattern of SECRETS) each(pattern, 'secret');
  each(EMAIL, 'email');
  each(IBAN, 'iban', ibanValid);
  each(CARD, 'credit_card', cardValid);
  each(SSN, 'ssn');
  each(IPV4, 'ip_address');
  each(IPV6, 'ip_address', ipv6Valid);
  if (wanted.has('phone')) {
    for (const phone of findPhoneNumbersInText(text, { defaultCountry: config.default_region.toUpperCase() as CountryCode })) {
      if (phoneShaped(text.slice(phone.startsAt, phone.endsAt), phone.number)) add('phone', phone.startsAt, phone.endsAt);
    }
  }
  // Earlier start first; of two overlapping findings the longer (then the first listed) wins.
  found.sort((a, b) => a.start - b.start || b.end - b.start - (a.end - a.start));
  const kept: PiiFinding[] = [];
  for (const f of found) if (kept.length === 0 || f.start >= (kept[kept.length - 1] as PiiFinding).end) kept.push(f);
  return kept;
}

/** `pii`: redacts (or hashes, or drops the records holding) what `findPii` finds; counts by type. */
export function piiStep(params: PiiConfig): StepInstance {
  return {
    kind: 'record',
    process(record) {
      const findings = findPii(record.text, params);
      if (findings.length === 0) return { keep: record };
      const count: Record<string, number> = {};
      for (const f of findings) count[`pii.${f.type}`] = (count[`pii.${f.type}`] ?? 0) + 1;
      if (params.mode === 'drop-record') return { drop: 'pii', count };
      let text = '';
      let at = 0;
      for (const f of findings) {
        const value = record.text.slice(f.start, f.end);
        const digest = createHash('sha256').update(params.salt).update(value).digest('hex').slice(0, 12);
        text += record.text.slice(at, f.start) + (params.mode === 'hash' ? `<${PLACEHOLDER[f.type]}:${digest}>` : `<${PLACEHOLDER[f.type]}>`);
        at = f.end;
      }
      text += record.text.slice(at);
      return { keep: { ...record, text, meta: { ...record.meta, pii_redacted: findings.length } }, count };
    },
  };
}
