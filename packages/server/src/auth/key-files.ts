/**
 * Server key files in the data dir (OPAQUE setup, auth at-rest key; the escrow module
 * has its own). Rules shared by all of them:
 * - created with mode 0600 and `wx` (never overwrite an existing file — a second node
 *   racing on a shared dir loses and re-reads);
 * - refused when group/other can read them (like ssh), with the chmod to run;
 * - their public fingerprint is recorded in the database on first use, so a node started
 *   with a missing or different file fails at startup with a clear error instead of
 *   minting a new key that cannot open what the database already holds.
 */
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { ServerKeyIdsRepository } from '@coffer/storage';

export class KeyFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KeyFileError';
  }
}

export interface KeyFileSpec<T> {
  /** Name under which its fingerprint is recorded (`server_key_ids.name`). */
  name: string;
  path: string;
  /** Human label for errors, e.g. "OPAQUE server setup". */
  label: string;
  create(): string;
  /** Parses the file's contents; throws on anything malformed. */
  parse(contents: string): T;
  fingerprint(value: T): string;
}

function isNotFound(error: unknown): boolean {
  return error instanceof Error && (error as NodeJS.ErrnoException).code === 'ENOENT';
}

async function readIfExists(path: string): Promise<string | null> {
  try {
    const info = await stat(path);
    if ((info.mode & 0o077) !== 0) {
      throw new KeyFileError(
        `${path} is readable by group/others (mode ${(info.mode & 0o777).toString(8)}); run: chmod 600 ${path}`,
      );
    }
    return await readFile(path, 'utf8');
  } catch (error) {
    if (isNotFound(error)) return null;
    throw error;
  }
}

async function createFile(path: string, contents: string): Promise<boolean> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  try {
    await writeFile(path, contents, { mode: 0o600, flag: 'wx' });
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

/** Loads (or on a fresh deployment creates) a key file and checks it against the database. */
export async function loadKeyFile<T>(spec: KeyFileSpec<T>, keyIds: ServerKeyIdsRepository, now: number): Promise<T> {
  const recorded = await keyIds.get(spec.name);
  let contents = await readIfExists(spec.path);
  if (contents === null) {
    if (recorded !== null) {
      throw new KeyFileError(
        `${spec.label} file ${spec.path} is missing, but the database was set up with key ${recorded}; ` +
          'restore the file from backup (a new one could not open existing data)',
      );
    }
    // false when another process created it between our read and our write: then we use theirs.
    await createFile(spec.path, spec.create());
    contents = await readIfExists(spec.path);
    if (contents === null) throw new KeyFileError(`${spec.label} file ${spec.path} vanished while being created`);
  }
  let value: T;
  try {
    value = spec.parse(contents);
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    throw new KeyFileError(`${spec.label} file ${spec.path} is corrupt (${detail}); restore it from backup`);
  }
  const id = spec.fingerprint(value);
  const agreed = await keyIds.claim(spec.name, id, now);
  if (agreed !== id) {
    throw new KeyFileError(
      `${spec.label} file ${spec.path} holds key ${id}, but the database was set up with key ${agreed}; ` +
        'this is the wrong file for this database',
    );
  }
  return value;
}
