import { z } from 'zod';
import { globMatches } from '../access/policy.ts';
import { invalidArgument } from '../errors.ts';
import type { CommitNode } from '../ports/gc-store.ts';

const DAYS = z.number().int().min(0).max(36_500);
const PATTERN = z.string().min(1).max(256);

/**
 * A repository's retention rules. Without any, nothing a ref reaches is ever collected: only
 * what no branch or tag reaches (deleted branches and repositories, failed writes) goes.
 */
export const RetentionRulesSchema = z.strictObject({
  /** Days an object version stays readable after it was replaced or deleted on a branch. */
  days: DAYS.optional(),
  /** Per-branch overrides, first matching pattern wins; `days: null` keeps that branch's history forever. */
  branches: z.array(z.strictObject({ pattern: PATTERN, days: DAYS.nullable() })).max(100).default([]),
  /** Objects under `prefix` whose last modification is older than `days` are deleted from the branches named, by a commit. */
  lifecycle: z.array(z.strictObject({ prefix: z.string().max(1024), days: DAYS, branches: z.array(PATTERN).min(1).max(100) })).max(100).default([]),
  /** Branches matching `pattern` with no commit for `days` are deleted (never the default branch, nor a protected one). */
  staleBranches: z.array(z.strictObject({ pattern: PATTERN, days: DAYS })).max(100).default([]),
});

export type RetentionRules = z.infer<typeof RetentionRulesSchema>;

export function parseRetentionRules(input: unknown): RetentionRules {
  const parsed = RetentionRulesSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw invalidArgument(`invalid retention rules: ${issue ? `${issue.path.join('.') || '(root)'} ${issue.message}` : 'malformed'}`);
  }
  return parsed.data;
}

/** The days a branch keeps replaced versions, and the rule that says so; null: forever. */
export function branchRetention(rules: RetentionRules | undefined, branch: string): { days: number | null; rule: string } {
  const override = rules?.branches.find((b) => globMatches(b.pattern, branch));
  if (override) return { days: override.days, rule: `retention ${override.pattern} ${override.days ?? 'forever'}d` };
  const days = rules?.days;
  return days === undefined ? { days: null, rule: 'retention forever' } : { days, rule: `retention ${days}d` };
}

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * The commits a branch keeps: its head, and every commit that was replaced (by a child on the
 * branch's history) less than `days` before `now`. A version that was current on the branch at
 * some moment of the window is in one of them, so it stays readable for `days` after it was
 * replaced or deleted. Walks every parent, so merged-in history is held by the same rule.
 */
export function retainedOnBranch(input: { head: string; commits: Map<string, CommitNode>; days: number | null; now: Date }): Set<string> {
  const cutoff = input.days === null ? -Infinity : input.now.getTime() - input.days * DAY_MS;
  const kept = new Set<string>([input.head]);
  const queue = [input.head];
  while (queue.length > 0) {
    const commit = input.commits.get(queue.pop() as string);
    // A commit made at or after the cutoff replaced its parents inside the window.
    if (!commit || Date.parse(commit.createdAt) < cutoff) continue;
    for (const parent of commit.parents) {
      if (kept.has(parent)) continue;
      kept.add(parent);
      queue.push(parent);
    }
  }
  return kept;
}
