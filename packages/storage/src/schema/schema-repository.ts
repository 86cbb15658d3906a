/**
 * The record-type schema of each (container, environment). Development learns types and
 * fields just-in-time as records are saved; production changes only by promote(), which
 * copies the development schema additively. A field's type and its encrypted flag never
 * change once recorded; a field may become queryable (indexed) but never stops being so.
 */
import type { Kysely, Transaction } from 'kysely';
import type { DatabaseSchema } from '../database-schema.js';

export interface SchemaField {
  fieldName: string;
  fieldType: string;
  encrypted: boolean;
  /** Queryable: the field's plaintext values are indexed (always false for encrypted fields). Input default false. */
  indexed?: boolean;
}

export interface SchemaRecordType {
  recordType: string;
  fields: Map<string, SchemaField>;
}

export type ContainerSchema = Map<string, SchemaRecordType>;

export interface PromoteResult {
  addedTypes: string[];
  addedFields: { recordType: string; fieldName: string }[];
  /** Fields that became queryable in production (new or existing fields); their index needs a backfill. */
  addedIndexes: { recordType: string; fieldName: string }[];
  /** Fields whose production type or encryption differs from development; promote refuses these and changes nothing. */
  conflicts: { recordType: string; fieldName: string; production: SchemaField; development: SchemaField }[];
}

export interface SchemaRepository {
  /** The schema of the given record types (all types when omitted). */
  get(container: string, environment: string, recordTypes?: readonly string[]): Promise<ContainerSchema>;
  /**
   * Records types and fields that do not exist yet (insert-if-absent, safe under races)
   * and returns the schema of those types as stored afterwards, so the caller can check
   * that a concurrent writer did not record a field with another type first.
   */
  learn(container: string, environment: string, types: readonly { recordType: string; fields: readonly SchemaField[] }[]): Promise<ContainerSchema>;
  /** Copies development → production, additively (types, fields, queryable flags); all or nothing. */
  promote(container: string): Promise<PromoteResult>;
  /**
   * Makes a field queryable. Returns false when it already was. The caller then backfills
   * the index (records.backfillIndex); writes from then on index the field themselves.
   */
  markIndexed(container: string, environment: string, recordType: string, fieldName: string): Promise<boolean>;
  /** Containers that have a development schema (for `coffer schema promote` without an argument). */
  containers(): Promise<string[]>;
}

export function createSchemaRepository(db: Kysely<DatabaseSchema>): SchemaRepository {
  async function get(container: string, environment: string, recordTypes?: readonly string[]): Promise<ContainerSchema> {
    if (recordTypes?.length === 0) return new Map();
    let typesQuery = db.selectFrom('schema_types').select('record_type').where('container', '=', container).where('environment', '=', environment);
    let fieldsQuery = db.selectFrom('schema_fields').selectAll().where('container', '=', container).where('environment', '=', environment);
    if (recordTypes) {
      typesQuery = typesQuery.where('record_type', 'in', recordTypes);
      fieldsQuery = fieldsQuery.where('record_type', 'in', recordTypes);
    }
    const [types, fields] = await Promise.all([typesQuery.execute(), fieldsQuery.execute()]);
    const schema: ContainerSchema = new Map();
    for (const t of types) schema.set(t.record_type, { recordType: t.record_type, fields: new Map() });
    for (const f of fields) {
      schema.get(f.record_type)?.fields.set(f.field_name, { fieldName: f.field_name, fieldType: f.field_type, encrypted: f.encrypted === 1, indexed: f.indexed === 1 });
    }
    return schema;
  }

  return {
    get,

    async learn(container, environment, types) {
      if (types.length === 0) return new Map();
      const now = Date.now();
      await db.transaction().execute(async (trx) => {
        await trx
          .insertInto('schema_types')
          .values(types.map((t) => ({ container, environment, record_type: t.recordType, created_at: now })))
          .onConflict((oc) => oc.doNothing())
          .execute();
        const fieldRows = types.flatMap((t) =>
          t.fields.map((f) => ({
            container,
            environment,
            record_type: t.recordType,
            field_name: f.fieldName,
            field_type: f.fieldType,
            encrypted: f.encrypted ? 1 : 0,
            indexed: f.indexed === true && !f.encrypted ? 1 : 0,
            created_at: now,
          })),
        );
        for (let i = 0; i < fieldRows.length; i += 1000) {
          await trx.insertInto('schema_fields').values(fieldRows.slice(i, i + 1000)).onConflict((oc) => oc.doNothing()).execute();
        }
      });
      return get(container, environment, types.map((t) => t.recordType));
    },

    async promote(container) {
      return db.transaction().execute(async (trx) => {
        const dev = await trx.selectFrom('schema_fields').selectAll().where('container', '=', container).where('environment', '=', 'development').execute();
        const devTypes = await trx.selectFrom('schema_types').select('record_type').where('container', '=', container).where('environment', '=', 'development').execute();
        const prod = await trx.selectFrom('schema_fields').selectAll().where('container', '=', container).where('environment', '=', 'production').execute();
        const prodTypes = new Set(
          (await trx.selectFrom('schema_types').select('record_type').where('container', '=', container).where('environment', '=', 'production').execute()).map((t) => t.record_type),
        );
        const prodFields = new Map(prod.map((f) => [`${f.record_type}\u0000${f.field_name}`, f]));
        const result: PromoteResult = { addedTypes: [], addedFields: [], addedIndexes: [], conflicts: [] };
        const now = Date.now();
        for (const t of devTypes) if (!prodTypes.has(t.record_type)) result.addedTypes.push(t.record_type);
        const newFields = [];
        for (const f of dev) {
          const existing = prodFields.get(`${f.record_type}\u0000${f.field_name}`);
          const ref = { recordType: f.record_type, fieldName: f.field_name };
          if (!existing) {
            result.addedFields.push(ref);
            if (f.indexed === 1) result.addedIndexes.push(ref);
            newFields.push({ ...f, environment: 'production', created_at: now });
          } else if (existing.field_type !== f.field_type || existing.encrypted !== f.encrypted) {
            const view = (x: typeof f): SchemaField => ({ fieldName: x.field_name, fieldType: x.field_type, encrypted: x.encrypted === 1, indexed: x.indexed === 1 });
            result.conflicts.push({ recordType: f.record_type, fieldName: f.field_name, production: view(existing), development: view(f) });
          } else if (f.indexed === 1 && existing.indexed !== 1) {
            result.addedIndexes.push(ref);
          }
        }
        if (result.conflicts.length > 0) return { addedTypes: [], addedFields: [], addedIndexes: [], conflicts: result.conflicts };
        for (const { recordType, fieldName } of result.addedIndexes) {
          await trx
            .updateTable('schema_fields')
            .set({ indexed: 1 })
            .where('container', '=', container)
            .where('environment', '=', 'production')
            .where('record_type', '=', recordType)
            .where('field_name', '=', fieldName)
            .execute();
        }
        if (result.addedTypes.length > 0) {
          await trx.insertInto('schema_types').values(result.addedTypes.map((record_type) => ({ container, environment: 'production', record_type, created_at: now }))).execute();
        }
        for (let i = 0; i < newFields.length; i += 1000) await trx.insertInto('schema_fields').values(newFields.slice(i, i + 1000)).execute();
        return result;
      });
    },

    async markIndexed(container, environment, recordType, fieldName) {
      const result = await db
        .updateTable('schema_fields')
        .set({ indexed: 1 })
        .where('container', '=', container)
        .where('environment', '=', environment)
        .where('record_type', '=', recordType)
        .where('field_name', '=', fieldName)
        .where('encrypted', '=', 0)
        .where('indexed', '=', 0)
        .executeTakeFirst();
      return result.numUpdatedRows > 0n;
    },

    async containers() {
      const rows = await db.selectFrom('schema_types').select('container').distinct().where('environment', '=', 'development').orderBy('container').execute();
      return rows.map((r) => r.container);
    },
  };
}

/** `recordType\u0000fieldName` keys of the queryable fields of these types, read inside a write transaction. */
export async function indexedFieldsIn(trx: Transaction<DatabaseSchema>, container: string, environment: string, recordTypes: readonly string[]): Promise<Set<string>> {
  if (recordTypes.length === 0) return new Set();
  const rows = await trx
    .selectFrom('schema_fields')
    .select(['record_type', 'field_name'])
    .where('container', '=', container)
    .where('environment', '=', environment)
    .where('record_type', 'in', recordTypes)
    .where('indexed', '=', 1)
    .execute();
  return new Set(rows.map((r) => `${r.record_type}\u0000${r.field_name}`));
}
