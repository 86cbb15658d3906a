/**
 * @coffer/blobs — where the server keeps opaque bytes (encrypted asset chunks): the
 * {@link BlobStore} port and its adapters, local files (embedded default) and
 * S3-compatible object storage. No crypto and no knowledge of what the bytes are.
 */
export {
  assertBlobId, BlobIdError, BlobNotFoundError, BlobTooLargeError, collect, isBlobId, isBlobNotFound, isBlobTooLarge, listAll,
  type BlobListOptions, type BlobListPage, type BlobReadStream, type BlobSource, type BlobStat, type BlobStore,
} from './blob-store.js';
export { AlignedSlab, alignUp, DIRECT_IO_ALIGNMENT, directIoRoom, O_DIRECT } from './aligned-slab.js';
export { FileBlobStore, type FileBlobStoreOptions } from './file-blob-store.js';
export { S3BlobStore, type S3BlobStoreOptions } from './s3-blob-store.js';
export { openBlobStore, type OpenBlobStoreOptions } from './open.js';
