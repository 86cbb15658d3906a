/**
 * Snapshots as records in the `backup` category (container `coffer.backup`, private
 * database, zone `snapshots`; docs/PROTOCOL.md "Backup snapshots"):
 *
 * - `BackupSnapshot` (record name = snapshot id): `encryptedValues.meta` (the summary),
 *   `fields.index` (ASSET: the encrypted index), `fields.refs` (ASSET holding only
 *   `chunkIds`: the data chunks the snapshot needs, so the server keeps them alive);
 * - `BackupSnapshotPart` `<id>-p1…pN`: more `refs` when one record cannot hold them all.
 *
 * The server sees record names, which chunk ids each snapshot references, sizes and
 * times — never a file name, path, device name or content.
 */
import { CategoryContainers, Limits } from '@coffer/protocol';
import { CofferRecord, ExistsError, ZoneNotFoundError, type CofferAsset, type CofferClient, type Database } from '@coffer/sdk';
import { BackupError } from './errors.js';
import { decodeIndex, decodeMeta, encodeMeta, type SnapshotIndex, type SnapshotMeta } from './snapshot-format.js';

export const BACKUP_CONTAINER = CategoryContainers.backup;
export const SNAPSHOT_ZONE = 'snapshots';
const HEAD_TYPE = 'BackupSnapshot';
const PART_TYPE = 'BackupSnapshotPart';
/** Chunk ids per record: 16 000 × 46 bytes of JSON stays well under the 1 MB record limit. */
export const REFS_PER_RECORD = 16_000;
/** Records per request: ~12 × 740 KB stays under the 12 MiB request limit. */
const RECORDS_PER_REQUEST = Math.min(12, Limits.operationsPerRequest);

export interface SnapshotSummary extends SnapshotMeta {
  id: string;
}

export interface StoredSnapshot {
  summary: SnapshotSummary;
  record: CofferRecord;
}

const zoneID = { zoneName: SNAPSHOT_ZONE };

export class SnapshotStore {
  readonly db: Database;
  readonly #refsPerRecord: number;

  /** `refsPerRecord`: chunk ids per record (tests use a small one to exercise parts). */
  constructor(client: CofferClient, options: { refsPerRecord?: number } = {}) {
    this.db = client.container(BACKUP_CONTAINER).privateDatabase;
    this.#refsPerRecord = options.refsPerRecord ?? REFS_PER_RECORD;
  }

  /** Creates the snapshots zone (with a zone key under the backup service key) if needed. */
  async ensureZone(): Promise<void> {
    const result = await this.db.saveRecordZones(zoneID);
    for (const error of result.errors) if (!(error instanceof ExistsError)) throw error;
  }

  /** Commits a snapshot: its reference parts first, the head last (the head makes it visible). */
  async save(id: string, meta: Omit<SnapshotMeta, 'parts'>, index: CofferAsset, chunkIds: readonly string[]): Promise<SnapshotSummary> {
    const groups: string[][] = [];
    for (let i = 0; i < chunkIds.length; i += this.#refsPerRecord) groups.push(chunkIds.slice(i, i + this.#refsPerRecord));
    const headRefs = groups.shift() ?? [];
    const parts = groups.map((ids, i) => refsRecord(new CofferRecord({ recordType: PART_TYPE, recordName: `${id}-p${i + 1}`, zoneID }), ids));
    const full: SnapshotMeta = { ...meta, parts: parts.length };
    const head = refsRecord(new CofferRecord({ recordType: HEAD_TYPE, recordName: id, zoneID }), headRefs);
    head.encryptedValues.meta = encodeMeta(full);
    head.fields.index = index;
    const saved: CofferRecord[] = [];
    try {
      if (parts.length + 1 <= RECORDS_PER_REQUEST) {
        (await this.db.saveRecords([...parts, head], { atomic: true })).throwIfErrors();
      } else {
        for (let i = 0; i < parts.length; i += RECORDS_PER_REQUEST) {
          const batch = parts.slice(i, i + RECORDS_PER_REQUEST);
          (await this.db.saveRecords(batch, { atomic: true })).throwIfErrors();
          saved.push(...batch);
        }
        (await this.db.saveRecords(head)).throwIfErrors();
      }
    } catch (error) {
      // Parts without a head would keep chunks alive for ever: take them back.
      if (saved.length > 0) await this.db.deleteRecords(saved.map((r) => r.recordName), { zoneID, force: true }).catch(() => undefined);
      throw error;
    }
    return { id, ...full };
  }

  /** All snapshots, oldest first. */
  async list(): Promise<StoredSnapshot[]> {
    const out: StoredSnapshot[] = [];
    try {
      // The zone's changes from the start are its current records. `refs` can be large and
      // is not needed to list: ask only for meta and index.
      for await (const page of this.db.fetchZoneChanges(zoneID, { desiredKeys: ['meta', 'index'] })) {
        for (const record of page.changed) {
          if (record.recordType !== HEAD_TYPE) continue;
          const meta = record.encryptedValues.meta;
          if (typeof meta !== 'string') throw new BackupError('FORMAT', `snapshot ${record.recordName} has no readable meta`);
          out.push({ summary: { id: record.recordName, ...decodeMeta(meta) }, record });
        }
      }
    } catch (error) {
      if (error instanceof ZoneNotFoundError) return [];
      throw error;
    }
    return out.sort((a, b) => a.summary.time - b.summary.time || a.summary.id.localeCompare(b.summary.id));
  }

  /** A snapshot by id, unique id prefix, or `latest`. */
  async resolve(idOrPrefix: string): Promise<StoredSnapshot> {
    const all = await this.list();
    if (idOrPrefix === 'latest') {
      const last = all.at(-1);
      if (last === undefined) throw new BackupError('SNAPSHOT_NOT_FOUND', 'there are no snapshots yet');
      return last;
    }
    const exact = all.find((s) => s.summary.id === idOrPrefix);
    if (exact !== undefined) return exact;
    const matches = idOrPrefix.length >= 4 ? all.filter((s) => s.summary.id.startsWith(idOrPrefix)) : [];
    if (matches.length === 1) return matches[0]!;
    if (matches.length > 1) throw new BackupError('AMBIGUOUS_SNAPSHOT', `${idOrPrefix} matches ${matches.length} snapshots; give more of the id`);
    throw new BackupError('SNAPSHOT_NOT_FOUND', `no snapshot ${idOrPrefix}`);
  }

  /** Downloads and decodes a snapshot's index (every chunk verified). */
  async readIndex(snapshot: StoredSnapshot): Promise<SnapshotIndex> {
    const download = await this.db.downloadAsset(snapshot.record, 'index');
    const parts: Uint8Array[] = [];
    for await (const piece of download) parts.push(piece);
    return decodeIndex(Buffer.concat(parts));
  }

  /** Deletes a snapshot's records (its chunks become garbage unless another snapshot uses them). */
  async delete(snapshot: StoredSnapshot): Promise<void> {
    const names = [snapshot.summary.id];
    for (let i = 1; i <= snapshot.summary.parts; i++) names.push(`${snapshot.summary.id}-p${i}`);
    for (let i = 0; i < names.length; i += Limits.operationsPerRequest) {
      (await this.db.deleteRecords(names.slice(i, i + Limits.operationsPerRequest), { zoneID, force: true })).throwIfErrors();
    }
  }
}

/** `fields.refs`: an ASSET value holding only chunk ids (the server reads only `chunkIds`). */
function refsRecord(record: CofferRecord, chunkIds: readonly string[]): CofferRecord {
  record.setType('refs', 'ASSET');
  record.fields.refs = { chunkIds: [...chunkIds] } as unknown as CofferRecord['fields'][string];
  return record;
}
