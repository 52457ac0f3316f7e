/** Who is acting. Every service call carries one; the local user by default. */
export interface Actor {
  id: string;
}

/** What an actor asks to do, checked once per service call before anything changes. */
export interface AccessRequest {
  actor: Actor;
  /** `<resource kind>:<verb>`, e.g. `repository:create`, `object:read`, `branch:commit`. */
  action: string;
  /** The repository the action touches, when there is one. */
  repository?: string;
  /** What the action touches when it is not a repository path (`inference/user:<pseudonym>`); audit entries name it. */
  resource?: string;
}

/** The single authorization hook. Rejects with a Forbidden `StrataError` to deny. */
export interface Authorizer {
  authorize(request: AccessRequest): Promise<void>;
}

/** Allows everything. Governance replaces it with policies. */
export const allowAll: Authorizer = {
  authorize: () => Promise.resolve(),
};
