import type { Selectable } from 'kysely';
import type { ZonesTable } from '../records/record-tables.js';
import type { ZoneInfo } from '../records/record-types.js';

export function toZoneInfo(row: Selectable<ZonesTable>): ZoneInfo {
  return {
    id: row.id,
    databaseId: row.database_id,
    zoneName: row.zone_name,
    incarnation: row.incarnation,
    atomic: row.atomic === 1,
    deleted: row.deleted === 1,
    changeSeq: row.change_seq,
    zoneKeys: row.zone_keys === null ? null : (JSON.parse(row.zone_keys) as unknown),
    createdAt: row.created_at,
  };
}
