/**
 * The local keychain file: `$COFFER_HOME/keychains/<userRecordName>.json`, mode 0600,
 * written to a temporary name and renamed so a crash never leaves half a keychain.
 * Node only: `node:fs` is imported lazily so the SDK index stays loadable in browsers.
 */
import { MemoryKeychain, type KeychainDocument, type KeychainFactory, type ServiceKeyEntry } from './keychain.js';
import type { SymmetricKey } from '@coffer/crypto';

/** `$COFFER_HOME`, or `~/.coffer`. */
export function cofferHome(env: Record<string, string | undefined> = process.env): string {
  const explicit = env.COFFER_HOME;
  if (explicit !== undefined && explicit !== '') return explicit;
  const home = env.HOME ?? env.USERPROFILE ?? '.';
  return `${home}/.coffer`;
}

export class FileKeychain extends MemoryKeychain {
  private loaded = false;
  /** Serializes writes so two concurrent puts cannot interleave their renames. */
  private writing: Promise<void> = Promise.resolve();

  constructor(readonly path: string, userRecordName: string) {
    super(userRecordName);
  }

  /** The keychain file of `userRecordName` under `home`. */
  static forAccount(home: string, userRecordName: string): FileKeychain {
    // Record names are server-chosen: keep only a safe alphabet in the file name.
    const safe = userRecordName.replace(/[^A-Za-z0-9_.-]/g, '_');
    return new FileKeychain(`${home}/keychains/${safe}.json`, userRecordName);
  }

  override async getKeychainKey(): Promise<SymmetricKey | undefined> {
    await this.ensureLoaded();
    return super.getKeychainKey();
  }
  override async setKeychainKey(key: SymmetricKey): Promise<void> {
    await this.ensureLoaded();
    await super.setKeychainKey(key);
    await this.save();
  }
  override async getServiceKey(keyId: string): Promise<ServiceKeyEntry | undefined> {
    await this.ensureLoaded();
    return super.getServiceKey(keyId);
  }
  override async putServiceKey(entry: ServiceKeyEntry): Promise<void> {
    await this.ensureLoaded();
    await super.putServiceKey(entry);
    await this.save();
  }
  override async listServiceKeys(category: string): Promise<ServiceKeyEntry[]> {
    await this.ensureLoaded();
    return super.listServiceKeys(category);
  }

  /** Whether the file exists (an account this device has a keychain for). */
  async exists(): Promise<boolean> {
    const fs = await import('node:fs/promises');
    try {
      await fs.access(this.path);
      return true;
    } catch {
      return false;
    }
  }

  private async ensureLoaded(): Promise<void> {
    if (this.loaded) return;
    const fs = await import('node:fs/promises');
    let text: string | undefined;
    try {
      text = await fs.readFile(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    if (text !== undefined) this.load(JSON.parse(text) as KeychainDocument);
    this.loaded = true;
  }

  private save(): Promise<void> {
    const next = this.writing.then(() => this.writeFile());
    // Keep the chain alive after a failed write; the caller still sees the failure.
    this.writing = next.catch(() => undefined);
    return next;
  }

  private async writeFile(): Promise<void> {
    const fs = await import('node:fs/promises');
    const path = await import('node:path');
    await fs.mkdir(path.dirname(this.path), { recursive: true, mode: 0o700 });
    const tmp = `${this.path}.${process.pid}.tmp`;
    const handle = await fs.open(tmp, 'w', 0o600);
    try {
      await handle.writeFile(`${JSON.stringify(this.toDocument(), null, 2)}\n`);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(tmp, this.path);
  }
}

/** Per-account file keychains under `home` (default `cofferHome()`). */
export function fileKeychains(home: string = cofferHome()): KeychainFactory {
  return (userRecordName) => FileKeychain.forAccount(home, userRecordName);
}

export type { KeychainDocument };
