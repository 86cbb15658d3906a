/**
 * The key hierarchy (docs/PROTOCOL.md "Key hierarchy", "Wrapped key v1", "Key export v1"):
 *
 *   recovery ─▶ keychain ─▶ service ─▶ zone ─▶ record ─▶ asset
 *
 * Every symmetric key is 32 random bytes with a kind, a random public 16-byte id and a
 * version. A key is only ever stored wrapped by its parent kind; the wrapped form binds
 * both keys' kinds, ids and versions in the AEAD associated data, so a wrapped key
 * cannot be moved under another parent or passed off as another kind or version.
 */
import { aes256gcmOpen, aes256gcmSeal } from '#primitives';
import { fromBase64, randomBytes, toBase64, toHex, fromHex } from './bytes.js';
import { ByteReader, ByteWriter, framed } from './encoding.js';
import { DecryptionError, FormatError, KeyHierarchyError } from './errors.js';
import { Labels } from './labels.js';

export const KeyKinds = ['keychain', 'service', 'zone', 'record', 'asset', 'recovery'] as const;
export type KeyKind = (typeof KeyKinds)[number];

/** One byte per kind on the wire (PROTOCOL.md "Key kinds"); never renumber. */
export const KIND_CODE: Readonly<Record<KeyKind, number>> = {
  keychain: 1, service: 2, zone: 3, record: 4, asset: 5, recovery: 6,
};
const KIND_BY_CODE = new Map<number, KeyKind>(KeyKinds.map((k) => [KIND_CODE[k], k]));

/** The only allowed parent of each kind (the one that wraps it). The keychain key's devices get it via HPKE. */
const PARENT: Readonly<Record<KeyKind, KeyKind | null>> = {
  recovery: null, keychain: 'recovery', service: 'keychain', zone: 'service', record: 'zone', asset: 'record',
};

export interface SymmetricKey {
  readonly kind: KeyKind;
  /** Public identifier: 16 random bytes, lower-case hex (32 chars). */
  readonly id: string;
  /** Rotation counter, u32; a rotated key gets a new id and a higher version. */
  readonly version: number;
  /** The 32 secret bytes. Never log, never put in an error. */
  readonly bytes: Uint8Array;
}

/** True when `parent` is the kind allowed to wrap `child`. */
export function canWrap(parent: KeyKind, child: KeyKind): boolean {
  return PARENT[child] === parent;
}

export function kindFromCode(code: number): KeyKind | undefined {
  return KIND_BY_CODE.get(code);
}

const ID_RE = /^[0-9a-f]{32}$/;

function checkKeyFields(kind: unknown, id: unknown, version: unknown, bytes: unknown): void {
  if (typeof kind !== 'string' || !(KeyKinds as readonly string[]).includes(kind)) throw new FormatError('key: unknown kind');
  if (typeof id !== 'string' || !ID_RE.test(id)) throw new FormatError('key: id must be 32 lower-case hex characters');
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 0 || version > 0xffffffff) {
    throw new FormatError('key: version must be an integer in [0, 2^32)');
  }
  if (!(bytes instanceof Uint8Array) || bytes.length !== 32) throw new FormatError('key: must be 32 bytes');
}

/** A fresh random key of `kind` with a random id; `version` defaults to 1. */
export function generateKey(kind: KeyKind, options: { version?: number } = {}): SymmetricKey {
  return keyFromBytes(kind, randomBytes(32), { id: toHex(randomBytes(16)), version: options.version ?? 1 });
}

/**
 * Builds a key from its parts, e.g. a service key released by escrow (which carries
 * its id and version beside the raw bytes). Copies `bytes`.
 * @throws {@link FormatError} on an unknown kind, a malformed id, a version outside u32, or a length ≠ 32.
 */
export function keyFromBytes(kind: KeyKind, bytes: Uint8Array, meta: { id: string; version: number }): SymmetricKey {
  checkKeyFields(kind, meta.id, meta.version, bytes);
  return Object.freeze({ kind, id: meta.id, version: meta.version, bytes: bytes.slice() });
}

// ── Wrapped key v1 ────────────────────────────────────────────────────────────
// version(1) ‖ parentKind(1) ‖ parentId(16) ‖ parentVersion(4) ‖ childKind(1) ‖ childId(16)
// ‖ childVersion(4) ‖ nonce(12) ‖ AES-256-GCM(child bytes)(32) ‖ tag(16) = 103 bytes.
export const WRAPPED_KEY_V1 = 0x01;
const HEADER_LEN = 43;
export const WRAPPED_KEY_LENGTH = HEADER_LEN + 12 + 32 + 16;

export interface WrappedKeyHeader {
  readonly parentKind: KeyKind;
  readonly parentId: string;
  readonly parentVersion: number;
  readonly childKind: KeyKind;
  readonly childId: string;
  readonly childVersion: number;
}

function encodeHeader(parent: SymmetricKey, child: SymmetricKey): Uint8Array {
  return new ByteWriter(HEADER_LEN)
    .u8(WRAPPED_KEY_V1)
    .u8(KIND_CODE[parent.kind]).bytes(fromHex(parent.id)).u32(parent.version)
    .u8(KIND_CODE[child.kind]).bytes(fromHex(child.id)).u32(child.version)
    .finish();
}

/** AD = lp("coffer/v1/wrapped-key") ‖ header: binds both kinds, ids and versions (PROTOCOL.md "Wrapped key v1"). */
function wrapAd(header: Uint8Array): Uint8Array {
  return new ByteWriter(64).bytes(framed(Labels.wrappedKey)).bytes(header).finish();
}

/**
 * Wraps `child` under `parent` ("Wrapped key v1", 103 bytes).
 * @throws {@link KeyHierarchyError} unless `parent.kind` is the allowed parent of `child.kind`.
 */
export function wrapKey(parent: SymmetricKey, child: SymmetricKey): Uint8Array {
  return wrapKeyWithNonce(parent, child, randomBytes(12));
}

/**
 * Internal (vectors): wrapKey with a caller-chosen nonce. Random 96-bit nonces are safe
 * here because no parent wraps anywhere near 2^32 children (PROTOCOL.md "Nonce policy").
 */
export function wrapKeyWithNonce(parent: SymmetricKey, child: SymmetricKey, nonce: Uint8Array): Uint8Array {
  if (!canWrap(parent.kind, child.kind)) {
    throw new KeyHierarchyError(`a ${parent.kind} key may not wrap a ${child.kind} key`);
  }
  const header = encodeHeader(parent, child);
  const sealed = aes256gcmSeal(parent.bytes, nonce, child.bytes, wrapAd(header));
  return new ByteWriter(WRAPPED_KEY_LENGTH).bytes(header).bytes(nonce).bytes(sealed).finish();
}

/**
 * Reads the public header of a wrapped key (to pick the parent key) without opening it.
 * @throws {@link FormatError} on a wrong length, an unknown version or an unknown kind.
 */
export function inspectWrappedKey(wrapped: Uint8Array): WrappedKeyHeader {
  if (wrapped.length < 1 || wrapped[0] !== WRAPPED_KEY_V1) throw new FormatError('wrapped key: unknown version');
  if (wrapped.length !== WRAPPED_KEY_LENGTH) throw new FormatError('wrapped key: wrong length');
  const r = new ByteReader(wrapped, 'wrapped key');
  r.u8();
  const parentKind = kindFromCode(r.u8());
  const parentId = toHex(r.bytes(16));
  const parentVersion = r.u32();
  const childKind = kindFromCode(r.u8());
  const childId = toHex(r.bytes(16));
  const childVersion = r.u32();
  if (parentKind === undefined || childKind === undefined) throw new FormatError('wrapped key: unknown key kind');
  return { parentKind, parentId, parentVersion, childKind, childId, childVersion };
}

/**
 * Opens a wrapped key.
 * @throws {@link DecryptionError} on an unknown version, a wrong length, a parent other
 *   than `parent`, a child kind other than `expectedKind`, a disallowed edge, or a
 *   failed tag — all the same error, by design.
 */
export function unwrapKey(parent: SymmetricKey, wrapped: Uint8Array, expectedKind: KeyKind): SymmetricKey {
  let h: WrappedKeyHeader;
  try {
    h = inspectWrappedKey(wrapped);
  } catch {
    throw new DecryptionError('wrapped key');
  }
  if (
    h.parentKind !== parent.kind || h.parentId !== parent.id || h.parentVersion !== parent.version ||
    h.childKind !== expectedKind || !canWrap(h.parentKind, h.childKind)
  ) {
    throw new DecryptionError('wrapped key');
  }
  const header = wrapped.subarray(0, HEADER_LEN);
  const nonce = wrapped.subarray(HEADER_LEN, HEADER_LEN + 12);
  const bytes = aes256gcmOpenAs(parent.bytes, nonce, wrapped.subarray(HEADER_LEN + 12), wrapAd(header), 'wrapped key');
  return Object.freeze({ kind: h.childKind, id: h.childId, version: h.childVersion, bytes });
}

/** aes256gcmOpen with the error naming the format being opened. */
export function aes256gcmOpenAs(key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array, ad: Uint8Array, what: string): Uint8Array {
  try {
    return aes256gcmOpen(key, nonce, sealed, ad);
  } catch {
    throw new DecryptionError(what);
  }
}

// ── Key export v1 (local keychain files) ─────────────────────────────────────
// "coffer-key-v1:<kind>:<id>:<version>:<base64 of 32 bytes>"
const EXPORT_PREFIX = 'coffer-key-v1';

/** Text form of a key for the device's local key store. It contains the secret: store it like one. */
export function exportKey(key: SymmetricKey): string {
  return `${EXPORT_PREFIX}:${key.kind}:${key.id}:${key.version}:${toBase64(key.bytes)}`;
}

/**
 * Parses {@link exportKey} output.
 * @throws {@link FormatError} on an unknown prefix/version or any malformed part.
 */
export function importKey(text: string): SymmetricKey {
  const parts = text.split(':');
  if (parts[0] !== EXPORT_PREFIX) throw new FormatError('key export: unknown version');
  if (parts.length !== 5) throw new FormatError('key export: expected 5 fields');
  const [, kind, id, versionText, b64] = parts as [string, string, string, string, string];
  if (!/^(0|[1-9][0-9]{0,9})$/.test(versionText)) throw new FormatError('key export: malformed version');
  const bytes = fromBase64(b64);
  checkKeyFields(kind, id, Number(versionText), bytes);
  return Object.freeze({ kind: kind as KeyKind, id, version: Number(versionText), bytes });
}
