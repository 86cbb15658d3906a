/**
 * @coffer/backup — device snapshots of a folder, end-to-end encrypted in the `backup`
 * category: incremental (unchanged files are not re-read), deduplicated across files and
 * snapshots through keyed convergent chunk ids, restorable on any trusted device.
 * Formats: docs/PROTOCOL.md "Backup snapshots".
 */
export { Backup, type BackupOptions } from './backup.js';
export type { CreateOptions, CreateReport } from './create.js';
export type { RestoreOptions, RestoreReport } from './restore.js';
export { BACKUP_CONTAINER, SNAPSHOT_ZONE, type SnapshotSummary } from './snapshot-store.js';
export { BackupError, type BackupErrorCode } from './errors.js';
export {
  INDEX_FORMAT, META_FORMAT, SNAPSHOT_VERSION, decodeIndex, encodeIndex, decodeMeta, encodeMeta, isSafeRelativePath,
  type SnapshotIndex, type SnapshotMeta, type IndexEntry, type FileEntry, type DirEntry, type SymlinkEntry,
} from './snapshot-format.js';
