/**
 * Hashes, MAC and KDF (all SHA-256 based), plus per-purpose subkeys of a hierarchy key.
 * Every derivation's `info` starts with a label from the registry in labels.ts.
 */
import { hkdfSha256, hmacSha256 as hmacSha256Primitive, sha256 as sha256Primitive } from '#primitives';
import { fromHex, utf8Encode } from './bytes.js';
import { ByteWriter, framed } from './encoding.js';
import { FormatError } from './errors.js';
import { KIND_CODE, type SymmetricKey } from './keys.js';
import { Labels, type Label } from './labels.js';

export { Labels, type Label };

/** SHA-256 (FIPS 180-4). */
export function sha256(data: Uint8Array): Uint8Array {
  return sha256Primitive(data);
}

/** HMAC-SHA-256 (RFC 2104). */
export function hmacSha256(key: Uint8Array, data: Uint8Array): Uint8Array {
  return hmacSha256Primitive(key, data);
}

/**
 * HKDF-SHA-256 (RFC 5869). A string `info` is UTF-8 encoded.
 * @throws {@link FormatError} if `length` is not in [1, 8160].
 */
export function hkdf(ikm: Uint8Array, salt: Uint8Array, info: string | Uint8Array, length: number): Uint8Array {
  if (!Number.isInteger(length) || length < 1 || length > 255 * 32) throw new FormatError('hkdf: length out of range');
  return hkdfSha256(ikm, salt, typeof info === 'string' ? utf8Encode(info) : info, length);
}

/**
 * A per-purpose subkey of a hierarchy key (e.g. the convergence secret of the keychain key):
 * HKDF-SHA-256(ikm = parent bytes, salt = empty, info = lp(label) ‖ kind ‖ id ‖ u32 version).
 * Binding the parent's id and version means a rotated parent yields unrelated subkeys.
 */
export function deriveSubkey(parent: SymmetricKey, label: Label, length = 32): Uint8Array {
  const info = new ByteWriter(64)
    .bytes(framed(label))
    .u8(KIND_CODE[parent.kind])
    .bytes(fromHex(parent.id))
    .u32(parent.version)
    .finish();
  return hkdf(parent.bytes, new Uint8Array(0), info, length);
}
