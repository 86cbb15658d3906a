/**
 * The client-side asset pipeline, end to end on the device:
 *
 *   file ─read─▶ FastCDC (secret gear table) ─▶ pool: SHA-256, keyed id + key, pad, AES-256-GCM
 *        ─▶ EncryptedAssetChunk (id, key, size, ciphertext) in file order ─▶ upload (SDK)
 *   chunk refs + name + type ─▶ Asset manifest v1 ─▶ sealed under a fresh asset key in the record
 *
 * Nothing here talks to a server: the SDK drives `assets/missing` → `assets/upload` →
 * `records/modify` with what this module produces (docs/ASSETS.md).
 */
import { deriveGearTable, type AssetChunkRef, type AssetManifest, type AssetSecrets } from '@coffer/crypto';
import { chunkFile, chunkStream } from './chunk-stream.js';
import { encryptChunks, type ChunkCryptoPool, type PooledChunk } from './crypto-pool.js';
import { DEFAULT_CHUNK_SIZES, FastCdc, type ChunkSizes } from './fastcdc.js';

/** The account's chunker: FastCDC over the gear table derived from its chunker seed. */
export function createChunker(secrets: Pick<AssetSecrets, 'chunkerSeed'>, sizes: ChunkSizes = DEFAULT_CHUNK_SIZES): FastCdc {
  return new FastCdc(deriveGearTable(secrets.chunkerSeed), sizes);
}

/** Chunks and encrypts a file, yielding encrypted chunks in file order; memory stays flat. */
export function encryptFile(path: string, chunker: FastCdc, pool: ChunkCryptoPool): AsyncGenerator<PooledChunk> {
  return encryptChunks(chunkFile(path, chunker, (size, phase) => pool.allocatePlaintext(size, phase)), pool);
}

/** Chunks and encrypts a byte stream, in order. */
export function encryptStream(source: AsyncIterable<Uint8Array>, chunker: FastCdc, pool: ChunkCryptoPool): AsyncGenerator<PooledChunk> {
  return encryptChunks(chunkStream(source, chunker, (size, phase) => pool.allocatePlaintext(size, phase)), pool);
}

/** The manifest of a file from its chunk refs in order (sizes are summed, not trusted). */
export function manifestOf(chunks: readonly AssetChunkRef[], meta: { fileName?: string; contentType?: string } = {}): AssetManifest {
  return {
    fileSize: chunks.reduce((total, chunk) => total + chunk.size, 0),
    contentType: meta.contentType ?? '',
    fileName: meta.fileName ?? '',
    chunks: chunks.map(({ id, key, size }) => ({ id, key, size })),
  };
}
