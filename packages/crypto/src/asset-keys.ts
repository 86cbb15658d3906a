/**
 * Asset secrets (docs/PROTOCOL.md "Assets", "Asset secrets v1"): the per-account values
 * that make chunking and chunk identities unguessable to anyone without the keychain.
 *
 *   parent (keychain key; a service key scopes dedup to one category)
 *     ├─ convergence secret = deriveSubkey(parent, Labels.convergenceSecret)
 *     │    ├─ chunk-key key K_k = HKDF(conv, salt = ∅, info = lp("coffer/v1/asset/chunk-key"), 32)
 *     │    └─ chunk-id key  K_i = HKDF(conv, salt = ∅, info = lp("coffer/v1/asset/chunk-id"), 32)
 *     └─ chunker seed     = deriveSubkey(parent, Labels.chunkerSeed)
 *          └─ gear table  = HKDF(seed, salt = ∅, info = lp("coffer/v1/asset/gear-table"), 1024) as 256 × u32 BE
 *
 * Keyed convergence: a chunk's key and id are HMACs of its SHA-256 under K_k / K_i, so
 * identical chunks of one account dedupe, while without the secret nobody can derive a
 * chunk's id or key from content they already know (Apple's convergent keys and raw
 * checksums allow exactly that confirmation-of-file attack). deriveSubkey binds the
 * parent's id and version: rotating the parent starts a new dedup domain.
 */
import { deriveSubkey, hkdf } from './derive.js';
import { framed } from './encoding.js';
import { FormatError, KeyHierarchyError } from './errors.js';
import type { SymmetricKey } from './keys.js';
import { Labels } from './labels.js';

/**
 * Asset labels not (yet) in the shared registry of labels.ts; each is used in exactly one
 * derivation below. Same naming scheme, same rule: a label never changes meaning.
 */
export const AssetLabels = {
  /** HKDF info: convergence secret → chunk-key key. */
  chunkKey: 'coffer/v1/asset/chunk-key',
  /** HKDF info: convergence secret → chunk-id key. */
  chunkId: 'coffer/v1/asset/chunk-id',
  /** HKDF info: chunker seed → FastCDC gear table. */
  gearTable: 'coffer/v1/asset/gear-table',
} as const;

/** The two per-account asset secrets. Both are secret; neither ever leaves a trusted device. */
export interface AssetSecrets {
  /** 32 bytes; input to {@link convergenceKeys}. */
  readonly convergenceSecret: Uint8Array;
  /** 32 bytes; input to {@link deriveGearTable}. */
  readonly chunkerSeed: Uint8Array;
}

/** The keys that turn a chunk's SHA-256 into its key and its server-visible id. */
export interface ConvergenceKeys {
  /** K_k: chunk key = HMAC-SHA-256(K_k, SHA-256(chunk)). */
  readonly chunkKeyKey: Uint8Array;
  /** K_i: chunk id = HMAC-SHA-256(K_i, SHA-256(chunk)). */
  readonly chunkIdKey: Uint8Array;
}

/** Number of entries in the gear table (one per byte value). */
export const GEAR_TABLE_SIZE = 256;

/**
 * Derives the asset secrets of an account from its keychain key (account-wide dedup,
 * the default) or from a service key (dedup inside one data category only).
 * @throws {@link KeyHierarchyError} for any other kind of key.
 */
export function deriveAssetSecrets(parent: SymmetricKey): AssetSecrets {
  if (parent.kind !== 'keychain' && parent.kind !== 'service') {
    throw new KeyHierarchyError(`asset secrets derive from a keychain or service key, not a ${parent.kind} key`);
  }
  return {
    convergenceSecret: deriveSubkey(parent, Labels.convergenceSecret),
    chunkerSeed: deriveSubkey(parent, Labels.chunkerSeed),
  };
}

function expand(secret: Uint8Array, label: string, length: number): Uint8Array {
  if (secret.length !== 32) throw new FormatError('asset secret must be 32 bytes');
  return hkdf(secret, new Uint8Array(0), framed(label), length);
}

/**
 * K_k and K_i from the convergence secret.
 * @throws {@link FormatError} if the secret is not 32 bytes.
 */
export function convergenceKeys(convergenceSecret: Uint8Array): ConvergenceKeys {
  return {
    chunkKeyKey: expand(convergenceSecret, AssetLabels.chunkKey, 32),
    chunkIdKey: expand(convergenceSecret, AssetLabels.chunkId, 32),
  };
}

/**
 * The 256-entry, 32-bit gear table of the account's content-defined chunker (FastCDC),
 * so chunk boundaries depend on a secret. HKDF-SHA-256 is the PRF (RFC 5869 §2.3
 * allows up to 255·32 bytes of output; we take 1024), read as big-endian u32s.
 * @throws {@link FormatError} if the seed is not 32 bytes.
 */
export function deriveGearTable(chunkerSeed: Uint8Array): Uint32Array {
  const bytes = expand(chunkerSeed, AssetLabels.gearTable, GEAR_TABLE_SIZE * 4);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const table = new Uint32Array(GEAR_TABLE_SIZE);
  for (let i = 0; i < GEAR_TABLE_SIZE; i++) table[i] = view.getUint32(i * 4);
  return table;
}
