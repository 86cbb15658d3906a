/**
 * 0003-assets: which encrypted asset chunks each user has stored, and which records
 * reference them (packages/server/src/assets owns the queries; docs/ASSETS.md).
 *
 * asset_chunks — one row per (user, chunk id). `size` is the ciphertext bytes charged
 *   to the user's quota (reserved when an upload starts, kept while stored). `state` is
 *   `pending` (upload under way), `stored`, or `deleting` (the garbage collector has
 *   claimed it). `lease_until` keeps a chunk alive while a client is between
 *   `assets/missing` and its commit; `uploaded_at` starts the grace period.
 * asset_chunk_refs — one row per (user, referencing record, chunk): a chunk with no row
 *   here, no lease and no recent upload is garbage.
 * Chunk ids are keyed HMACs (never content hashes); nothing here names a file.
 * Portable DDL only, as in 0002.
 */
import type { Kysely, Migration } from 'kysely';

export const migration0003Assets: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('asset_chunks')
      .addColumn('user_id', 'text', (c) => c.notNull())
      .addColumn('chunk_id', 'text', (c) => c.notNull())
      .addColumn('blob_id', 'text', (c) => c.notNull())
      .addColumn('size', 'bigint', (c) => c.notNull())
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('lease_until', 'bigint', (c) => c.notNull())
      .addColumn('uploaded_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('asset_chunks_pk', ['user_id', 'chunk_id'])
      .execute();
    await db.schema.createIndex('asset_chunks_gc').on('asset_chunks').columns(['lease_until', 'uploaded_at']).execute();

    await db.schema
      .createTable('asset_chunk_refs')
      .addColumn('user_id', 'text', (c) => c.notNull())
      .addColumn('ref', 'text', (c) => c.notNull())
      .addColumn('chunk_id', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('asset_chunk_refs_pk', ['user_id', 'ref', 'chunk_id'])
      .execute();
    await db.schema.createIndex('asset_chunk_refs_chunk').on('asset_chunk_refs').columns(['user_id', 'chunk_id']).execute();
  },

  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.dropTable('asset_chunk_refs').execute();
    await db.schema.dropTable('asset_chunks').execute();
  },
};
