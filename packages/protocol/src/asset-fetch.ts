/**
 * `POST …/private/assets/fetch`: many chunks' ciphertext in one response, as Chunk fetch
 * stream v1 (docs/PROTOCOL.md "Chunk fetch stream v1", docs/API.md). Shared by the server
 * (packages/server/src/assets/asset-fetch.ts) and the SDK's parser (chunk-fetcher.ts).
 *
 *   stream = version (u8, 0x01) ‖ frame × (one per requested id, request order)
 *   frame  = status (u8) ‖ u32 BE length ‖ length bytes
 */

export const AssetFetch = {
  /** First byte of the response body. */
  version: 1,
  /** Ids per request. */
  maxIds: 1000,
  /**
   * Stored bytes one request may ask for (duplicates count each time): a request over it is
   * refused up front with LIMIT_EXCEEDED. Larger than one chunk (≤ 4 MiB + 132 KiB) can be.
   */
  maxBytes: 64 * 1024 * 1024,
  /** status ‖ u32 length. */
  frameHeaderBytes: 5,
  /** Frame statuses. */
  status: {
    /** The frame holds the chunk's stored bytes (Asset chunk v1 ciphertext). */
    ok: 0,
    /** This user stores no chunk under the id (or its bytes are gone); length 0. */
    notFound: 1,
  },
} as const;

/** `assets/fetch` request body. */
export interface AssetsFetchRequest {
  chunkIds: string[];
}
