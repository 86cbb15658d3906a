/**
 * Key endpoints (Coffer extension). The server stores service keys only as wrapped
 * blobs: wrapped by the account keychain key (openable only on devices), and — in
 * Standard protection, for escrow-eligible categories — HPKE-sealed to the server's
 * escrow public key. docs/PROTOCOL.md gives the byte formats; docs/SECURITY.md says
 * who can open what.
 *
 * Paths (POST unless noted), under `/database/1/{container}/{environment}/private/`:
 * - `keys/service/lookup`  → ServiceKeysLookupResponse (the container's service keys)
 * - `keys/service/modify`  ServiceKeyUpload → ServiceKeysLookupResponse
 * - `keys/service/recover` (Standard protection only) → ServiceKeyRecoverResponse
 * And `GET /escrow/1/public-key` → EscrowPublicKeyResponse.
 */
export interface ServiceKeyWire {
  keyId: string;
  version: number;
  /** Data category, e.g. `app:<container>`, `drive`, `notes`. */
  category: string;
  /** base64 wrapped-key blob under the keychain key; absent if only the server escrow holds it. */
  wrappedByKeychain?: string;
  /** True when the server's escrow holds a copy (Standard protection). */
  escrowed: boolean;
}

export interface ServiceKeysLookupResponse {
  serviceKeys: ServiceKeyWire[];
}

export interface ServiceKeyUpload {
  keyId: string;
  version: number;
  /** Data category; defaults to `app:<container>` of the request path. */
  category?: string;
  wrappedByKeychain: string;
  /** base64 HPKE sealed box to the escrow public key; omitted under ADP or for always-E2E categories. */
  escrowSealed?: string;
}

export interface ServiceKeyRecoverRequest {
  keyId: string;
}
export interface ServiceKeyRecoverResponse {
  keyId: string;
  version: number;
  /** base64 of the raw 32-byte service key, released by escrow to a signed-in client. */
  key: string;
}

export interface EscrowPublicKeyResponse {
  keyId: string;
  /** base64 X25519 public key. */
  publicKey: string;
}
