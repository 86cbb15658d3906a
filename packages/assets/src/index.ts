/**
 * @coffer/assets — the client-side asset pipeline (docs/ASSETS.md): content-defined
 * chunking with a per-account secret gear table, and a worker-thread pool that hashes
 * and encrypts chunks on every core. Crypto comes from @coffer/crypto; this package adds
 * streaming, scheduling and I/O.
 */
export { DEFAULT_CHUNK_SIZES, FastCdc, type ChunkSizes } from './fastcdc.js';
export { ChunkSplitter, chunkFile, chunkStream, readFilePieces, type ChunkAllocator } from './chunk-stream.js';
export { ChunkCryptoPool, decryptChunks, encryptChunks, inOrder, type ChunkCryptoPoolOptions, type PooledChunk, type RepeatedChunk } from './crypto-pool.js';
export { createChunker, encryptFile, encryptStream, manifestOf } from './pipeline.js';
