import { invalidArgument } from '../core/errors.ts';

/** A CLI location: `repo`, `repo@ref` or `repo@ref:path`. */
export interface Address {
  repository: string;
  ref?: string;
  path?: string;
}

export function parseAddress(text: string): Address {
  const match = /^([^@:]+)(?:@([^:]+))?(?::(.*))?$/.exec(text);
  if (!match) throw invalidArgument(`cannot read '${text}': expected repo@ref:path`);
  const [, repository = '', ref, path] = match;
  return { repository, ref, path: path === '' ? undefined : path };
}

/** `repo@ref`, with the ref required (a branch when `what` says so). */
export function requireRef(text: string, what: 'ref' | 'branch'): Required<Pick<Address, 'repository' | 'ref'>> & Address {
  const address = parseAddress(text);
  if (address.ref === undefined) throw invalidArgument(`'${text}' names no ${what}: write ${address.repository}@<${what}>`);
  return { ...address, ref: address.ref };
}

/**
 * The second ref of `diff` and `merge`: a bare ref (`exp`) or `repo@ref`, whose repository must
 * be the first argument's (ref names never contain `@`).
 */
export function otherRef(text: string, repository: string): string {
  if (!text.includes('@')) return text;
  const address = requireRef(text, 'ref');
  if (address.repository !== repository) throw invalidArgument(`'${text}' is in repository '${address.repository}', not '${repository}': both refs must be of one repository`);
  if (address.path !== undefined) throw invalidArgument(`'${text}' names a path; give the second ref without ':<path>'`);
  return address.ref;
}

export function requirePath(text: string): Required<Address> {
  const address = requireRef(text, 'ref');
  if (address.path === undefined) throw invalidArgument(`'${text}' names no path: write ${address.repository}@${address.ref}:<path>`);
  return { ...address, path: address.path };
}

/**
 * `repo@ref:path`, or a model address (`model:name@alias`, `model:name/3`, optionally followed
 * by `/<path inside the artifact>`) resolved through the registry to its exact commit.
 */
export async function resolveObjectAddress(api: { models: { resolve(address: string): Promise<{ object: { repository: string; ref: string; path: string } }> } }, text: string): Promise<Required<Address>> {
  if (!text.startsWith('model:')) return requirePath(text);
  return (await api.models.resolve(text)).object;
}
