/**
 * The Standard-protection escrow: the record path's `RecordEscrow` port implemented over
 * the escrow key provider, plus the public key for clients.
 *
 * - sealFields: plain web-services clients send `{value, type, isEncrypted: true}`; the
 *   server encrypts each value under a record key (reused from the stored record's
 *   protectionInfo on merging writes, else new) wrapped by the zone's newest key, wrapped
 *   by the category's service key, whose escrow copy only this server can open. Under
 *   ADP: refused (BAD_REQUEST, ADP_PLAINTEXT_REFUSED).
 * - openFields: the reverse for plain clients on read; anything not openable (ADP, keys
 *   only on devices, tampering) is left out, so the client gets `{type, isEncrypted,
 *   ciphertext}` without a value.
 * - recoverServiceKey: keys/service/recover hands a signed-in device the raw service key,
 *   Standard protection and escrow-eligible categories only (else ACCESS_DENIED).
 */
import { toBase64 } from '@coffer/crypto';
import type { EscrowPublicKeyResponse, ServiceKeyRecoverResponse } from '@coffer/protocol';
import type { Store } from '@coffer/storage';
import type {
  EscrowOpenRequest,
  EscrowOpenResult,
  EscrowSealRequest,
  EscrowSealResult,
  EscrowServiceKey,
  RecordEscrow,
} from '../records/escrow-port.js';
import { categoryOfContainer, isEscrowEligible } from './categories.js';
import { adpRefusesPlaintext, recoverRefused } from './errors.js';
import { openValue, sealValue } from './field-crypto.js';
import { FileEscrowKeyProvider } from './file-key-provider.js';
import { KeyCache } from './key-cache.js';
import type { EscrowKeyProvider } from './key-provider.js';
import { EscrowServiceKeys } from './service-keys.js';
import { EscrowZoneKeys, type RecordKey } from './zone-record-keys.js';
import { CloudError } from '../http/cloud-error.js';

export interface EscrowDeps {
  dataDir: string;
  store: Store;
  /** Escrow key file; default `<dataDir>/escrow.key`. Ignored when `provider` is given. */
  keyPath?: string;
  /** A KMS/HSM-backed provider instead of the key file. */
  provider?: EscrowKeyProvider;
  /** Unwrapped service/zone keys kept in memory (LRU); default 10,000. */
  cacheSize?: number;
}

export interface Escrow extends RecordEscrow {
  readonly keyId: string;
  /** Body of `GET /escrow/1/public-key`. */
  publicKey(): EscrowPublicKeyResponse;
  /** Drops an account's cached keys (call when it turns ADP on). */
  forget(ownerRecordName: string): void;
}

export async function createEscrow(deps: EscrowDeps): Promise<Escrow> {
  const provider =
    deps.provider ??
    (await FileEscrowKeyProvider.load({
      path: deps.keyPath ?? FileEscrowKeyProvider.defaultPath(deps.dataDir),
      keyIds: deps.store.auth.serverKeyIds,
      now: Date.now(),
    }));
  const cache = new KeyCache(deps.cacheSize ?? 10_000);
  const serviceKeys = new EscrowServiceKeys(provider, cache);
  const zoneKeys = new EscrowZoneKeys(serviceKeys, cache);
  const accounts = deps.store.auth.accounts;

  async function isAdvanced(owner: string): Promise<boolean> {
    return (await accounts.protectionMode(owner)) === 'advanced';
  }

  return {
    keyId: provider.keyId,

    publicKey() {
      return { keyId: provider.keyId, publicKey: toBase64(provider.publicKey) };
    },

    forget(owner) {
      cache.forget(owner);
    },

    async sealFields(request: EscrowSealRequest): Promise<EscrowSealResult> {
      if (request.database === 'public') throw new CloudError('BAD_REQUEST', 'encrypted fields are not allowed in the public database');
      if (await isAdvanced(request.ownerRecordName)) throw adpRefusesPlaintext();
      const category = categoryOfContainer(request.container);
      const recordKey: RecordKey = request.existingProtection
        ? await zoneKeys.recordKeyFrom(request, request.existingProtection, category)
        : await zoneKeys.newRecordKey(request, category);
      const ciphertexts: Record<string, string> = {};
      for (const [name, field] of Object.entries(request.fields)) {
        ciphertexts[name] = sealValue(recordKey.key, request, name, field.type, field.value);
      }
      return { ciphertexts, protectionInfo: recordKey.protectionInfo };
    },

    async openFields(request: EscrowOpenRequest): Promise<EscrowOpenResult> {
      const values: Record<string, unknown> = {};
      if (request.protectionInfo === null || request.database === 'public') return { values };
      if (await isAdvanced(request.ownerRecordName)) return { values };
      let recordKey: RecordKey;
      try {
        recordKey = await zoneKeys.recordKeyFrom(request, request.protectionInfo, categoryOfContainer(request.container));
      } catch {
        return { values }; // keys not escrowed or unusable: the client gets ciphertext
      }
      for (const [name, field] of Object.entries(request.fields)) {
        const value = openValue(recordKey.key, request, name, field.type, field.ciphertext);
        if (value !== undefined) values[name] = value;
      }
      return { values };
    },

    async recoverServiceKey(request: { ownerRecordName: string; key: EscrowServiceKey }): Promise<ServiceKeyRecoverResponse> {
      const { key: stored, ownerRecordName } = request;
      if (!isEscrowEligible(stored.category)) {
        throw recoverRefused(`category ${stored.category} is always end-to-end encrypted; its keys are never escrowed and only trusted devices hold them`);
      }
      if (await isAdvanced(ownerRecordName)) {
        throw recoverRefused('account uses Advanced Data Protection; the server holds no keys — join through a trusted device or a recovery method');
      }
      if (stored.escrowSealed === null) {
        throw recoverRefused(`service key ${stored.keyId} was never escrowed; only trusted devices hold it`);
      }
      const key = await serviceKeys.open(ownerRecordName, stored);
      return { keyId: key.id, version: key.version, key: toBase64(key.bytes) };
    },
  };
}
