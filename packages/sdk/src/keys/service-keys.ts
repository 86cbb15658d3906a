/**
 * The service key of a container's data category (`app:<container>`) on this device.
 *
 * On first use: if the server has no service key for the category, generate one on the
 * device, upload it wrapped by the account keychain key and — in Standard protection
 * only — HPKE-sealed to the server's escrow public key, so plain web-services clients
 * keep working. If the server has a key this device's keychain cannot open (another
 * device made it, or the server made it for a plain client), fetch it from escrow via
 * `keys/service/recover` (Standard protection only; under ADP that is refused and
 * surfaces as `KeyUnavailableError`).
 */
import {
  DecryptionError,
  generateKey,
  inspectWrappedKey,
  keyFromBytes,
  Labels,
  sealKeyTo,
  unwrapKey,
  wrapKey,
  type SymmetricKey,
} from '@coffer/crypto';
import type {
  EscrowPublicKeyResponse,
  Environment,
  ServiceKeyRecoverRequest,
  ServiceKeyRecoverResponse,
  ServiceKeysLookupResponse,
  ServiceKeyUpload,
  ServiceKeyWire,
  UsersCallerResponse,
  ProtectionMode,
} from '@coffer/protocol';
import { dataCategoryOfContainer, isEscrowAllowed } from '@coffer/protocol';
import { fromBase64, toBase64 } from '../base64.js';
import { KeyUnavailableError } from '../errors.js';
import { databasePath, ESCROW_PUBLIC_KEY_PATH } from '../paths.js';
import { ConflictError, ExistsError } from '../server-errors.js';
import type { Transport } from '../transport/http.js';
import type { Keychain } from './keychain.js';

export interface ServiceKeysOptions {
  transport: Transport;
  keychain: Keychain;
  container: string;
  environment: Environment;
  /**
   * The protection mode from the verified device log (issue 4). When set it decides — not
   * the server's `users/caller` — whether a new key is escrowed and whether escrow may be
   * asked for a key: under ADP never, whatever the server claims.
   */
  protectionMode?: () => Promise<ProtectionMode>;
  /**
   * The account's current keychain key from the trusted-device layer (issue 4): fetched
   * from this device's sealed copy when another device rotated it; throws on a device
   * that has not joined. Without it a device makes its own keychain key.
   */
  keychainKey?: () => Promise<SymmetricKey>;
}

/** How long a resolved newest service key (and a zone's keys, for writes) is reused before asking the server again. */
export const KEY_REFRESH_MS = 30_000;

/** The data category of a third-party app container. */
export function appCategory(container: string): string {
  return `app:${container}`;
}

export class ServiceKeys {
  readonly category: string;
  private newest: Promise<SymmetricKey> | undefined;
  private newestAt = 0;

  constructor(private readonly options: ServiceKeysOptions) {
    // Coffer's own containers (coffer.drive, coffer.backup) use their built-in category.
    this.category = dataCategoryOfContainer(options.container);
  }

  /**
   * The newest service key of the category, creating and uploading one if the server
   * has none. Memoized: concurrent first uses share one creation.
   */
  current(): Promise<SymmetricKey> {
    // Re-resolved after KEY_REFRESH_MS, so a rotation by another device (device removal,
    // ADP on) reaches a long-running process within that window (issue 4).
    if (this.newest === undefined || Date.now() - this.newestAt > KEY_REFRESH_MS) {
      this.newestAt = Date.now();
      this.newest = this.resolveCurrent();
      // A failure must not stick: the next call tries again.
      this.newest.catch(() => {
        this.newest = undefined;
      });
    }
    return this.newest;
  }

  /** A service key by id, for zone keys wrapped under an older (or another device's) service key. */
  async byId(keyId: string): Promise<SymmetricKey> {
    const local = await this.options.keychain.getServiceKey(keyId);
    if (local !== undefined) return local.key;
    const entry = (await this.lookup()).find((k) => k.keyId === keyId);
    if (entry === undefined) throw new KeyUnavailableError(`service key ${keyId} of ${this.category} is unknown to the server`);
    return this.open(entry);
  }

  private async resolveCurrent(): Promise<SymmetricKey> {
    const entries = await this.lookup();
    const newest = entries.reduce<ServiceKeyWire | undefined>((a, b) => (a === undefined || b.version > a.version ? b : a), undefined);
    if (newest !== undefined) return this.open(newest);
    return this.create();
  }

  private async lookup(): Promise<ServiceKeyWire[]> {
    const response = await this.options.transport.post<ServiceKeysLookupResponse>(this.path('keys/service/lookup'), {});
    return response.serviceKeys.filter((k) => k.category === this.category);
  }

  /** Opens a server entry: local keychain, then our keychain-wrapped copy, then escrow. */
  private async open(entry: ServiceKeyWire): Promise<SymmetricKey> {
    const { keychain } = this.options;
    const local = await keychain.getServiceKey(entry.keyId);
    if (local !== undefined) return local.key;
    if (entry.wrappedByKeychain !== undefined) {
      const keychainKey = await this.keychainKeyFor(entry.wrappedByKeychain);
      if (keychainKey !== undefined) {
        try {
          const key = unwrapKey(keychainKey, fromBase64(entry.wrappedByKeychain), 'service');
          await keychain.putServiceKey({ category: this.category, key });
          return key;
        } catch (error) {
          // Wrapped by another device's keychain key (keys do not travel yet): try escrow.
          if (!(error instanceof DecryptionError)) throw error;
        }
      }
    }
    if (!entry.escrowed) {
      throw new KeyUnavailableError(`service key ${entry.keyId} of ${this.category} is not in this device's keychain and not escrowed`);
    }
    if (this.options.protectionMode !== undefined && (await this.options.protectionMode()) !== 'standard') {
      throw new KeyUnavailableError(`service key ${entry.keyId} of ${this.category}: Advanced Data Protection is on (signed device log), so escrow is never asked`);
    }
    const key = await this.recover(entry.keyId);
    await keychain.putServiceKey({ category: this.category, key });
    return key;
  }

  private async recover(keyId: string): Promise<SymmetricKey> {
    let response: ServiceKeyRecoverResponse;
    try {
      response = await this.options.transport.post<ServiceKeyRecoverResponse>(this.path('keys/service/recover'), { keyId } satisfies ServiceKeyRecoverRequest);
    } catch (error) {
      throw new KeyUnavailableError(`service key ${keyId} of ${this.category} could not be recovered from escrow`, error);
    }
    return keyFromBytes('service', fromBase64(response.key), { id: response.keyId, version: response.version });
  }

  private async create(): Promise<SymmetricKey> {
    const { keychain, transport } = this.options;
    const keychainKey = await this.keychainKey();
    const key = generateKey('service');
    // Saved locally before the upload: if the upload succeeds but its answer is lost,
    // the key the server holds is still openable here.
    await keychain.putServiceKey({ category: this.category, key });
    const upload: ServiceKeyUpload = {
      keyId: key.id,
      version: key.version,
      category: this.category,
      wrappedByKeychain: toBase64(wrapKey(keychainKey, key)),
    };
    const escrowSealed = await this.sealForEscrow(key);
    if (escrowSealed !== undefined) upload.escrowSealed = escrowSealed;
    try {
      await transport.post<ServiceKeysLookupResponse>(this.path('keys/service/modify'), upload);
    } catch (error) {
      // Another device (or the server, for a plain client) created one first: use theirs.
      if (error instanceof ExistsError || error instanceof ConflictError) return this.resolveExisting();
      throw error;
    }
    return key;
  }

  private async resolveExisting(): Promise<SymmetricKey> {
    const entries = await this.lookup();
    const newest = entries.reduce<ServiceKeyWire | undefined>((a, b) => (a === undefined || b.version > a.version ? b : a), undefined);
    if (newest === undefined) throw new KeyUnavailableError(`the server refused a new service key for ${this.category} but has none`);
    return this.open(newest);
  }

  /** Standard protection: seal to the escrow key. Under ADP: no escrow copy at all. */
  private async sealForEscrow(key: SymmetricKey): Promise<string | undefined> {
    const { transport } = this.options;
    const mode = this.options.protectionMode !== undefined
      ? await this.options.protectionMode()
      : (await transport.get<UsersCallerResponse>(this.path('users/caller'))).protectionMode;
    if (!isEscrowAllowed(this.category, mode)) return undefined;
    const escrow = await transport.get<EscrowPublicKeyResponse>(ESCROW_PUBLIC_KEY_PATH);
    // The escrow label is the HPKE purpose the server's escrow module opens with.
    return toBase64(await sealKeyTo(fromBase64(escrow.publicKey), key, Labels.escrow));
  }

  /** This device's keychain key, created on first use (keychain keys do not travel yet). */
  private async keychainKey(): Promise<SymmetricKey> {
    if (this.options.keychainKey !== undefined) return this.options.keychainKey();
    const { keychain } = this.options;
    const existing = await keychain.getKeychainKey();
    if (existing !== undefined) return existing;
    const created = generateKey('keychain');
    await keychain.setKeychainKey(created);
    return created;
  }

  /** The keychain key a wrapped blob names: the local one, or (issue 4) the current one from the device layer. */
  private async keychainKeyFor(wrappedB64: string): Promise<SymmetricKey | undefined> {
    const local = await this.options.keychain.getKeychainKey();
    let parentId: string | undefined;
    try {
      parentId = inspectWrappedKey(fromBase64(wrappedB64)).parentId;
    } catch {
      return local;
    }
    if (local?.id === parentId || this.options.keychainKey === undefined) return local;
    try {
      return await this.options.keychainKey();
    } catch {
      return local; // not trusted (yet): fall through to escrow where allowed
    }
  }

  private path(operation: string): string {
    return databasePath(this.options.container, this.options.environment, 'private', operation);
  }
}
