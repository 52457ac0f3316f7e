/** Table shapes as Kysely sees them. JSON columns are text in both dialects. */
export interface RepositoriesTable {
  name: string;
  default_branch: string;
  created_at: string;
  created_by: string;
}

export interface BranchesTable {
  repository: string;
  name: string;
  head: string;
  created_at: string;
  created_by: string;
}

export interface TagsTable {
  repository: string;
  name: string;
  commit_id: string;
  created_at: string;
  created_by: string;
}

export interface CommitsTable {
  repository: string;
  id: string;
  tree_id: string | null;
  /** JSON array of commit ids. */
  parents: string;
  generation: number;
  author: string;
  message: string;
  created_at: string;
  /** JSON object. */
  metadata: string;
}

export interface StagingTable {
  repository: string;
  branch: string;
  path: string;
  /** JSON entry, or null for a deletion. */
  entry: string | null;
  /** Id of the commit attempt that took this row, if any. */
  seal: string | null;
}

export interface Database {
  repositories: RepositoriesTable;
  branches: BranchesTable;
  tags: TagsTable;
  commits: CommitsTable;
  staging: StagingTable;
}
