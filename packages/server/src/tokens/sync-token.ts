/**
 * Sync tokens: a position in a database's change sequence, for one zone's records
 * (records/changes, changes/zone) or for the database's zones (zones/changes,
 * changes/database). An empty token means "from the beginning".
 */
import type { DatabaseInfo, ZoneInfo } from '@coffer/storage';
import { CloudError } from '../http/cloud-error.js';
import type { TokenCodec } from './token-codec.js';

interface ZonePosition { v: 1; k: 'zone'; db: number; z: number; i: number; s: number }
interface DatabasePosition { v: 1; k: 'db'; db: number; s: number }

const expired = (reason: string) => new CloudError('CHANGE_TOKEN_EXPIRED', `syncToken ${reason}; start again without a syncToken`);

function checkSeq(seq: unknown, database: DatabaseInfo): number {
  if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 0) throw expired('is malformed');
  if (seq > database.seq) throw expired('is ahead of this database (was the database restored from a backup?)');
  if (seq < database.historyFloor) throw expired('has expired: change history before it was purged');
  return seq;
}

export function sealZoneToken(codec: TokenCodec, zone: ZoneInfo, seq: number): string {
  const payload: ZonePosition = { v: 1, k: 'zone', db: zone.databaseId, z: zone.id, i: zone.incarnation, s: seq };
  return codec.seal(payload);
}

/** The sequence position of a records syncToken for `zone` (0 for none). */
export function openZoneToken(codec: TokenCodec, token: string | undefined, zone: ZoneInfo, database: DatabaseInfo): number {
  if (token === undefined || token === '') return 0;
  const p = codec.open(token, 'syncToken');
  if (p.v !== 1 || p.k !== 'zone') throw expired('is not a record-changes token of this zone');
  if (p.db !== zone.databaseId || p.z !== zone.id) throw expired('belongs to another zone or database');
  if (p.i !== zone.incarnation) throw expired('belongs to an earlier incarnation of this zone (it was deleted and created again)');
  return checkSeq(p.s, database);
}

export function sealDatabaseToken(codec: TokenCodec, database: DatabaseInfo, seq: number): string {
  const payload: DatabasePosition = { v: 1, k: 'db', db: database.id, s: seq };
  return codec.seal(payload);
}

export function openDatabaseToken(codec: TokenCodec, token: string | undefined, database: DatabaseInfo): number {
  if (token === undefined || token === '') return 0;
  const p = codec.open(token, 'syncToken');
  if (p.v !== 1 || p.k !== 'db') throw expired('is not a database-changes token');
  if (p.db !== database.id) throw expired('belongs to another database');
  return checkSeq(p.s, database);
}
