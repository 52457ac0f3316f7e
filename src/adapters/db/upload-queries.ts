import { sql, type Kysely } from 'kysely';
import { prefixEnd } from '../../core/keys.ts';
import type { ObjectTemplate } from '../../core/objects/entry.ts';
import type { StoredContent } from '../../core/objects/object-store.ts';
import type { PartRecord, UploadRecord } from '../../core/ports/metadata-store.ts';
import type { Database, MultipartPartsTable, MultipartUploadsTable } from './schema.ts';

export async function create(db: Kysely<Database>, upload: UploadRecord): Promise<void> {
  await db
    .insertInto('multipart_uploads')
    .values({
      id: upload.id,
      repository: upload.repository,
      branch: upload.branch,
      path: upload.path,
      initiated_at: upload.initiatedAt,
      initiator: upload.initiator,
      template: JSON.stringify(upload.template),
    })
    .execute();
}

export async function get(db: Kysely<Database>, id: string): Promise<UploadRecord | undefined> {
  const row = await db.selectFrom('multipart_uploads').selectAll().where('id', '=', id).executeTakeFirst();
  return row && toUpload(row);
}

/** Ordered by (path, id); `after` resumes past a path (and, within it, past an upload id). */
export async function list(
  db: Kysely<Database>,
  repository: string,
  options: { prefix?: string; after?: { path: string; id?: string }; limit: number },
): Promise<UploadRecord[]> {
  let query = db.selectFrom('multipart_uploads').selectAll().where('repository', '=', repository);
  const prefix = options.prefix ?? '';
  if (prefix !== '') {
    query = query.where('path', '>=', prefix);
    const end = prefixEnd(prefix);
    if (end !== undefined) query = query.where('path', '<', end);
  }
  const after = options.after;
  if (after !== undefined) {
    const afterId = after.id;
    query =
      afterId === undefined
        ? query.where('path', '>', after.path)
        : query.where((eb) => eb.or([eb('path', '>', after.path), eb.and([eb('path', '=', after.path), eb('id', '>', afterId)])]));
  }
  const rows = await query.orderBy('path').orderBy('id').limit(options.limit).execute();
  return rows.map(toUpload);
}

/** Adds an upload of a part number, or (the same bytes again) makes it the latest. */
export async function putPart(db: Kysely<Database>, part: PartRecord): Promise<void> {
  const version = db
    .selectFrom('multipart_parts')
    .select(sql<number>`coalesce(max(version), 0) + 1`.as('next'))
    .where('upload_id', '=', part.uploadId)
    .where('part_number', '=', part.partNumber);
  const values = { upload_id: part.uploadId, part_number: part.partNumber, md5: part.content.md5, version, content: JSON.stringify(part.content), last_modified: part.lastModified };
  await db
    .insertInto('multipart_parts')
    .values(values)
    .onConflict((oc) => oc.columns(['upload_id', 'part_number', 'md5']).doUpdateSet({ version, content: values.content, last_modified: values.last_modified }))
    .execute();
}

/** The latest upload of each part number, in part-number order. */
export async function listParts(db: Kysely<Database>, uploadId: string, options: { after?: number; limit: number }): Promise<PartRecord[]> {
  const rows = await db
    .selectFrom('multipart_parts as p')
    .selectAll()
    .where('p.upload_id', '=', uploadId)
    .where('p.part_number', '>', options.after ?? 0)
    .where((outer) =>
      outer.not(
        outer.exists(
          outer
            .selectFrom('multipart_parts as later')
            .select('later.md5')
            .whereRef('later.upload_id', '=', 'p.upload_id')
            .whereRef('later.part_number', '=', 'p.part_number')
            .where((eb) => eb.or([eb('later.version', '>', eb.ref('p.version')), eb.and([eb('later.version', '=', eb.ref('p.version')), eb('later.md5', '>', eb.ref('p.md5'))])])),
        ),
      ),
    )
    .orderBy('p.part_number')
    .limit(options.limit)
    .execute();
  return rows.map(toPart);
}

/** The uploads of the given (part number, MD5) pairs that exist, in any order. */
export async function findParts(db: Kysely<Database>, uploadId: string, wanted: Array<{ partNumber: number; md5: string }>): Promise<PartRecord[]> {
  const found: PartRecord[] = [];
  for (let i = 0; i < wanted.length; i += 500) {
    const batch = wanted.slice(i, i + 500);
    const rows = await db
      .selectFrom('multipart_parts')
      .selectAll()
      .where('upload_id', '=', uploadId)
      .where((eb) => eb.or(batch.map((w) => eb.and([eb('part_number', '=', w.partNumber), eb('md5', '=', w.md5)]))))
      .execute();
    found.push(...rows.map(toPart));
  }
  return found;
}

export async function remove(db: Kysely<Database>, id: string): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    await trx.deleteFrom('multipart_parts').where('upload_id', '=', id).execute();
    const deleted = await trx.deleteFrom('multipart_uploads').where('id', '=', id).executeTakeFirst();
    return deleted.numDeletedRows > 0n;
  });
}

function toUpload(row: MultipartUploadsTable): UploadRecord {
  return {
    id: row.id,
    repository: row.repository,
    branch: row.branch,
    path: row.path,
    initiatedAt: row.initiated_at,
    initiator: row.initiator,
    template: JSON.parse(row.template) as ObjectTemplate,
  };
}

function toPart(row: MultipartPartsTable): PartRecord {
  return { uploadId: row.upload_id, partNumber: row.part_number, content: JSON.parse(row.content) as StoredContent, lastModified: row.last_modified };
}
