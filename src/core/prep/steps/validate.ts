import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import { z } from 'zod';
import type { StepInstance } from '../record.ts';

export const ValidateParams = z
  .strictObject({
    /** A JSON Schema (2020-12) that `{id, text, meta}` of each record must satisfy. */
    schema: z.record(z.string(), z.unknown()),
  })
  .superRefine((params, issues) => {
    try {
      compileSchema(params.schema);
    } catch (error) {
      issues.addIssue({ code: 'custom', path: ['schema'], message: `does not compile: ${(error as Error).message}` });
    }
  });

/** A JSON Schema (2020-12) compiled for checking records; throws when it does not compile. */
export function compileSchema(schema: Record<string, unknown>): ValidateFunction {
  return new Ajv2020({ strict: false, allErrors: false }).compile(schema);
}

/**
 * `validate`: records failing the schema leave the output for the run's quarantine shards, with
 * the reason (the first schema error) in `meta.quarantine_reason`.
 */
export function validateStep(params: z.infer<typeof ValidateParams>): StepInstance {
  const check = compileSchema(params.schema);
  return {
    kind: 'record',
    process(record) {
      if (check({ id: record.id, text: record.text, meta: record.meta })) return { keep: record };
      const error = check.errors?.[0];
      const reason = `${error?.instancePath === '' ? 'record' : (error?.instancePath ?? 'record')} ${error?.message ?? 'is invalid'}`;
      return { drop: 'invalid', quarantine: { ...record, meta: { ...record.meta, quarantine_reason: reason } } };
    },
  };
}
