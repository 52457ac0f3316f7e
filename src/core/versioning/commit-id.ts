import { createHash } from 'node:crypto';

/** The fields a commit id covers. */
export interface CommitContent {
  treeId: string | null;
  parents: string[];
  author: string;
  message: string;
  createdAt: string;
  metadata: Record<string, string>;
}

/** SHA-256 over a canonical JSON encoding (fixed field order, metadata keys sorted). */
export function commitId(content: CommitContent): string {
  const metadata = Object.fromEntries(Object.entries(content.metadata).sort(([a], [b]) => (a < b ? -1 : 1)));
  const canonical = JSON.stringify([
    'strata-commit-v1',
    content.treeId,
    content.parents,
    content.author,
    content.message,
    content.createdAt,
    metadata,
  ]);
  return createHash('sha256').update(canonical).digest('hex');
}
