/** The asset tables (migration 0003-assets) and the quota table they charge, as Kysely types. */
import type { ColumnType, Kysely } from 'kysely';

/** bigint columns come back as string (pg) or number (SQLite); written as number. */
type BigIntColumn = ColumnType<number | string, number, number>;

export type ChunkState = 'pending' | 'stored' | 'deleting';

export interface AssetChunksTable {
  user_id: string;
  chunk_id: string;
  blob_id: string;
  size: BigIntColumn;
  state: ChunkState;
  lease_until: BigIntColumn;
  uploaded_at: BigIntColumn;
}

export interface AssetChunkRefsTable {
  user_id: string;
  ref: string;
  chunk_id: string;
}

/** Owned by the record store (0001-records); subjects are `user:<userRecordName>`. */
export interface UsageTable {
  subject: string;
  bytes: BigIntColumn;
}

export interface AssetTables {
  asset_chunks: AssetChunksTable;
  asset_chunk_refs: AssetChunkRefsTable;
  usage: UsageTable;
}

export type AssetDb = Kysely<AssetTables>;

/** Any Kysely instance or transaction over a schema that includes the asset tables. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- callers pass their own schema's Kysely/Transaction
export type AnyKysely = Kysely<any>;

export function assetDb(db: AnyKysely): AssetDb {
  return db as AssetDb;
}

export function num(value: number | string | bigint): number {
  return typeof value === 'number' ? value : Number(value);
}
