/** Assets (CloudKit's CKAsset): chunked, keyed-convergent, deduplicated uploads and verified downloads. */
export { CofferAsset, type AssetWireValue } from './asset-value.js';
export { AssetSession, assetOf, type AssetSource, type UploadAssetOptions, type UploadFilesOptions, type DownloadOptions } from './asset-session.js';
export type { AssetDownload } from './asset-download.js';
export type { AssetRequestCounters, GarbageCollectionReport } from './asset-api.js';
export type { UploadStats, ChunkUploaderOptions } from './chunk-uploader.js';
export { closeAssetEngines } from './asset-engine.js';
