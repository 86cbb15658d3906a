import type { Store } from '@coffer/storage';
import type { AssetService } from '../assets/index.js';
import type { RecordEscrow } from '../records/escrow-port.js';
import type { TokenCodec } from '../tokens/token-codec.js';

/** What every record-API handler works with. */
export interface ApiContext {
  store: Store;
  escrow: RecordEscrow;
  tokens: TokenCodec;
  quotaBytes: number;
  /** Chunk checks and references of ASSET fields (absent: records naming chunks are refused). */
  assets?: AssetService;
}
