/**
 * `db.downloadAsset(record, field)`: the asset's name, type and size from its manifest,
 * and its bytes as an async iterable of verified plaintext pieces (one per chunk, in
 * order). Nothing is fetched until iteration starts; iterating again downloads again.
 */
import type { AssetManifest } from '@coffer/crypto';
import type { AssetSession, DownloadOptions } from './asset-session.js';

export interface AssetDownload extends AsyncIterable<Uint8Array> {
  readonly fileName: string;
  readonly contentType: string;
  /** Plaintext bytes. */
  readonly size: number;
}

export function assetDownload(session: AssetSession, manifest: AssetManifest, options: DownloadOptions = {}): AssetDownload {
  return {
    fileName: manifest.fileName,
    contentType: manifest.contentType,
    size: manifest.fileSize,
    [Symbol.asyncIterator]: () => session.download(manifest.chunks, options),
  };
}
