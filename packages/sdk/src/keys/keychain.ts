/**
 * Where a device keeps its secret keys. For now a keychain is local to one device: the
 * account keychain key and the service keys it has unwrapped or recovered. The
 * device/recovery work makes the keychain key travel (sealed to each trusted device);
 * it plugs in behind this same interface.
 */
import { exportKey, importKey, type SymmetricKey } from '@coffer/crypto';

/** A service key and the data category it protects (`app:<container>`, `drive`, …). */
export interface ServiceKeyEntry {
  category: string;
  key: SymmetricKey;
}

/**
 * The device key store the SDK uses. Implementations must persist writes before their
 * promise resolves (a key lost after its wrapped form was uploaded means data that only
 * escrow can still open).
 */
export interface Keychain {
  /** The account keychain key this device holds, if any. */
  getKeychainKey(): Promise<SymmetricKey | undefined>;
  setKeychainKey(key: SymmetricKey): Promise<void>;
  /** A service key by id (`SymmetricKey.id`). */
  getServiceKey(keyId: string): Promise<ServiceKeyEntry | undefined>;
  putServiceKey(entry: ServiceKeyEntry): Promise<void>;
  /** All service keys of a category, in no particular order. */
  listServiceKeys(category: string): Promise<ServiceKeyEntry[]>;
}

/** Makes the keychain of one account (keychains are per account: one device may hold several). */
export type KeychainFactory = (userRecordName: string) => Keychain;

/** The serialized form of a keychain (the file keychain's JSON). Versioned: unknown versions are refused. */
export interface KeychainDocument {
  version: 1;
  userRecordName: string;
  /** `exportKey()` text of the keychain key. */
  keychainKey?: string;
  serviceKeys: { category: string; key: string }[];
}

/** In-memory keychain: for tests, browsers without storage, and as the file keychain's cache. */
export class MemoryKeychain implements Keychain {
  protected keychainKey: SymmetricKey | undefined;
  protected readonly serviceKeys = new Map<string, ServiceKeyEntry>();

  constructor(readonly userRecordName = '') {}

  getKeychainKey(): Promise<SymmetricKey | undefined> {
    return Promise.resolve(this.keychainKey);
  }
  setKeychainKey(key: SymmetricKey): Promise<void> {
    this.keychainKey = key;
    return Promise.resolve();
  }
  getServiceKey(keyId: string): Promise<ServiceKeyEntry | undefined> {
    return Promise.resolve(this.serviceKeys.get(keyId));
  }
  putServiceKey(entry: ServiceKeyEntry): Promise<void> {
    this.serviceKeys.set(entry.key.id, entry);
    return Promise.resolve();
  }
  listServiceKeys(category: string): Promise<ServiceKeyEntry[]> {
    return Promise.resolve([...this.serviceKeys.values()].filter((e) => e.category === category));
  }

  /** The keychain as its JSON document. Contains secrets. */
  toDocument(): KeychainDocument {
    return {
      version: 1,
      userRecordName: this.userRecordName,
      ...(this.keychainKey === undefined ? {} : { keychainKey: exportKey(this.keychainKey) }),
      serviceKeys: [...this.serviceKeys.values()].map((e) => ({ category: e.category, key: exportKey(e.key) })),
    };
  }

  /** Replaces the contents with a parsed document; throws on an unknown version. */
  protected load(doc: KeychainDocument): void {
    if ((doc as { version: unknown }).version !== 1) throw new Error(`keychain: unknown document version ${String((doc as { version: unknown }).version)}`);
    this.keychainKey = doc.keychainKey === undefined ? undefined : importKey(doc.keychainKey);
    this.serviceKeys.clear();
    for (const entry of doc.serviceKeys) {
      const key = importKey(entry.key);
      this.serviceKeys.set(key.id, { category: entry.category, key });
    }
  }
}

/** A factory giving each account its own in-memory keychain (kept for the factory's lifetime). */
export function memoryKeychains(): KeychainFactory {
  const byAccount = new Map<string, MemoryKeychain>();
  return (userRecordName) => {
    let keychain = byAccount.get(userRecordName);
    if (keychain === undefined) {
      keychain = new MemoryKeychain(userRecordName);
      byAccount.set(userRecordName, keychain);
    }
    return keychain;
  };
}
