/**
 * What a device keeps about itself per account, besides its keychain: its identity
 * (signing + HPKE private keys — never leave the device) and the head of the device log
 * it last verified, so a server that later rewrites or truncates history is caught.
 *
 * Files: `$COFFER_HOME/devices/<userRecordName>.json`, mode 0600 in a 0700 folder, written
 * to a temporary name and renamed. Browsers (and tests) use the in-memory store.
 */
import { exportDeviceIdentity, importDeviceIdentity, type DeviceIdentity } from '@coffer/crypto';

export interface DeviceState {
  identity: DeviceIdentity;
  /** Hex of the last verified log head hash and that log's length; absent before the first verified fetch. */
  trustedHead?: { hash: string; length: number };
}

export interface DeviceStateStore {
  load(): Promise<DeviceState | undefined>;
  save(state: DeviceState): Promise<void>;
  /** Forgets the identity (after this device was removed, or to start over). */
  clear(): Promise<void>;
}

/** One store per account (a device may hold several accounts). */
export type DeviceStateFactory = (userRecordName: string) => DeviceStateStore;

interface DeviceStateDocument {
  version: 1;
  userRecordName: string;
  identity: string;
  trustedHead?: { hash: string; length: number };
}

function toDocument(userRecordName: string, state: DeviceState): DeviceStateDocument {
  return {
    version: 1,
    userRecordName,
    identity: exportDeviceIdentity(state.identity),
    ...(state.trustedHead === undefined ? {} : { trustedHead: { ...state.trustedHead } }),
  };
}

function fromDocument(doc: DeviceStateDocument): DeviceState {
  if ((doc as { version: unknown }).version !== 1) throw new Error(`device state: unknown document version ${String((doc as { version: unknown }).version)}`);
  return { identity: importDeviceIdentity(doc.identity), ...(doc.trustedHead === undefined ? {} : { trustedHead: { ...doc.trustedHead } }) };
}

export class MemoryDeviceStateStore implements DeviceStateStore {
  private doc: DeviceStateDocument | undefined;
  constructor(private readonly userRecordName = '') {}
  load(): Promise<DeviceState | undefined> {
    return Promise.resolve(this.doc === undefined ? undefined : fromDocument(this.doc));
  }
  save(state: DeviceState): Promise<void> {
    this.doc = toDocument(this.userRecordName, state);
    return Promise.resolve();
  }
  clear(): Promise<void> {
    this.doc = undefined;
    return Promise.resolve();
  }
}

/** In-memory device states, one per account for the factory's lifetime. */
export function memoryDeviceStates(): DeviceStateFactory {
  const byAccount = new Map<string, MemoryDeviceStateStore>();
  return (user) => {
    let store = byAccount.get(user);
    if (store === undefined) {
      store = new MemoryDeviceStateStore(user);
      byAccount.set(user, store);
    }
    return store;
  };
}

export class FileDeviceStateStore implements DeviceStateStore {
  private writing: Promise<void> = Promise.resolve();
  constructor(readonly path: string, private readonly userRecordName: string) {}

  static forAccount(home: string, userRecordName: string): FileDeviceStateStore {
    const safe = userRecordName.replace(/[^A-Za-z0-9_.-]/g, '_');
    return new FileDeviceStateStore(`${home}/devices/${safe}.json`, userRecordName);
  }

  async load(): Promise<DeviceState | undefined> {
    const fs = await import('node:fs/promises');
    let text: string;
    try {
      text = await fs.readFile(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    return fromDocument(JSON.parse(text) as DeviceStateDocument);
  }

  save(state: DeviceState): Promise<void> {
    const next = this.writing.then(() => this.write(`${JSON.stringify(toDocument(this.userRecordName, state), null, 2)}\n`));
    this.writing = next.catch(() => undefined);
    return next;
  }

  async clear(): Promise<void> {
    const fs = await import('node:fs/promises');
    await fs.rm(this.path, { force: true });
  }

  private async write(contents: string): Promise<void> {
    const fs = await import('node:fs/promises');
    const path = await import('node:path');
    await fs.mkdir(path.dirname(this.path), { recursive: true, mode: 0o700 });
    const tmp = `${this.path}.${process.pid}.tmp`;
    const handle = await fs.open(tmp, 'w', 0o600);
    try {
      await handle.writeFile(contents);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(tmp, this.path);
  }
}

/** Per-account device state files under `home`. */
export function fileDeviceStates(home: string): DeviceStateFactory {
  return (user) => FileDeviceStateStore.forAccount(home, user);
}
