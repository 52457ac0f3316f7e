import { z } from 'zod';
import type { StepInstance } from '../record.ts';

const Rule = z
  .strictObject({
    label: z.string().regex(/^[\w.:+-]{1,64}$/),
    /** A regular expression (JavaScript syntax, flags `iu`) the text must match. */
    regex: z.string().optional(),
    /** Any of these words or phrases (case-insensitive, whole words). */
    keywords: z.array(z.string().min(1)).optional(),
    /** Metadata fields that must hold these values. */
    when: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
  })
  .refine((r) => r.regex !== undefined || r.keywords !== undefined || r.when !== undefined, { message: 'a rule needs regex, keywords or when' });

export const LabelParams = z.strictObject({ rules: z.array(Rule).min(1) });

const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** `label`: rule-based labels (regex, keyword lists, metadata conditions) written to `meta.labels`, counted per label. */
export function labelStep(params: z.infer<typeof LabelParams>): StepInstance {
  const rules = params.rules.map((rule) => ({
    label: rule.label,
    regex: rule.regex === undefined ? undefined : new RegExp(rule.regex, 'iu'),
    keywords: rule.keywords === undefined ? undefined : new RegExp(`(?<![\\p{L}\\p{N}])(?:${rule.keywords.map(escape).join('|')})(?![\\p{L}\\p{N}])`, 'iu'),
    when: rule.when,
  }));
  return {
    kind: 'record',
    process(record) {
      const labels: string[] = [];
      for (const rule of rules) {
        if (rule.regex && !rule.regex.test(record.text)) continue;
        if (rule.keywords && !rule.keywords.test(record.text)) continue;
        if (rule.when && !Object.entries(rule.when).every(([key, value]) => record.meta[key] === value)) continue;
        labels.push(rule.label);
      }
      if (labels.length === 0) return { keep: record };
      const existing = typeof record.meta.labels === 'string' && record.meta.labels !== '' ? record.meta.labels.split(',') : [];
      const count = Object.fromEntries(labels.map((label) => [`label.${label}`, 1]));
      return { keep: { ...record, meta: { ...record.meta, labels: [...new Set([...existing, ...labels])].join(',') } }, count };
    },
  };
}
