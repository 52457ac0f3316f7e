import type { CallContext } from '../versioning/types.ts';

/** Who is acting. Every service call carries one: an authenticated principal, or `anonymous`. */
export interface Actor {
  id: string;
  /** The roles (policy names) the credential is limited to, when it is (a scoped token). */
  scope?: string[];
}

/** The actor of a request that carried no valid credential. */
export const ANONYMOUS = 'anonymous';

/** What an actor asks to do, checked once per service call before anything changes. */
export interface AccessRequest {
  actor: Actor;
  /** `<resource kind>:<verb>`, e.g. `repository:create`, `object:read`, `branch:commit`. */
  action: string;
  /** The repository the action touches, when there is one. */
  repository?: string;
  /** The ref (branch, tag or commit) inside the repository, when the action is on data at one. */
  ref?: string;
  /** The object path or listed prefix at `ref`. */
  path?: string;
  /** What the action touches when it is not a repository path (`inference/user:<pseudonym>`); audit entries name it. */
  resource?: string;
}

/** The single authorization hook. Rejects with a Forbidden `StrataError` to deny. */
export interface Authorizer {
  /** `context`: the service call the request is made in (the audit recorder finds its call there). */
  authorize(request: AccessRequest, context?: CallContext): Promise<void>;
  /**
   * The same decision, asked only to decide what to show (which repositories a listing names):
   * never audited, never throws Forbidden. Authorizers without it are asked through `authorize`.
   */
  permits?(request: AccessRequest): Promise<boolean>;
  /** `permits` for the same request at each of `paths` (a listing's entries), in order. */
  permitsEach?(request: AccessRequest, paths: readonly string[]): Promise<boolean[]>;
}
