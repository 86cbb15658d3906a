/**
 * CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320 — zlib's and PNG's) of a chunk's
 * ciphertext, sent with each frame of a chunk batch so the server can refuse bytes
 * corrupted in transit before it acknowledges them. A checksum, not a security check:
 * the AEAD protects chunks end to end. In Node it is zlib's (SIMD, GB/s); elsewhere a
 * table-driven loop.
 */

let table: Uint32Array | undefined;

/** The byte-at-a-time reference form (browsers; and the tests' cross-check). */
export function crc32Portable(data: Uint8Array, crc = 0): number {
  if (table === undefined) {
    table = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c >>> 0;
    }
  }
  let c = ~crc;
  for (let i = 0; i < data.length; i++) c = table[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

let loaded: Promise<(data: Uint8Array) => number> | undefined;

/** The fastest CRC-32 this runtime has (node:zlib's where it exists). */
export function loadCrc32(): Promise<(data: Uint8Array) => number> {
  loaded ??= import('node:zlib').then(
    (zlib) => (typeof zlib.crc32 === 'function' ? (data: Uint8Array) => zlib.crc32(data) : crc32Portable),
    () => crc32Portable,
  );
  return loaded;
}
