import type { CheckOutcome } from '../protection/merge-checks.ts';
import type { Entry } from '../objects/entry.ts';
import type { Actor } from '../ports/authorizer.ts';
import type { CommitRecord } from '../ports/metadata-store.ts';
import type { ChangeType } from './tree/tree-diff.ts';

/** Every service call carries the acting principal (and may be cancelled). */
export interface CallContext {
  actor: Actor;
  signal?: AbortSignal;
  /** The request this call serves (HTTP and S3 request ids), for the audit log. */
  requestId?: string;
  /** Where the call came from: the client's address, or `cli`. */
  source?: string;
}

export type CommitInfo = Omit<CommitRecord, 'repository'>;

/** An object as listed or stat'ed: its path and its entry. */
export interface ObjectInfo extends Entry {
  path: string;
  /** In listings: the erasure that destroyed this entry's content (its bytes answer `Erased`). Never part of an entry. */
  erased?: string;
}

export interface ObjectChange {
  path: string;
  type: ChangeType;
  left?: Entry;
  right?: Entry;
}

export type RefKind = 'branch' | 'tag' | 'commit';

export interface ResolvedRef {
  kind: RefKind;
  /** The branch or tag name, or the full commit id. */
  name: string;
  commit: CommitRecord;
}

export type MergeStrategy = 'fail' | 'source-wins' | 'dest-wins';
export const MERGE_STRATEGIES: readonly MergeStrategy[] = ['fail', 'source-wins', 'dest-wins'];

export interface MergeResult {
  /** The merge commit, or the unchanged destination head when there was nothing to merge. */
  commit: CommitInfo;
  /** False when the source was already contained in the destination. */
  merged: boolean;
  /** Paths changed on both sides and resolved by the strategy. */
  resolvedConflicts: string[];
  /** Paths the merge changed on the destination. */
  changes: number;
  /** The protected destination's required checks, each passed (also in the commit's `strata.checks`). */
  checks?: CheckOutcome[];
}

export function toCommitInfo(record: CommitRecord): CommitInfo {
  const { repository: _repository, ...info } = record;
  return info;
}
