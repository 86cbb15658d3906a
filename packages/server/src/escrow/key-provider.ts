/**
 * The escrow key: the server-side X25519 key that Standard-protection service keys are
 * HPKE-sealed to (crypto core "Sealed key v1", purpose Labels.escrow).
 *
 * `EscrowKeyProvider` is the seam for a KMS or HSM: an implementation only has to hand
 * out its public key and open sealed boxes addressed to it; the private key never needs
 * to leave it. `FileEscrowKeyProvider` (file-key-provider.ts) is the built-in one.
 */
import type { KeyKind, SymmetricKey } from '@coffer/crypto';

export interface EscrowKeyProvider {
  /** Public fingerprint of the key pair (32 hex chars); stable for the key's lifetime. */
  readonly keyId: string;
  /** The 32-byte X25519 public key that clients seal service keys to. */
  readonly publicKey: Uint8Array;
  /**
   * Opens a sealed key addressed to this escrow key.
   * @throws DecryptionError (crypto core) for a box not sealed to this key, another purpose,
   *   another kind than `expectedKind`, or any corruption.
   */
  open(sealed: Uint8Array, expectedKind: KeyKind): Promise<SymmetricKey>;
  /** Seals a key to this escrow key (needs only the public key). */
  seal(key: SymmetricKey): Promise<Uint8Array>;
}
