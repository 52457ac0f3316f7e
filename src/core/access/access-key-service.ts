import { randomBytes } from 'node:crypto';
import { invalidArgument, notFound, StrataError } from '../errors.ts';
import type { SecretSealer } from '../ports/secret-sealer.ts';
import type { AccessKeyRecord } from '../ports/metadata-store.ts';
import { authorize, type VersioningDeps } from '../versioning/deps.ts';
import type { CallContext } from '../versioning/types.ts';

/** An access key as listed: never the secret. */
export type AccessKeyInfo = Omit<AccessKeyRecord, 'secret'>;

const PRINCIPAL = /^[\w.@+-]{1,128}$/;
/** AWS's alphabet for access key ids: uppercase letters and digits. */
const ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/**
 * S3 access keys, issued per principal. The gateway resolves them; revoked keys stop working at
 * once. Secrets are stored sealed by `sealer` (a key outside the database); keys stored before
 * sealing existed are still read, and `sealStored` seals them.
 */
export class AccessKeyService {
  constructor(
    private readonly deps: Pick<VersioningDeps, 'metadata' | 'authorizer' | 'clock'>,
    private readonly sealer: SecretSealer | undefined,
  ) {}

  /**
   * Issues a key for a principal (default: the caller); the only time the secret is returned.
   * `id` and `secret` keep an existing key pair working (migrating tools configured for another
   * S3 service); otherwise both are random.
   */
  async create(ctx: CallContext, input: { principal?: string; id?: string; secret?: string }): Promise<AccessKeyRecord> {
    const principal = input.principal ?? ctx.actor.id;
    if (!PRINCIPAL.test(principal)) {
      throw invalidArgument(`invalid principal '${principal}': use up to 128 letters, digits, '.', '_', '@', '+' or '-'`);
    }
    if (input.id !== undefined && !/^[A-Z0-9]{16,128}$/.test(input.id)) throw invalidArgument('an access key id is 16 to 128 upper-case letters and digits');
    if (input.secret !== undefined && !/^[\x21-\x7e]{20,128}$/.test(input.secret)) throw invalidArgument('a secret key is 20 to 128 printable ASCII characters');
    if ((input.id === undefined) !== (input.secret === undefined)) throw invalidArgument('give both the id and the secret of an existing key, or neither');
    await authorize(this.deps, ctx, { action: 'access-key:create', resource: `principal:${principal}` });
    const owner = await this.deps.metadata.identity.getPrincipal(principal);
    if (owner === undefined || owner.kind === 'group') throw invalidArgument(`no user or service '${principal}' to issue a key to`);
    const key: AccessKeyRecord = {
      id: input.id ?? `SK${randomId(18)}`,
      secret: input.secret ?? randomBytes(30).toString('base64').replaceAll('+', 'A').replaceAll('/', 'B'),
      principal,
      createdAt: this.deps.clock.now().toISOString(),
    };
    await this.deps.metadata.createAccessKey({ ...key, secret: this.sealer?.seal(key.secret, key.id) ?? key.secret });
    return key;
  }

  /** A principal's keys (with the right to see them), or every key (with the right over every principal). */
  async list(ctx: CallContext, input: { principal?: string } = {}): Promise<AccessKeyInfo[]> {
    await authorize(this.deps, ctx, { action: 'access-key:list', resource: `principal:${input.principal ?? '*'}` });
    const keys = await this.deps.metadata.listAccessKeys();
    return keys.filter((key) => input.principal === undefined || key.principal === input.principal).map(({ secret: _secret, ...info }) => info);
  }

  async revoke(ctx: CallContext, id: string): Promise<void> {
    const key = await this.deps.metadata.getAccessKey(id);
    await authorize(this.deps, ctx, { action: 'access-key:revoke', resource: `principal:${key?.principal ?? '*'}` });
    if (!(await this.deps.metadata.revokeAccessKey(id, this.deps.clock.now().toISOString()))) {
      throw notFound(`no active access key '${id}'`);
    }
  }

  /** The active key with this id, for signature verification; undefined if unknown or revoked. */
  async resolve(id: string): Promise<AccessKeyRecord | undefined> {
    const key = await this.deps.metadata.getAccessKey(id);
    if (key === undefined || key.revokedAt !== undefined) return undefined;
    return { ...key, secret: this.opened(key) };
  }

  /** Seals every secret still stored in plain text (from before sealing); returns how many. */
  async sealStored(): Promise<number> {
    const sealer = this.sealer;
    if (sealer === undefined) return 0;
    let sealed = 0;
    for (const key of await this.deps.metadata.listAccessKeys()) {
      if (sealer.isSealed(key.secret)) continue;
      if (await this.deps.metadata.replaceAccessKeySecret(key.id, key.secret, sealer.seal(key.secret, key.id))) sealed++;
    }
    return sealed;
  }

  private opened(key: AccessKeyRecord): string {
    if (this.sealer === undefined || !this.sealer.isSealed(key.secret)) return key.secret;
    try {
      return this.sealer.open(key.secret, key.id);
    } catch (error) {
      throw new StrataError('Unavailable', `the secret of access key ${key.id} cannot be opened with this server's secrets key (STRATA_SECRETS_KEY_FILE): ${(error as Error).message}`);
    }
  }
}

function randomId(length: number): string {
  const bytes = randomBytes(length);
  return Array.from(bytes, (b) => ID_ALPHABET[b & 31]).join('');
}
