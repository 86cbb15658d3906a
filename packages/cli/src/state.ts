/**
 * Client state under `$COFFER_HOME` (default `~/.coffer`), every file 0600 in a 0700
 * folder:
 * - `session.json` — server URL, email, user record name and the session token;
 * - `keychains/<userRecordName>.json` — the device keychain (written by the SDK);
 * - later: device identity, drive and backup caches.
 * Writes go to a temporary file that is renamed, so a crash never leaves half a file.
 */
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { cofferHome } from '@coffer/sdk';
import { CliError } from './errors.js';

export interface SavedSession {
  version: 1;
  serverUrl: string;
  email: string;
  userRecordName: string;
  sessionToken: string;
}

export function homeDir(env: Record<string, string | undefined>): string {
  return cofferHome(env);
}

function sessionPath(home: string): string {
  return join(home, 'session.json');
}

export async function loadSession(home: string): Promise<SavedSession | undefined> {
  let text: string;
  try {
    text = await readFile(sessionPath(home), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const parsed = JSON.parse(text) as Partial<SavedSession>;
  if (parsed.version !== 1 || typeof parsed.sessionToken !== 'string' || typeof parsed.serverUrl !== 'string' || typeof parsed.userRecordName !== 'string') {
    throw new CliError(`${sessionPath(home)} is not a session file this version understands; run coffer login again`);
  }
  return parsed as SavedSession;
}

/** The saved session, or a CliError telling the user to sign in. */
export async function requireSession(home: string): Promise<SavedSession> {
  const session = await loadSession(home);
  if (session === undefined) throw new CliError('not signed in: run coffer login (or coffer account create) first');
  return session;
}

export async function saveSession(home: string, session: SavedSession): Promise<void> {
  await writePrivateFile(sessionPath(home), `${JSON.stringify(session, null, 2)}\n`);
}

export async function clearSession(home: string): Promise<void> {
  await rm(sessionPath(home), { force: true });
}

/** Writes `contents` to `path` with mode 0600 (folder 0700), atomically. */
export async function writePrivateFile(path: string, contents: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.tmp`;
  const handle = await open(tmp, 'w', 0o600);
  try {
    await handle.writeFile(contents);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(tmp, path);
}
