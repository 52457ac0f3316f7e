import { randomBytes } from 'node:crypto';
import { invalidArgument, notFound } from '../errors.ts';
import type { AccessKeyRecord } from '../ports/metadata-store.ts';
import { authorize, type VersioningDeps } from '../versioning/deps.ts';
import type { CallContext } from '../versioning/types.ts';

/** An access key as listed: never the secret. */
export type AccessKeyInfo = Omit<AccessKeyRecord, 'secret'>;

const PRINCIPAL = /^[\w.@+-]{1,128}$/;
/** AWS's alphabet for access key ids: uppercase letters and digits. */
const ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** S3 access keys, issued per principal. The gateway resolves them; revoked keys stop working at once. */
export class AccessKeyService {
  constructor(private readonly deps: Pick<VersioningDeps, 'metadata' | 'authorizer' | 'clock'>) {}

  /** Issues a key; the only time the secret is returned. */
  async create(ctx: CallContext, input: { principal: string }): Promise<AccessKeyRecord> {
    if (!PRINCIPAL.test(input.principal)) {
      throw invalidArgument(`invalid principal '${input.principal}': use up to 128 letters, digits, '.', '_', '@', '+' or '-'`);
    }
    await authorize(this.deps, ctx, { action: 'access-key:create' });
    const key: AccessKeyRecord = {
      id: `SK${randomId(18)}`,
      secret: randomBytes(30).toString('base64').replaceAll('+', 'A').replaceAll('/', 'B'),
      principal: input.principal,
      createdAt: this.deps.clock.now().toISOString(),
    };
    await this.deps.metadata.createAccessKey(key);
    return key;
  }

  async list(ctx: CallContext): Promise<AccessKeyInfo[]> {
    await authorize(this.deps, ctx, { action: 'access-key:list' });
    return (await this.deps.metadata.listAccessKeys()).map(({ secret: _secret, ...info }) => info);
  }

  async revoke(ctx: CallContext, id: string): Promise<void> {
    await authorize(this.deps, ctx, { action: 'access-key:revoke' });
    if (!(await this.deps.metadata.revokeAccessKey(id, this.deps.clock.now().toISOString()))) {
      throw notFound(`no active access key '${id}'`);
    }
  }

  /** The active key with this id, for signature verification; undefined if unknown or revoked. */
  async resolve(id: string): Promise<AccessKeyRecord | undefined> {
    const key = await this.deps.metadata.getAccessKey(id);
    return key?.revokedAt === undefined ? key : undefined;
  }
}

function randomId(length: number): string {
  const bytes = randomBytes(length);
  return Array.from(bytes, (b) => ID_ALPHABET[b & 31]).join('');
}
