/**
 * The device side of chunk crypto for one account: the asset secrets derived from the
 * account keychain key (account-wide dedup; docs/PROTOCOL.md "Asset secrets v1"), the
 * chunker over the secret gear table, and what hashes and encrypts chunks: a worker pool
 * on machines with cores to spare, else this thread (see workerCount). Why the keychain key and not a category's service key: under Standard protection
 * the server can recover service keys from escrow, and with them it could compute the
 * chunk ids of a file it already knows; the keychain key never leaves trusted devices.
 *
 * One engine per keychain key per process (pools are costly; workers idle unref'd, so a
 * forgotten engine does not keep a process alive). @coffer/assets (worker threads) is
 * imported lazily so the SDK index still loads where there are no workers.
 */
import { convergenceKeys, deriveAssetSecrets, randomBytes, type SymmetricKey } from '@coffer/crypto';
import type { ChunkCryptoPool, FastCdc } from '@coffer/assets';
import { InlineChunkCrypto, type ChunkEncryptor } from './inline-crypto.js';

export interface AssetEngine {
  /** The keychain key id these secrets come from (a rotation starts a new dedup domain). */
  readonly keyId: string;
  readonly chunker: FastCdc;
  /** The encryptor for large jobs: the worker pool (see workerCount), started on first use, or `inline`. */
  pool(): Promise<ChunkEncryptor>;
  /**
   * The same crypto on the calling thread: for small jobs (an index, one small file),
   * where starting workers (hundreds of ms: each loads the TypeScript loader) costs more
   * than the work.
   */
  readonly inline: ChunkEncryptor;
  /** Stops the worker threads, if any were started. */
  close(): Promise<void>;
}

const engines = new Map<string, Promise<AssetEngine>>();
let assets: Promise<typeof import('@coffer/assets')> | undefined;

/** @coffer/assets (worker threads: Node only), imported once — under a loader with hooks every import() is a round trip. */
export function assetsModule(): Promise<typeof import('@coffer/assets')> {
  assets ??= import('@coffer/assets');
  return assets;
}
let decryptPool: Promise<ChunkCryptoPool> | undefined;

/** The engine of `keychainKey`, created on first use. */
export function assetEngine(keychainKey: SymmetricKey): Promise<AssetEngine> {
  let engine = engines.get(keychainKey.id);
  if (engine === undefined) {
    engine = createEngine(keychainKey);
    engines.set(keychainKey.id, engine);
    engine.catch(() => engines.delete(keychainKey.id));
  }
  return engine;
}

async function createEngine(keychainKey: SymmetricKey): Promise<AssetEngine> {
  const { ChunkCryptoPool, createChunker } = await assetsModule();
  const { availableParallelism } = await import('node:os');
  const secrets = deriveAssetSecrets(keychainKey);
  const keys = convergenceKeys(secrets.convergenceSecret);
  const inline = new InlineChunkCrypto(keys);
  const { workers } = workerCount(availableParallelism());
  let pool: ChunkCryptoPool | undefined;
  return {
    keyId: keychainKey.id,
    chunker: createChunker(secrets),
    // uploadCrc32: the checksum each upload frame carries is computed on the workers too.
    pool: () => Promise.resolve(workers === 0 ? inline : (pool ??= new ChunkCryptoPool({ keys, uploadCrc32: true, workers }))),
    inline,
    close: async () => {
      await pool?.close();
    },
  };
}

/**
 * A pool for downloads. Opening a chunk needs only the chunk key from the manifest, not
 * the account's secrets, so a device that can read (e.g. through Standard-protection
 * escrow) can restore without the keychain key; the pool's convergence keys are unused.
 */
export function decryptionPool(): Promise<ChunkCryptoPool> {
  decryptPool ??= (async () => {
    const { ChunkCryptoPool } = await assetsModule();
    const { availableParallelism } = await import('node:os');
    const unused = randomBytes(32);
    // arenaBytes 0: decryption moves chunks by transfer; the shared arena serves encryption only.
    return new ChunkCryptoPool({ keys: { chunkKeyKey: unused, chunkIdKey: unused }, arenaBytes: 0, ...workerCount(availableParallelism()) });
  })();
  decryptPool.catch(() => {
    decryptPool = undefined;
  });
  return decryptPool;
}

/**
 * Worker threads for the pool: `COFFER_ASSET_WORKERS` if set, else one per core but one
 * (the calling thread reads, chunks and uploads: that is a core's work) — and none on a
 * one-core machine. Workers are cheap to start from the bundled build (packages/cli's
 * launcher), and on two cores one worker beside the chunking thread beat inline
 * encryption in bench/backup once uploads went out in batches (server CPU per chunk
 * dropped); before that, inline won because the server took the second core.
 */
function workerCount(cores: number): { workers: number } {
  const text = process.env.COFFER_ASSET_WORKERS;
  const n = text === undefined || text === '' ? Number.NaN : Number(text);
  if (Number.isInteger(n) && n >= 0) return { workers: n };
  return { workers: Math.max(0, cores - 1) };
}

/** Stops every engine's workers (tests; a CLI command that wants to exit promptly). */
export async function closeAssetEngines(): Promise<void> {
  const all = [...engines.values()];
  const decrypt = decryptPool;
  engines.clear();
  decryptPool = undefined;
  await Promise.all(all.map(async (engine) => (await engine.catch(() => undefined))?.close()));
  await (await decrypt?.catch(() => undefined))?.close();
}
