/**
 * 0001-records: databases, zones, records, the query index, schema, quota usage,
 * service keys and server meta. The only engine-specific DDL is the identity column and
 * the text collation of the query index (byte order on both engines, so sorting and
 * range filters on STRING give the same answer on SQLite and PostgreSQL).
 */
import { sql, type CreateTableBuilder, type Kysely, type Migration } from 'kysely';
import { dialectKindOf } from '../dialect/dialect-kind.js';

/** Characters of a STRING value that the text index covers; longer values are compared in full after the index narrows. */
export const TEXT_INDEX_PREFIX = 200;

export const migration0001Records: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    const kind = dialectKindOf(db);
    const withId = <T extends string>(table: CreateTableBuilder<T>) =>
      kind === 'postgres'
        ? table.addColumn('id', 'bigserial', (c) => c.primaryKey())
        : table.addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement());

    await withId(db.schema.createTable('databases'))
      .addColumn('container', 'text', (c) => c.notNull())
      .addColumn('environment', 'text', (c) => c.notNull())
      .addColumn('scope', 'text', (c) => c.notNull())
      .addColumn('owner', 'text', (c) => c.notNull())
      .addColumn('seq', 'bigint', (c) => c.notNull().defaultTo(0))
      .addColumn('history_floor', 'bigint', (c) => c.notNull().defaultTo(0))
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addUniqueConstraint('databases_identity', ['container', 'environment', 'scope', 'owner'])
      .execute();

    await withId(db.schema.createTable('zones'))
      .addColumn('database_id', 'bigint', (c) => c.notNull().references('databases.id'))
      .addColumn('zone_name', 'text', (c) => c.notNull())
      .addColumn('incarnation', 'integer', (c) => c.notNull().defaultTo(1))
      .addColumn('atomic', 'integer', (c) => c.notNull().defaultTo(1))
      .addColumn('deleted', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('change_seq', 'bigint', (c) => c.notNull())
      .addColumn('zone_keys', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addUniqueConstraint('zones_name', ['database_id', 'zone_name'])
      .execute();
    await db.schema.createIndex('zones_changes').on('zones').columns(['database_id', 'change_seq']).execute();

    await withId(db.schema.createTable('records'))
      .addColumn('zone_id', 'bigint', (c) => c.notNull().references('zones.id'))
      .addColumn('record_name', 'text', (c) => c.notNull())
      .addColumn('record_type', 'text', (c) => c.notNull())
      .addColumn('change_tag', 'text', (c) => c.notNull())
      .addColumn('change_seq', 'bigint', (c) => c.notNull())
      .addColumn('deleted', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('fields', 'text', (c) => c.notNull())
      .addColumn('protection', 'text')
      .addColumn('size', 'bigint', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('created_by', 'text', (c) => c.notNull())
      .addColumn('created_device', 'text', (c) => c.notNull())
      .addColumn('modified_at', 'bigint', (c) => c.notNull())
      .addColumn('modified_by', 'text', (c) => c.notNull())
      .addColumn('modified_device', 'text', (c) => c.notNull())
      .addUniqueConstraint('records_name', ['zone_id', 'record_name'])
      .execute();
    await db.schema.createIndex('records_changes').on('records').columns(['zone_id', 'change_seq']).execute();
    await db.schema.createIndex('records_by_type').on('records').columns(['zone_id', 'record_type', 'deleted', 'id']).execute();

    await db.schema
      .createTable('record_fields')
      .addColumn('record_id', 'bigint', (c) => c.notNull().references('records.id').onDelete('cascade'))
      .addColumn('zone_id', 'bigint', (c) => c.notNull())
      .addColumn('record_type', 'text', (c) => c.notNull())
      .addColumn('field_name', 'text', (c) => c.notNull())
      .addColumn('position', 'integer', (c) => c.notNull())
      // Byte order ("C") on PostgreSQL matches SQLite's default BINARY collation.
      .addColumn('v_text', kind === 'postgres' ? sql`text collate "C"` : 'text')
      .addColumn('v_int', 'bigint')
      .addColumn('v_real', kind === 'postgres' ? 'double precision' : 'real')
      .execute();
    // Serves the sort join (a record's scalar row of one field) and deletes by record.
    await db.schema.createIndex('record_fields_record').on('record_fields').columns(['record_id', 'field_name', 'position']).execute();
    // Partial indexes: a row has exactly one non-null value column, so it enters only the
    // index that can answer for it (one index insert per value instead of three).
    // Queries repeat the `… is not null` term so both planners match the index predicate.
    await db.schema
      .createIndex('record_fields_int')
      .on('record_fields')
      .columns(['zone_id', 'record_type', 'field_name', 'v_int'])
      .where(sql.ref('v_int'), 'is not', null)
      .execute();
    await db.schema
      .createIndex('record_fields_real')
      .on('record_fields')
      .columns(['zone_id', 'record_type', 'field_name', 'v_real'])
      .where(sql.ref('v_real'), 'is not', null)
      .execute();
    // A prefix expression keeps index entries small (PostgreSQL B-tree entries must stay
    // under ~2.7 kB); queries compare the same prefix expression, then the full value.
    await sql`create index record_fields_text on record_fields (zone_id, record_type, field_name, substr(v_text, 1, ${sql.lit(TEXT_INDEX_PREFIX)})) where v_text is not null`.execute(db);

    await db.schema
      .createTable('schema_types')
      .addColumn('container', 'text', (c) => c.notNull())
      .addColumn('environment', 'text', (c) => c.notNull())
      .addColumn('record_type', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('schema_types_pk', ['container', 'environment', 'record_type'])
      .execute();

    await db.schema
      .createTable('schema_fields')
      .addColumn('container', 'text', (c) => c.notNull())
      .addColumn('environment', 'text', (c) => c.notNull())
      .addColumn('record_type', 'text', (c) => c.notNull())
      .addColumn('field_name', 'text', (c) => c.notNull())
      .addColumn('field_type', 'text', (c) => c.notNull())
      .addColumn('encrypted', 'integer', (c) => c.notNull())
      // Queryable: the field's values go into record_fields. Only such fields can be filtered or sorted on.
      .addColumn('indexed', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('schema_fields_pk', ['container', 'environment', 'record_type', 'field_name'])
      .execute();

    await db.schema
      .createTable('usage')
      .addColumn('subject', 'text', (c) => c.primaryKey())
      .addColumn('bytes', 'bigint', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('service_keys')
      .addColumn('owner', 'text', (c) => c.notNull())
      .addColumn('key_id', 'text', (c) => c.notNull())
      .addColumn('version', 'integer', (c) => c.notNull())
      .addColumn('category', 'text', (c) => c.notNull())
      .addColumn('wrapped_by_keychain', 'text')
      .addColumn('escrow_sealed', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('service_keys_pk', ['owner', 'key_id'])
      // One key per version of a category: two devices racing to create the first key cannot both win.
      .addUniqueConstraint('service_keys_version', ['owner', 'category', 'version'])
      .execute();

    await db.schema
      .createTable('server_meta')
      .addColumn('key', 'text', (c) => c.primaryKey())
      .addColumn('value', 'text', (c) => c.notNull())
      .execute();
  },

  async down(db: Kysely<unknown>): Promise<void> {
    for (const table of ['server_meta', 'service_keys', 'usage', 'schema_fields', 'schema_types', 'record_fields', 'records', 'zones', 'databases']) {
      await db.schema.dropTable(table).ifExists().execute();
    }
  },
};
