/**
 * Service keys as the escrow sees them: the category's current key (created here,
 * escrow-sealed only, when the account has none yet — a device picks it up later through
 * keys/service/recover and adds its keychain wrap), and keys by id for zone keys wrapped
 * under older ones. Opening always goes through the escrow key provider.
 */
import { fromBase64, generateKey, toBase64, type SymmetricKey } from '@coffer/crypto';
import type { EscrowKeyAccess, EscrowServiceKey } from '../records/escrow-port.js';
import { isEscrowEligible } from './categories.js';
import { keysNotEscrowed, unusableKeys } from './errors.js';
import type { KeyCache } from './key-cache.js';
import type { EscrowKeyProvider } from './key-provider.js';

/** The newest key wins; equal versions (two creators racing) are broken by the smaller id, so every node picks the same one. */
function newestOf(keys: readonly EscrowServiceKey[]): EscrowServiceKey | undefined {
  let best: EscrowServiceKey | undefined;
  for (const key of keys) {
    if (best === undefined || key.version > best.version || (key.version === best.version && key.keyId < best.keyId)) best = key;
  }
  return best;
}

export class EscrowServiceKeys {
  constructor(
    private readonly provider: EscrowKeyProvider,
    private readonly cache: KeyCache,
  ) {}

  /** Opens a stored service key from its escrow copy (cached per owner). */
  async open(owner: string, stored: EscrowServiceKey): Promise<SymmetricKey> {
    // Checked before the cache: a key whose escrow copy was deleted (ADP on) is not served from memory either.
    if (!isEscrowEligible(stored.category) || stored.escrowSealed === null) {
      throw keysNotEscrowed(`the service key of ${stored.category}`);
    }
    const cached = this.cache.get(owner, 'service', stored.keyId, stored.version);
    if (cached) return cached;
    let key: SymmetricKey;
    try {
      key = await this.provider.open(fromBase64(stored.escrowSealed), 'service');
    } catch {
      throw unusableKeys(`the escrow copy of service key ${stored.keyId}`);
    }
    // The sealed box binds id and version (HPKE aad); a row claiming others is tampering.
    if (key.id !== stored.keyId || key.version !== stored.version) throw unusableKeys(`service key ${stored.keyId}`);
    this.cache.set(owner, key);
    return key;
  }

  /** The category's current service key, creating an escrow-only one if the account has none. */
  async current(owner: string, keys: EscrowKeyAccess, category: string): Promise<SymmetricKey> {
    let newest = newestOf((await keys.serviceKeys()).filter((k) => k.category === category));
    if (newest === undefined) {
      const created = generateKey('service');
      await keys.addServiceKey({
        keyId: created.id,
        version: created.version,
        category,
        wrappedByKeychain: null,
        escrowSealed: toBase64(await this.provider.seal(created)),
      });
      // Re-read: if another node or device created one concurrently, all converge on the same winner.
      newest = newestOf((await keys.serviceKeys()).filter((k) => k.category === category));
      if (newest === undefined) throw new Error('service key vanished after insert');
    }
    return this.open(owner, newest);
  }

  /** A service key by id, which must belong to `category` (a zone key names the key that wraps it). */
  async byId(owner: string, keys: EscrowKeyAccess, keyId: string, category: string): Promise<SymmetricKey> {
    const stored = (await keys.serviceKeys()).find((k) => k.keyId === keyId);
    if (stored === undefined || stored.category !== category) throw unusableKeys(`the zone key's service key ${keyId}`);
    return this.open(owner, stored);
  }
}
