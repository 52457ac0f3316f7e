import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AesGcmSealer } from '../../src/adapters/secrets/aes-gcm-sealer.ts';
import { AccessKeyService } from '../../src/core/access/access-key-service.ts';
import { systemClock } from '../../src/core/ports/clock.ts';
import { createTestCore, ctx, DIALECTS, errorCode, type TestCore } from '../support/core.ts';

describe.each(DIALECTS)('S3 secrets at rest on %s', (dialect) => {
  let t: TestCore;
  beforeEach(async () => {
    t = await createTestCore(dialect);
  });
  afterEach(async () => {
    await t.dispose();
  });

  it('stores a secret sealed with the key outside the database, and opens it for verification', async () => {
    const key = await t.core.accessKeys.create(ctx, { principal: 'ada', id: 'AKIAEXAMPLEMIGRATED1', secret: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' });
    const stored = (await t.metadata.getAccessKey(key.id))?.secret ?? '';
    expect(stored).toMatch(/^aes256gcm:[0-9a-f]{8}:[\w-]{16}:[\w-]+:[\w-]{22}$/);
    expect(stored).not.toContain('wJalrXUtnFEMI');
    expect((await t.core.accessKeys.resolve(key.id))?.secret).toBe('wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY');
    expect(((await stat(join(t.dir, 's3-secrets.key'))).mode & 0o777).toString(8)).toBe('600');
  });

  it('binds a sealed secret to its key id: copied to another row it does not open', () => {
    const sealer = AesGcmSealer.open(join(t.dir, 's3-secrets.key'), { create: false });
    const sealed = sealer.seal('a secret of twenty chars', 'AKIAONE');
    expect(sealer.open(sealed, 'AKIAONE')).toBe('a secret of twenty chars');
    expect(() => sealer.open(sealed, 'AKIATWO')).toThrow('Unsupported state or unable to authenticate data');
  });

  it('seals keys stored in plain text before sealing existed, once', async () => {
    await t.metadata.createAccessKey({ id: 'AKIALEGACYPLAINKEY01', secret: 'legacy-plain-secret-0123', principal: 'ada', createdAt: new Date().toISOString() });
    expect((await t.core.accessKeys.resolve('AKIALEGACYPLAINKEY01'))?.secret).toBe('legacy-plain-secret-0123');
    expect(await t.core.accessKeys.sealStored()).toBe(1);
    expect(await t.core.accessKeys.sealStored()).toBe(0);
    expect((await t.metadata.getAccessKey('AKIALEGACYPLAINKEY01'))?.secret).toMatch(/^aes256gcm:/);
    expect((await t.core.accessKeys.resolve('AKIALEGACYPLAINKEY01'))?.secret).toBe('legacy-plain-secret-0123');
  });

  it('names a wrong secrets key instead of failing as a bad signature', async () => {
    const key = await t.core.accessKeys.create(ctx, { principal: 'ada' });
    const other = new AccessKeyService({ metadata: t.metadata, authorizer: { authorize: () => Promise.resolve() }, clock: systemClock }, AesGcmSealer.open(join(t.dir, 'other.key'), { create: true }));
    expect(await errorCode(other.resolve(key.id))).toBe('Unavailable');
    await expect(other.resolve(key.id)).rejects.toThrow(new RegExp(`^the secret of access key ${key.id} cannot be opened with this server's secrets key \\(STRATA_SECRETS_KEY_FILE\\): sealed with another key`));
  });
});
