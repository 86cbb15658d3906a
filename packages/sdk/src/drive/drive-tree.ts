/**
 * The Drive's folder tree on the device. Every item's name, parent, kind, size and time
 * are encrypted fields, so the server cannot see the tree; the device rebuilds it from
 * the zone's records and resolves paths locally. Paths are `/`-separated from the Drive
 * root (`/`, `/Photos`, `/Photos/cat.jpg`); names are compared exactly.
 */
import type { CofferRecord } from '../record.js';
import { DriveError } from './drive-errors.js';

export type DriveItemKind = 'file' | 'folder';

export interface DriveItem {
  /** Record name (random; reveals nothing). */
  readonly id: string;
  readonly name: string;
  readonly kind: DriveItemKind;
  /** Parent folder id, '' for the root. */
  readonly parentId: string;
  /** Plaintext bytes (0 for folders). */
  readonly size: number;
  readonly modified: Date;
  /** Full path from the root, e.g. `/Photos/cat.jpg`. */
  readonly path: string;
  /** @internal The record (for updates and downloads). */
  readonly record: CofferRecord;
}

/** The root folder: not a record. */
export const ROOT_ID = '';

/** Splits a Drive path into names; `/` and `` are the root. */
export function splitDrivePath(path: string): string[] {
  const parts = path.split('/').filter((p) => p !== '');
  for (const part of parts) {
    if (part === '.' || part === '..') throw new DriveError('INVALID_PATH', `Drive paths have no . or .. (${path})`);
  }
  return parts;
}

export function checkName(name: string): void {
  if (name === '' || name === '.' || name === '..' || name.includes('/') || name.includes('\0')) {
    throw new DriveError('INVALID_PATH', `${JSON.stringify(name)} is not a valid Drive name`);
  }
}

/** An item as stored, before its path is known. */
export type DriveItemData = Omit<DriveItem, 'path'>;

export class DriveTree {
  readonly #items = new Map<string, DriveItemData>();
  readonly #children = new Map<string, DriveItemData[]>();

  constructor(items: readonly DriveItemData[] = []) {
    for (const item of items) this.put(item);
  }

  /** Adds or replaces an item (after a save on this device). */
  put(item: DriveItemData): void {
    this.remove(item.id);
    this.#items.set(item.id, item);
    const list = this.#children.get(item.parentId) ?? [];
    list.push(item);
    this.#children.set(item.parentId, list);
  }

  /** Forgets an item (not its children: remove those too). */
  remove(id: string): void {
    const old = this.#items.get(id);
    if (old === undefined) return;
    this.#items.delete(id);
    const siblings = this.#children.get(old.parentId) ?? [];
    this.#children.set(old.parentId, siblings.filter((s) => s.id !== id));
  }

  /** The path of an item from the root; items whose parent is gone (a concurrent delete) have none. */
  pathOf(item: DriveItemData): string | undefined {
    const names: string[] = [];
    const seen = new Set<string>();
    for (let at: DriveItemData | undefined = item; at !== undefined; at = at.parentId === ROOT_ID ? undefined : this.#items.get(at.parentId)) {
      // A cycle can only come from concurrent moves on two devices: treat it as unreachable.
      if (seen.has(at.id)) return undefined;
      seen.add(at.id);
      names.unshift(at.name);
      if (at.parentId !== ROOT_ID && !this.#items.has(at.parentId)) return undefined;
    }
    return `/${names.join('/')}`;
  }

  #withPath(item: DriveItemData | undefined): DriveItem | undefined {
    if (item === undefined) return undefined;
    const path = this.pathOf(item);
    return path === undefined ? undefined : { ...item, path };
  }

  /** The item at `path`; undefined for the root or a path that does not exist. */
  find(path: string): DriveItem | undefined {
    let parent = ROOT_ID;
    let item: DriveItem | undefined;
    for (const name of splitDrivePath(path)) {
      item = this.child(parent, name);
      if (item === undefined) return undefined;
      parent = item.id;
    }
    return item;
  }

  /** Whether `path` is the root. */
  isRoot(path: string): boolean {
    return splitDrivePath(path).length === 0;
  }

  child(parentId: string, name: string): DriveItem | undefined {
    return this.#withPath(this.#children.get(parentId)?.find((c) => c.name === name));
  }

  /** A folder's contents, folders first, then by name. */
  children(parentId: string): DriveItem[] {
    return (this.#children.get(parentId) ?? [])
      .map((c) => this.#withPath(c)!)
      .sort((a, b) => (a.kind === b.kind ? (a.name < b.name ? -1 : a.name > b.name ? 1 : 0) : a.kind === 'folder' ? -1 : 1));
  }

  /** The item and everything below it, parents before children. */
  subtree(item: DriveItem): DriveItem[] {
    const out = [item];
    for (let i = 0; i < out.length; i++) out.push(...this.children(out[i]!.id));
    return out;
  }

  /** Whether `ancestorId` is `id` or one of its ancestors (a folder cannot move into itself). */
  isWithin(id: string, ancestorId: string): boolean {
    for (let at = this.#items.get(id); at !== undefined; at = this.#items.get(at.parentId)) if (at.id === ancestorId) return true;
    return false;
  }
}
