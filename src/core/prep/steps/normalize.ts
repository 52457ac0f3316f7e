import { z } from 'zod';
import type { StepInstance } from '../record.ts';

export const NormalizeParams = z.strictObject({
  /** Unicode normalization form. */
  form: z.enum(['NFC', 'NFKC']).default('NFC'),
  lowercase: z.boolean().default(false),
  /** Runs of spaces and tabs become one space; three or more newlines become two. */
  whitespace: z.boolean().default(true),
  /** Drop control characters other than newline and tab (and the replacement character). */
  control: z.boolean().default(true),
});

// eslint-disable-next-line no-control-regex -- control characters are what this step removes
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\ufffd]/gu;

/** `normalize`: Unicode form, whitespace, control characters, optional lowercase. */
export function normalizeStep(params: z.infer<typeof NormalizeParams>): StepInstance {
  return {
    kind: 'record',
    process(record) {
      let text = record.text.normalize(params.form);
      if (params.control) text = text.replace(CONTROL, '');
      if (params.whitespace) text = text.replace(/\r\n?/g, '\n').replace(/[ \t\u00a0]+/g, ' ').replace(/ *\n */g, '\n').replace(/\n{3,}/g, '\n\n').trim();
      if (params.lowercase) text = text.toLowerCase();
      return { keep: { ...record, text } };
    },
  };
}
