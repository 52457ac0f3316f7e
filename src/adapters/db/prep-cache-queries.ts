import type { Kysely } from 'kysely';
import type { PrepCacheLocation, PrepCacheStore } from '../../core/ports/prep-cache-store.ts';
import type { Database } from './schema.ts';

export class KyselyPrepCacheStore implements PrepCacheStore {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly maxRowsPerInsert: number,
  ) {}

  async lookup(keys: string[]): Promise<Map<string, PrepCacheLocation>> {
    const found = new Map<string, PrepCacheLocation>();
    for (let i = 0; i < keys.length; i += this.maxRowsPerInsert) {
      const rows = await this.db.selectFrom('prep_cache').selectAll().where('key', 'in', keys.slice(i, i + this.maxRowsPerInsert)).execute();
      for (const row of rows) found.set(row.key, { blob: row.blob, offset: Number(row.byte_offset), length: Number(row.byte_length) });
    }
    return found;
  }

  async record(entries: Array<PrepCacheLocation & { key: string; source: string }>): Promise<void> {
    const rows = entries.map((e) => ({ key: e.key, blob: e.blob, byte_offset: e.offset, byte_length: e.length, source_sha256: e.source }));
    const batch = this.maxRowsPerInsert;
    for (let i = 0; i < rows.length; i += batch) {
      await this.db
        .insertInto('prep_cache')
        .values(rows.slice(i, i + batch))
        .onConflict((oc) => oc.column('key').doNothing())
        .execute();
    }
  }
}
