import { z } from 'zod';
import { globMatches } from '../access/policy.ts';
import { invalidArgument, StrataError } from '../errors.ts';
import { compileSchema } from '../prep/steps/validate.ts';
import type { MetadataStore } from '../ports/metadata-store.ts';

const LABEL = /^[\w.:+-]{1,64}$/;

/**
 * A check a merge into a protected branch must pass, run on the merge's result before the head
 * moves. `prefix` narrows it to the objects the merge adds or changes under that path.
 */
export const MergeCheckSchema = z.discriminatedUnion('type', [
  /** Every record of the JSON Lines and Parquet files the merge adds or changes satisfies a JSON Schema (2020-12). */
  z
    .strictObject({ type: z.literal('schema'), prefix: z.string().default(''), schema: z.record(z.string(), z.unknown()) })
    .superRefine((check, issues) => {
      try {
        compileSchema(check.schema);
      } catch (error) {
        issues.addIssue({ code: 'custom', path: ['schema'], message: `does not compile: ${(error as Error).message}` });
      }
    }),
  /**
   * Every record of the JSON Lines and Parquet files the merge adds or changes passes the
   * `validate` steps of a kept recipe (`<name>@<version>`), as a run of it would check them.
   */
  z.strictObject({ type: z.literal('recipe'), prefix: z.string().default(''), recipe: z.string().regex(/^[a-z0-9][a-z0-9._-]*@[^:]+$/, 'must be <name>@<version> (a recipe kept in Strata)') }),
  /** No object the merge adds or changes lies in a dataset carrying this classification label. */
  z.strictObject({ type: z.literal('forbidden-label'), label: z.string().regex(LABEL, 'is not a label') }),
  /** No object the merge adds or changes is larger than this. */
  z.strictObject({ type: z.literal('max-size'), prefix: z.string().default(''), bytes: z.number().int().positive() }),
  /** POSTs the merge's summary; any answer but 2xx blocks the merge with the answer's text. */
  z.strictObject({ type: z.literal('webhook'), url: z.url({ protocol: /^https?$/ }), timeoutSeconds: z.number().int().min(1).max(300).default(30) }),
]);

/**
 * What a protected branch refuses; a rule names branches by pattern (`main`, `release-*`).
 * There is no force-move to refuse: a head only ever moves forward, by a commit, a merge or a
 * revert (all three new commits on top of it), so with `mergeOnly` only a merge moves it.
 */
export const ProtectionRuleSchema = z.strictObject({
  branch: z.string().min(1).max(256),
  /** No direct writes or commits: changes arrive by merge only. */
  mergeOnly: z.boolean().default(true),
  noDelete: z.boolean().default(true),
  checks: z.array(MergeCheckSchema).max(20).default([]),
});

export const ProtectionSchema = z.array(ProtectionRuleSchema).max(100);

export type MergeCheck = z.output<typeof MergeCheckSchema>;
export type ProtectionRule = z.output<typeof ProtectionRuleSchema>;

export function parseProtection(json: unknown): ProtectionRule[] {
  const parsed = ProtectionSchema.safeParse(json);
  if (!parsed.success) throw invalidArgument(`invalid protection rules: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'rules'}: ${i.message}`).join('; ')}`);
  return parsed.data;
}

/** The first rule whose pattern names the branch. */
export function ruleFor(rules: readonly ProtectionRule[] | undefined, branch: string): ProtectionRule | undefined {
  return rules?.find((rule) => globMatches(rule.branch, branch));
}

/** What each guarded action needs the rule not to forbid. */
const GUARDED: Record<string, { forbids: (rule: ProtectionRule) => boolean; what: string }> = {
  'object:write': { forbids: (rule) => rule.mergeOnly, what: 'changes arrive by merge only' },
  'object:delete': { forbids: (rule) => rule.mergeOnly, what: 'changes arrive by merge only' },
  'branch:commit': { forbids: (rule) => rule.mergeOnly, what: 'changes arrive by merge only' },
  'branch:delete': { forbids: (rule) => rule.noDelete, what: 'it cannot be deleted' },
  'branch:revert': { forbids: (rule) => rule.mergeOnly, what: 'changes arrive by merge only' },
};

/**
 * Refuses a direct change to a protected branch (Forbidden, whoever asks: protection is not a
 * permission an administrator holds, it is a property of the branch that one may change).
 */
export async function guardBranch(metadata: Pick<MetadataStore, 'getRepository'>, request: { action: string; repository?: string; ref?: string }): Promise<void> {
  const guard = GUARDED[request.action];
  if (guard === undefined || request.repository === undefined || request.ref === undefined) return;
  const rule = ruleFor((await metadata.getRepository(request.repository))?.protection, request.ref);
  if (rule !== undefined && guard.forbids(rule)) {
    throw new StrataError('Forbidden', `branch '${request.ref}' of ${request.repository} is protected: ${guard.what}`, { details: { reason: 'protected-branch', rule: rule.branch } });
  }
}
