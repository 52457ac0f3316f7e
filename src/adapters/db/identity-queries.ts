import { sql, type Kysely, type Selectable } from 'kysely';
import type { PolicyDocument } from '../../core/access/policy.ts';
import { conflict } from '../../core/errors.ts';
import type { IdentityStore, PolicyRecord, PrincipalKind, PrincipalRecord, TokenRecord } from '../../core/ports/identity-store.ts';
import type { ApiTokensTable, Database, PrincipalsTable } from './schema.ts';

const VERSION_KEY = 'version';

export class KyselyIdentityStore implements IdentityStore {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly isUniqueViolation: (error: unknown) => boolean,
  ) {}

  async createPrincipal(principal: PrincipalRecord): Promise<void> {
    try {
      await this.db
        .insertInto('principals')
        .values({ id: principal.id, kind: principal.kind, created_at: principal.createdAt, created_by: principal.createdBy, disabled_at: principal.disabledAt ?? null })
        .execute();
    } catch (error) {
      if (this.isUniqueViolation(error)) throw conflict(`principal '${principal.id}' exists`);
      throw error;
    }
  }

  async getPrincipal(id: string): Promise<PrincipalRecord | undefined> {
    const row = await this.db.selectFrom('principals').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toPrincipal(row);
  }

  async listPrincipals(): Promise<PrincipalRecord[]> {
    return (await this.db.selectFrom('principals').selectAll().orderBy('id').execute()).map(toPrincipal);
  }

  disablePrincipal(id: string, at: string): Promise<boolean> {
    return this.changing(async (trx) => {
      const result = await trx.updateTable('principals').set({ disabled_at: at }).where('id', '=', id).where('disabled_at', 'is', null).executeTakeFirst();
      return result.numUpdatedRows > 0n;
    });
  }

  async countPrincipals(): Promise<number> {
    const row = await this.db.selectFrom('principals').select((eb) => eb.fn.countAll<string | number>().as('n')).executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  async addMember(group: string, member: string): Promise<void> {
    await this.changing((trx) => trx.insertInto('group_members').values({ group_id: group, member_id: member }).onConflict((oc) => oc.doNothing()).execute());
  }

  removeMember(group: string, member: string): Promise<boolean> {
    return this.changing(async (trx) => (await trx.deleteFrom('group_members').where('group_id', '=', group).where('member_id', '=', member).executeTakeFirst()).numDeletedRows > 0n);
  }

  async groupsOf(member: string): Promise<string[]> {
    return (await this.db.selectFrom('group_members').select('group_id').where('member_id', '=', member).orderBy('group_id').execute()).map((r) => r.group_id);
  }

  async membersOf(group: string): Promise<string[]> {
    return (await this.db.selectFrom('group_members').select('member_id').where('group_id', '=', group).orderBy('member_id').execute()).map((r) => r.member_id);
  }

  async putPolicy(policy: PolicyRecord): Promise<void> {
    const values = { name: policy.name, document: JSON.stringify(policy.document), updated_at: policy.updatedAt, updated_by: policy.updatedBy };
    await this.changing((trx) =>
      trx
        .insertInto('policies')
        .values(values)
        .onConflict((oc) => oc.column('name').doUpdateSet({ document: values.document, updated_at: values.updated_at, updated_by: values.updated_by }))
        .execute(),
    );
  }

  async getPolicy(name: string): Promise<PolicyRecord | undefined> {
    const row = await this.db.selectFrom('policies').selectAll().where('name', '=', name).executeTakeFirst();
    return row && { name: row.name, document: JSON.parse(row.document) as PolicyDocument, updatedAt: row.updated_at, updatedBy: row.updated_by };
  }

  async listPolicies(): Promise<PolicyRecord[]> {
    const rows = await this.db.selectFrom('policies').selectAll().orderBy('name').execute();
    return rows.map((row) => ({ name: row.name, document: JSON.parse(row.document) as PolicyDocument, updatedAt: row.updated_at, updatedBy: row.updated_by }));
  }

  async attach(policy: string, principal: string): Promise<void> {
    await this.changing((trx) => trx.insertInto('policy_attachments').values({ policy, principal }).onConflict((oc) => oc.doNothing()).execute());
  }

  detach(policy: string, principal: string): Promise<boolean> {
    return this.changing(async (trx) => (await trx.deleteFrom('policy_attachments').where('policy', '=', policy).where('principal', '=', principal).executeTakeFirst()).numDeletedRows > 0n);
  }

  async attachedTo(principals: string[]): Promise<Array<{ principal: string; policy: string }>> {
    if (principals.length === 0) return [];
    return this.db.selectFrom('policy_attachments').select(['principal', 'policy']).where('principal', 'in', principals).orderBy('principal').orderBy('policy').execute();
  }

  async createToken(token: TokenRecord): Promise<void> {
    await this.db
      .insertInto('api_tokens')
      .values({
        id: token.id,
        principal: token.principal,
        secret_hash: token.secretHash,
        name: token.name,
        created_at: token.createdAt,
        expires_at: token.expiresAt ?? null,
        revoked_at: null,
        roles: token.roles === undefined ? null : JSON.stringify(token.roles),
      })
      .execute();
  }

  async getToken(id: string): Promise<TokenRecord | undefined> {
    const row = await this.db.selectFrom('api_tokens').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toToken(row);
  }

  async listTokens(principal?: string): Promise<TokenRecord[]> {
    let query = this.db.selectFrom('api_tokens').selectAll();
    if (principal !== undefined) query = query.where('principal', '=', principal);
    return (await query.orderBy('created_at').orderBy('id').execute()).map(toToken);
  }

  async revokeToken(id: string, at: string): Promise<boolean> {
    const result = await this.db.updateTable('api_tokens').set({ revoked_at: at }).where('id', '=', id).where('revoked_at', 'is', null).executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  async version(): Promise<number> {
    return Number((await this.getSetting(VERSION_KEY)) ?? '0');
  }

  async getSetting(key: string): Promise<string | undefined> {
    return (await this.db.selectFrom('identity_settings').select('value').where('key', '=', key).executeTakeFirst())?.value;
  }

  async setSettingOnce(key: string, value: string): Promise<string> {
    await this.db.insertInto('identity_settings').values({ key, value }).onConflict((oc) => oc.column('key').doNothing()).execute();
    return (await this.getSetting(key)) ?? value;
  }

  /** Runs a change and bumps the version in the same transaction. */
  private changing<T>(change: (trx: Kysely<Database>) => Promise<T>): Promise<T> {
    return this.db.transaction().execute(async (trx) => {
      const result = await change(trx);
      await trx
        .insertInto('identity_settings')
        .values({ key: VERSION_KEY, value: '1' })
        .onConflict((oc) => oc.column('key').doUpdateSet({ value: sql<string>`cast(cast(identity_settings.value as integer) + 1 as text)` }))
        .execute();
      return result;
    });
  }
}

function toPrincipal(row: Selectable<PrincipalsTable>): PrincipalRecord {
  return { id: row.id, kind: row.kind as PrincipalKind, createdAt: row.created_at, createdBy: row.created_by, ...(row.disabled_at === null ? {} : { disabledAt: row.disabled_at }) };
}

function toToken(row: Selectable<ApiTokensTable>): TokenRecord {
  return {
    id: row.id,
    principal: row.principal,
    secretHash: row.secret_hash,
    name: row.name,
    createdAt: row.created_at,
    ...(row.expires_at === null ? {} : { expiresAt: row.expires_at }),
    ...(row.revoked_at === null ? {} : { revokedAt: row.revoked_at }),
    ...(row.roles === null ? {} : { roles: JSON.parse(row.roles) as string[] }),
  };
}
