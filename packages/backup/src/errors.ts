/**
 * Backup errors. Callers (the CLI) branch on `code`, never on the message.
 *
 * - `SNAPSHOT_NOT_FOUND`  no snapshot has that id or prefix
 * - `AMBIGUOUS_SNAPSHOT`  a prefix matches several snapshots
 * - `NOT_A_DIRECTORY`     `create` was given something that is not a folder
 * - `UNSAFE_PATH`         a snapshot names a path outside the restore target (refused)
 * - `FORMAT`              a snapshot index or meta of an unknown version, or malformed
 * - `TARGET_CONFLICT`     the restore target exists and is not a folder
 */
export type BackupErrorCode = 'SNAPSHOT_NOT_FOUND' | 'AMBIGUOUS_SNAPSHOT' | 'NOT_A_DIRECTORY' | 'UNSAFE_PATH' | 'FORMAT' | 'TARGET_CONFLICT';

export class BackupError extends Error {
  constructor(readonly code: BackupErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'BackupError';
  }
}
