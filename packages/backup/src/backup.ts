/**
 * `Backup`: device snapshots of a folder on the SDK, in the `backup` category.
 *
 * ```ts
 * const backup = new Backup(client, { cacheDir: `${home}/backup` });
 * const { snapshot } = await backup.create('/home/ann/Documents');
 * for (const s of await backup.list()) console.log(s.id, new Date(s.time), s.files);
 * await backup.restore(snapshot.id, '/tmp/restored');     // /tmp/restored/<contents>
 * await backup.forget(snapshot.id);                          // + asks the server to collect garbage
 * ```
 */
import { join } from 'node:path';
import type { CofferClient, GarbageCollectionReport } from '@coffer/sdk';
import { createSnapshot, type CreateOptions, type CreateReport } from './create.js';
import { restoreSnapshot, type RestoreOptions, type RestoreReport } from './restore.js';
import { SnapshotStore, type SnapshotSummary } from './snapshot-store.js';

export interface BackupOptions {
  /**
   * Folder for the incremental caches (one subfolder per account). Without it every
   * file is read on every backup (dedup still avoids uploading unchanged chunks).
   */
  cacheDir?: string;
  /** Device name recorded in snapshots (default: the host name). */
  deviceName?: string;
  /** Chunk ids per snapshot record (default 16 000; tests lower it to exercise part records). */
  refsPerRecord?: number;
}

export class Backup {
  readonly #client: CofferClient;
  readonly #store: SnapshotStore;
  readonly #options: BackupOptions;

  constructor(client: CofferClient, options: BackupOptions = {}) {
    this.#client = client;
    this.#store = new SnapshotStore(client, options.refsPerRecord === undefined ? {} : { refsPerRecord: options.refsPerRecord });
    this.#options = options;
  }

  /** Takes a snapshot of `dir`. */
  create(dir: string, options: Omit<CreateOptions, 'cacheDir' | 'deviceName'> = {}): Promise<CreateReport> {
    const user = this.#client.session?.userRecordName;
    const cacheDir = this.#options.cacheDir === undefined || user === undefined ? undefined : join(this.#options.cacheDir, user.replace(/[^A-Za-z0-9_.-]/g, '_'));
    return createSnapshot(this.#store, dir, {
      ...options,
      ...(cacheDir === undefined ? {} : { cacheDir }),
      ...(this.#options.deviceName === undefined ? {} : { deviceName: this.#options.deviceName }),
    });
  }

  /** Every snapshot, oldest first. */
  async list(): Promise<SnapshotSummary[]> {
    return (await this.#store.list()).map((s) => s.summary);
  }

  /** Restores a snapshot (id, unique prefix, or `latest`) into `target`. */
  async restore(snapshot: string, target: string, options: RestoreOptions = {}): Promise<RestoreReport & { snapshot: SnapshotSummary }> {
    const stored = await this.#store.resolve(snapshot);
    const index = await this.#store.readIndex(stored);
    return { snapshot: stored.summary, ...(await restoreSnapshot(this.#store.db.assets(), index, target, options)) };
  }

  /** Deletes a snapshot and asks the server to collect chunks nothing references any more. */
  async forget(snapshot: string): Promise<{ snapshot: SnapshotSummary; gc: GarbageCollectionReport }> {
    const stored = await this.#store.resolve(snapshot);
    await this.#store.delete(stored);
    return { snapshot: stored.summary, gc: await this.#store.db.assets().collectGarbage() };
  }
}
