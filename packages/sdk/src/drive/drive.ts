/**
 * `Drive`: files and folders in the `drive` category (container `coffer.drive`, private
 * database, zone `drive`), end-to-end encrypted like iCloud Drive under ADP — and unlike
 * it, the names and the folder tree are encrypted too. One `DriveItem` record per file or
 * folder: `encryptedValues` name, parent, kind, size, modified; files add an ASSET field
 * `content`. The server sees random record names, chunk ids, stored sizes and times.
 *
 * ```ts
 * const drive = new Drive(client);
 * await drive.mkdir('/Photos', { parents: true });
 * await drive.put('/Photos/cat.jpg', 'cat.jpg', { contentType: 'image/jpeg' });
 * for (const item of await drive.list('/Photos')) console.log(item.name, item.size);
 * for await (const piece of await drive.download('/Photos/cat.jpg')) out.write(piece);
 * await drive.move('/Photos/cat.jpg', '/cat.jpg');
 * await drive.remove('/Photos', { recursive: true });
 * ```
 *
 * The tree is read once per `Drive` (one pass over the zone's records) and kept up to date
 * with this object's own changes; call `refresh()` to see other devices' changes.
 */
import { CategoryContainers, Limits } from '@coffer/protocol';
import { assetOf, type AssetSource } from '../assets/asset-session.js';
import type { AssetDownload } from '../assets/asset-download.js';
import type { UploadStats } from '../assets/chunk-uploader.js';
import type { CofferClient } from '../client.js';
import type { Database } from '../database.js';
import { InvalidArgumentError } from '../errors.js';
import { CofferRecord } from '../record.js';
import { ExistsError, ZoneNotFoundError } from '../server-errors.js';
import { DriveError } from './drive-errors.js';
import { checkName, DriveTree, ROOT_ID, splitDrivePath, type DriveItem, type DriveItemData } from './drive-tree.js';

export const DRIVE_CONTAINER = CategoryContainers.drive;
export const DRIVE_ZONE = 'drive';
const ITEM_TYPE = 'DriveItem';
const zoneID = { zoneName: DRIVE_ZONE };

/** A file to put: where it goes in the Drive and where its bytes come from. */
export interface DrivePut {
  /** Drive path, e.g. `/Photos/cat.jpg`. */
  path: string;
  source: AssetSource;
  modified?: Date;
  contentType?: string;
}

export interface DrivePutOptions {
  /** Create missing parent folders (default true). */
  parents?: boolean;
  /** Plaintext bytes processed so far. */
  onProgress?: (bytes: number) => void;
  /** Total bytes, when known (small uploads then skip the worker pool's start-up). */
  expectedBytes?: number;
}

export class Drive {
  readonly db: Database;
  #tree: Promise<DriveTree> | undefined;
  #zoneReady = false;

  constructor(client: CofferClient) {
    this.db = client.container(DRIVE_CONTAINER).privateDatabase;
  }

  /** Forgets the cached tree (the next call reads the zone again). */
  refresh(): void {
    this.#tree = undefined;
  }

  /** The item at `path`, or undefined (also for the root, which is not an item). */
  async stat(path: string): Promise<DriveItem | undefined> {
    return (await this.tree()).find(path);
  }

  /** A folder's contents (folders first, then by name); a file path lists just that file. */
  async list(path = '/'): Promise<DriveItem[]> {
    const tree = await this.tree();
    if (tree.isRoot(path)) return tree.children(ROOT_ID);
    const item = tree.find(path);
    if (item === undefined) throw notFound(path);
    return item.kind === 'folder' ? tree.children(item.id) : [item];
  }

  /** Creates a folder (and, with `parents`, missing parents); an existing folder is returned as is. */
  async mkdir(path: string, options: { parents?: boolean } = {}): Promise<DriveItem | undefined> {
    const names = splitDrivePath(path);
    const tree = await this.tree();
    let parentId = ROOT_ID;
    let item: DriveItem | undefined;
    for (const [i, name] of names.entries()) {
      item = tree.child(parentId, name);
      if (item === undefined) {
        if (i < names.length - 1 && options.parents !== true) throw notFound(`/${names.slice(0, i + 1).join('/')}`);
        item = await this.#saveItem(tree, undefined, { name, parentId, kind: 'folder', size: 0, modified: new Date() });
      } else if (item.kind !== 'folder') {
        throw new DriveError('NOT_A_FOLDER', `${item.path} is a file, not a folder`);
      }
      parentId = item.id;
    }
    return item;
  }

  /** Uploads one file to `path` (replacing a file there). */
  async put(path: string, source: AssetSource, options: DrivePutOptions & { modified?: Date; contentType?: string } = {}): Promise<DriveItem> {
    const put: DrivePut = { path, source, ...(options.modified === undefined ? {} : { modified: options.modified }), ...(options.contentType === undefined ? {} : { contentType: options.contentType }) };
    const [item] = (await this.putMany([put], options)).items;
    return item!;
  }

  /**
   * Uploads many files in one pipeline (chunks shared by several files are stored once),
   * then saves their records. A file already at a path is replaced; a folder there is an error.
   */
  async putMany(puts: readonly DrivePut[], options: DrivePutOptions = {}): Promise<{ items: DriveItem[]; upload: UploadStats }> {
    const tree = await this.tree();
    const targets: { put: DrivePut; parentId: string; name: string; existing: DriveItem | undefined }[] = [];
    for (const put of puts) {
      const names = splitDrivePath(put.path);
      const name = names.pop();
      if (name === undefined) throw new DriveError('INVALID_PATH', 'put needs a file path, not the Drive root');
      checkName(name);
      const parent = names.length === 0 ? undefined : await this.mkdir(`/${names.join('/')}`, { parents: options.parents ?? true });
      const parentId = parent?.id ?? ROOT_ID;
      const existing = tree.child(parentId, name);
      if (existing?.kind === 'folder') throw new DriveError('IS_A_FOLDER', `${existing.path} is a folder`);
      targets.push({ put, parentId, name, existing });
    }
    const assets = new Map<DrivePut, ReturnType<typeof assetOf>>();
    const upload = await this.db.assets().uploadFiles(targets.map((t) => t.put), (p) => p.source, (p, chunks) => {
      assets.set(p, assetOf(chunks, { fileName: splitDrivePath(p.path).at(-1) ?? '', contentType: p.contentType ?? '' }));
    }, {
      ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
      ...(options.expectedBytes === undefined ? {} : { expectedBytes: options.expectedBytes }),
    });
    const items: DriveItem[] = [];
    // One request per 100 records keeps requests small (each record carries its chunk ids).
    const batchSize = Math.min(100, Limits.operationsPerRequest);
    for (let i = 0; i < targets.length; i += batchSize) {
      const batch = targets.slice(i, i + batchSize);
      const records = batch.map((t) => {
        const asset = assets.get(t.put)!;
        const record = this.#record(t.existing?.record, { name: t.name, parentId: t.parentId, kind: 'file', size: asset.size, modified: t.put.modified ?? new Date() });
        record.fields.content = asset;
        return record;
      });
      await this.#ensureZone();
      (await this.db.saveRecords(records, { zoneID })).throwIfErrors();
      for (const record of records) items.push(this.#remember(tree, record));
    }
    return { items, upload };
  }

  /** A file's bytes, verified chunk by chunk. */
  async download(pathOrItem: string | DriveItem): Promise<AssetDownload> {
    const item = typeof pathOrItem === 'string' ? await this.stat(pathOrItem) : pathOrItem;
    if (item === undefined) throw notFound(pathOrItem as string);
    if (item.kind !== 'file') throw new DriveError('IS_A_FOLDER', `${item.path} is a folder`);
    return this.db.downloadAsset(item.record, 'content');
  }

  /** Removes a file, or a folder (non-empty ones only with `recursive`). Returns the items removed. */
  async remove(path: string, options: { recursive?: boolean } = {}): Promise<DriveItem[]> {
    const tree = await this.tree();
    const item = tree.find(path);
    if (item === undefined) throw notFound(path);
    const doomed = tree.subtree(item);
    if (doomed.length > 1 && options.recursive !== true) throw new DriveError('NOT_EMPTY', `${item.path} is a folder that is not empty: remove it recursively`);
    // Children first: an interrupted removal never leaves items without a parent.
    const ordered = [...doomed].reverse();
    for (let i = 0; i < ordered.length; i += Limits.operationsPerRequest) {
      const batch = ordered.slice(i, i + Limits.operationsPerRequest);
      (await this.db.deleteRecords(batch.map((d) => d.id), { zoneID, force: true })).throwIfErrors();
      for (const d of batch) tree.remove(d.id);
    }
    return doomed;
  }

  /**
   * Moves or renames. Into an existing folder when `to` is one (keeping the name);
   * otherwise to `to`'s parent under `to`'s last name. Never replaces an existing item.
   */
  async move(from: string, to: string): Promise<DriveItem> {
    const tree = await this.tree();
    const item = tree.find(from);
    if (item === undefined) throw notFound(from);
    let parentId: string;
    let name: string;
    const target = tree.isRoot(to) ? undefined : tree.find(to);
    if (tree.isRoot(to) || target?.kind === 'folder') {
      parentId = target?.id ?? ROOT_ID;
      name = item.name;
    } else {
      if (target !== undefined) throw new DriveError('EXISTS', `${target.path} already exists`);
      const names = splitDrivePath(to);
      name = names.pop()!;
      checkName(name);
      const parent = names.length === 0 ? undefined : tree.find(`/${names.join('/')}`);
      if (names.length > 0 && parent?.kind !== 'folder') throw notFound(`/${names.join('/')}`);
      parentId = parent?.id ?? ROOT_ID;
    }
    if (item.kind === 'folder' && parentId !== ROOT_ID && tree.isWithin(parentId, item.id)) throw new DriveError('INVALID_PATH', `cannot move ${item.path} into itself`);
    const clash = tree.child(parentId, name);
    if (clash !== undefined && clash.id !== item.id) throw new DriveError('EXISTS', `${clash.path} already exists`);
    return this.#saveItem(tree, item, { ...item, name, parentId, modified: item.modified });
  }

  /** The tree of the zone, read once (an absent zone is an empty Drive). */
  async tree(): Promise<DriveTree> {
    this.#tree ??= this.#load();
    this.#tree.catch(() => {
      this.#tree = undefined;
    });
    return this.#tree;
  }

  async #load(): Promise<DriveTree> {
    const tree = new DriveTree();
    try {
      for await (const page of this.db.fetchZoneChanges(zoneID)) {
        for (const record of page.changed) {
          const item = itemOf(record);
          if (item !== undefined) tree.put(item);
        }
      }
      this.#zoneReady = true;
    } catch (error) {
      if (!(error instanceof ZoneNotFoundError)) throw error;
    }
    return tree;
  }

  async #ensureZone(): Promise<void> {
    if (this.#zoneReady) return;
    const result = await this.db.saveRecordZones(zoneID);
    for (const error of result.errors) if (!(error instanceof ExistsError)) throw error;
    this.#zoneReady = true;
  }

  async #saveItem(tree: DriveTree, existing: DriveItem | undefined, data: Omit<DriveItemData, 'id' | 'record'>): Promise<DriveItem> {
    await this.#ensureZone();
    const record = this.#record(existing?.record, data);
    (await this.db.saveRecords(record, { zoneID })).throwIfErrors();
    return this.#remember(tree, record);
  }

  #record(existing: CofferRecord | undefined, data: Omit<DriveItemData, 'id' | 'record'>): CofferRecord {
    const record = existing ?? new CofferRecord({ recordType: ITEM_TYPE, recordName: globalThis.crypto.randomUUID().replaceAll('-', ''), zoneID });
    record.encryptedValues.name = data.name;
    record.encryptedValues.parent = data.parentId;
    record.encryptedValues.kind = data.kind;
    record.encryptedValues.size = data.size;
    record.encryptedValues.modified = data.modified;
    return record;
  }

  #remember(tree: DriveTree, record: CofferRecord): DriveItem {
    const item = itemOf(record);
    if (item === undefined) throw new InvalidArgumentError(`record ${record.recordName} is not a Drive item`);
    tree.put(item);
    return { ...item, path: tree.pathOf(item) ?? `/${item.name}` };
  }
}

/** A Drive item from its record, or undefined for a record that is not one. */
function itemOf(record: CofferRecord): DriveItemData | undefined {
  const v = record.encryptedValues;
  if (record.recordType !== ITEM_TYPE || typeof v.name !== 'string' || typeof v.parent !== 'string' || (v.kind !== 'file' && v.kind !== 'folder')) return undefined;
  return {
    id: record.recordName,
    name: v.name,
    kind: v.kind,
    parentId: v.parent,
    size: typeof v.size === 'number' ? v.size : 0,
    modified: v.modified instanceof Date ? v.modified : new Date(0),
    record,
  };
}

function notFound(path: string): DriveError {
  return new DriveError('NOT_FOUND', `no such file or folder in the Drive: ${path}`);
}
