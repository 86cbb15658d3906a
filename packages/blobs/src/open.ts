/**
 * Picks the adapter from configuration: `COFFER_BLOBS`-style URLs.
 * - absent, or `file:///abs/path` → {@link FileBlobStore} (default `<dataDir>/blobs`)
 * - `s3://bucket/optional/prefix?endpoint=http://127.0.0.1:9000&region=us-east-1`
 *   → {@link S3BlobStore}; credentials come from the standard AWS environment/config chain,
 *   or from `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BlobStore } from './blob-store.js';
import { FileBlobStore } from './file-blob-store.js';
import { S3BlobStore, type S3BlobStoreOptions } from './s3-blob-store.js';

export interface OpenBlobStoreOptions {
  /** The server's data directory; the file store defaults to `<dataDir>/blobs`. */
  dataDir: string;
  /** A `file:` or `s3:` URL; default the file store under `dataDir`. */
  url?: string;
}

export function openBlobStore(options: OpenBlobStoreOptions): BlobStore {
  if (options.url === undefined || options.url === '') return new FileBlobStore({ root: join(options.dataDir, 'blobs') });
  const url = new URL(options.url);
  if (url.protocol === 'file:') return new FileBlobStore({ root: fileURLToPath(url) });
  if (url.protocol === 's3:') {
    const path = decodeURIComponent(url.pathname).replace(/^\/+/, '');
    const s3: S3BlobStoreOptions = { bucket: url.hostname, keyPrefix: path === '' || path.endsWith('/') ? path : `${path}/` };
    const endpoint = url.searchParams.get('endpoint');
    const region = url.searchParams.get('region');
    if (endpoint !== null) s3.endpoint = endpoint;
    if (region !== null) s3.region = region;
    return new S3BlobStore(s3);
  }
  throw new TypeError(`unsupported blob store URL scheme ${JSON.stringify(url.protocol)} (expected file: or s3:)`);
}
