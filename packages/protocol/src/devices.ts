/**
 * Trusted devices, protection mode and recovery — wire bodies of `/devices/1/…`,
 * `/protection/1/…` and `/recovery/1/…` (issue 4; docs/API.md "Devices, protection modes
 * and recovery (server)"). Every endpoint needs a session; errors use the CloudKit
 * envelope (errors.ts). Byte strings are standard base64; times are ms since the epoch.
 *
 * The server stores everything here opaquely — signed log entries, keys sealed to
 * devices, wrapped keychain keys, shares sealed to contacts' devices — and never holds
 * enough to open any of it. Clients verify the device log on every fetch.
 */
import type { CategoryStatus, ProtectionMode } from './categories.js';

export const DevicePaths = {
  log: '/devices/1/log', // GET
  logAppend: '/devices/1/log/append',
  joinRequest: '/devices/1/join/request',
  joinPending: '/devices/1/join/pending', // GET
  joinApprove: '/devices/1/join/approve',
  joinDeny: '/devices/1/join/deny',
  joinStatus: '/devices/1/join/status',
  joinNonce: '/devices/1/join/nonce',
  keychainPut: '/devices/1/keychain/put',
  keychainRotate: '/devices/1/keychain/rotate',
  keychainGet: '/devices/1/keychain/get',
  keychainItemsGet: '/devices/1/keychain/items/get',
  keychainItemsPut: '/devices/1/keychain/items/put',
  protectionStatus: '/protection/1/status', // GET
  recoveryKeyPut: '/recovery/1/recovery-key/put',
  recoveryKeyGet: '/recovery/1/recovery-key/get',
  recoveryKeyDelete: '/recovery/1/recovery-key/delete',
  contactsAdd: '/recovery/1/contacts/add',
  contactsList: '/recovery/1/contacts/list', // GET
  contactsRemove: '/recovery/1/contacts/remove',
  contactsInvitations: '/recovery/1/contacts/invitations', // GET (contact side)
  contactsAccept: '/recovery/1/contacts/accept', // contact side
  contactsDecline: '/recovery/1/contacts/decline', // contact side
  contactsIdentity: '/recovery/1/contacts/identity',
  contactsSetPut: '/recovery/1/contacts/set/put',
  contactsSetGet: '/recovery/1/contacts/set/get',
  contactsSetDelete: '/recovery/1/contacts/set/delete',
  contactsRequest: '/recovery/1/contacts/request', // new device
  contactsRequestStatus: '/recovery/1/contacts/request/status', // new device
  contactsRequestProof: '/recovery/1/contacts/request/proof', // new device
  contactsRequests: '/recovery/1/contacts/requests', // GET (contact side)
  contactsChallenge: '/recovery/1/contacts/challenge', // contact side
  contactsRejectProof: '/recovery/1/contacts/reject-proof', // contact side
  contactsRelease: '/recovery/1/contacts/release', // contact side
  contactsDeny: '/recovery/1/contacts/deny', // contact side
  passcodeEnrollStart: '/recovery/1/passcode/enroll/start',
  passcodeEnrollFinish: '/recovery/1/passcode/enroll/finish',
  passcodeEvaluate: '/recovery/1/passcode/evaluate',
  passcodeOpen: '/recovery/1/passcode/open',
  passcodeStatus: '/recovery/1/passcode/status',
  passcodeDelete: '/recovery/1/passcode/delete',
  keychainReset: '/recovery/1/keychain/reset',
} as const;

/** Header naming the calling device (its device id, 32 hex) where the server needs it. */
export const DEVICE_ID_HEADER = 'x-coffer-device';

/** Sizes and counts the server enforces on these endpoints (over → BAD_REQUEST / LIMIT_EXCEEDED). */
export const DeviceLimits = {
  /** One encoded log entry (an add-device entry with a 256-byte name is ~450 bytes). */
  logEntryBytes: 2048,
  entriesPerAppend: 64,
  logEntries: 10_000,
  /** A public identity, a sealed key, a wrapped key, a share or a proof. */
  blobBytes: 4096,
  /** The opaque keychain items blob (convergence secret, chunker seed, …). */
  keychainItemsBytes: 1_048_576,
  /** Devices a keychain rotation may carry. */
  devicesPerRotation: 256,
  joinRequestTtlMs: 10 * 60_000,
  /** Pending (unexpired, undecided) join requests per account. */
  pendingJoinRequests: 20,
  contacts: 16,
  contactRequestTtlMs: 24 * 60 * 60_000,
  /** Proofs a new device may submit for one contact request before it is denied. */
  contactProofAttempts: 5,
  passcodeAttempts: 10,
  passcodeEnrollTtlMs: 10 * 60_000,
} as const;

/** A device id: 32 lower-case hex characters (crypto `deviceIdOf`). */
export const DEVICE_ID_PATTERN = /^[0-9a-f]{32}$/;

/** Body of acknowledgements. */
export type DevicesOkResponse = Record<string, never>;

// ── Device log ────────────────────────────────────────────────────────────────────

/** `GET /devices/1/log`: every entry, in order (base64 of crypto `encodeLogEntry`). Empty for a new account. */
export interface DeviceLogResponse {
  entries: string[];
}

/**
 * `POST /devices/1/log/append`: compare-and-append. `expectedLength` is the log length the
 * client verified; a different current length → CONFLICT (fetch, verify, retry). The server
 * checks only sizes and the v1 header; signatures are the clients' job.
 */
export interface DeviceLogAppendRequest {
  entries: string[];
  expectedLength: number;
}
export interface DeviceLogAppendResponse {
  length: number;
}

/**
 * Exact `reason`s (the whole reason string) that clients may branch on. Other failures carry
 * prose; CONFLICT on log/append means `expectedLength` is stale (fetch, verify, retry).
 */
export const DeviceLogReasons = {
  /**
   * BAD_REQUEST on log/append with an adp-on entry (or on deleting the last recovery method
   * under ADP): the account has no recovery-key record and no recovery-contact set.
   */
  adpRequiresRecoveryMethod: 'adpRequiresRecoveryMethod',
} as const;

// ── Join by approval ──────────────────────────────────────────────────────────────

/**
 * New device → `join/request`: its public identity (base64 of crypto `encodePublicIdentity`),
 * and optionally a commitment to a nonce (commit-reveal join codes: the device commits,
 * the approver posts its nonce, the device reveals — via `join/nonce` — so a server cannot
 * grind request ids until the codes match). The server stores and relays these opaquely.
 */
export interface JoinRequestCreate {
  publicIdentity: string;
  /** base64, ≤ 64 bytes. */
  commitment?: string;
}
export interface JoinRequestCreated {
  requestId: string;
  expiresAt: number;
}

export interface JoinRequestWire {
  requestId: string;
  publicIdentity: string;
  createdAt: number;
  expiresAt: number;
  commitment?: string;
  approverNonce?: string;
  deviceNonce?: string;
}
/** `GET join/pending`: unexpired requests nobody decided yet, oldest first. */
export interface JoinPendingResponse {
  requests: JoinRequestWire[];
}

/**
 * Trusted device → `join/approve`, after appending the add-device entry. When `deviceId` and
 * `keychainKeyId` are given the sealed key is also stored as that device's keychain copy
 * (same as keychain/put), in the same transaction.
 */
export interface JoinApproveRequest {
  requestId: string;
  sealedKeychainKey: string;
  deviceId?: string;
  keychainKeyId?: string;
}
export interface JoinDenyRequest {
  requestId: string;
}
export interface JoinStatusRequest {
  requestId: string;
}
/**
 * `join/nonce`: the approving device posts `approverNonce`, the new device `deviceNonce`
 * (exactly one per call, base64 ≤ 64 bytes); each is write-once while the request is pending.
 */
export interface JoinNonceRequest {
  requestId: string;
  approverNonce?: string;
  deviceNonce?: string;
}
export type JoinState = 'pending' | 'approved' | 'expired' | 'denied';
export interface JoinStatusResponse {
  state: JoinState;
  expiresAt: number;
  /** Present when approved: the keychain key sealed to the new device's HPKE key. */
  sealedKeychainKey?: string;
  commitment?: string;
  approverNonce?: string;
  deviceNonce?: string;
}

// ── Keychain key copies and the keychain items blob ─────────────────────────────────

/** Stores (or replaces) one device's copy of the keychain key, sealed to that device. */
export interface KeychainPutRequest {
  deviceId: string;
  keychainKeyId: string;
  sealedKeychainKey: string;
}
/** Rotation: replaces EVERY device's copy at once (devices not listed lose theirs). */
export interface KeychainRotateRequest {
  keychainKeyId: string;
  copies: { deviceId: string; sealedKeychainKey: string }[];
}
/** `keychain/get` (empty body; the device id comes from the X-Coffer-Device header) → the caller's copy, or NOT_FOUND. */
export interface KeychainCopyResponse {
  deviceId: string;
  keychainKeyId: string;
  sealedKeychainKey: string;
}

/**
 * The account keychain's other secrets (convergence secret, chunker seed, …) as ONE blob
 * encrypted under the keychain key. Versioned compare-and-swap: `expectedVersion` 0 creates.
 */
export interface KeychainItemsResponse {
  /** 0 when nothing is stored yet (and no blob). */
  version: number;
  keychainKeyId?: string;
  blob?: string;
}
export interface KeychainItemsPutRequest {
  expectedVersion: number;
  keychainKeyId: string;
  blob: string;
}
/** CONFLICT when `expectedVersion` is stale. */
export interface KeychainItemsPutResponse {
  version: number;
}

// ── Protection mode ─────────────────────────────────────────────────────────────────

/** `GET /protection/1/status`: the mode the log's last adp-on/adp-off says, and the category table for it. */
export interface ProtectionStatusResponse {
  mode: ProtectionMode;
  categories: CategoryStatus[];
}

// ── Recovery key ────────────────────────────────────────────────────────────────────

/** The recovery-key record: the keychain key wrapped by the recovery wrapping key. Put replaces any old one. */
export interface RecoveryKeyRecord {
  recoveryKeyId: string;
  /** base64, ≥ 16 bytes: the HKDF salt of crypto `recoveryWrappingKey`. */
  salt: string;
  wrappedKeychainKey: string;
  /** base64 Ed25519 public key of the recovery signer (32 bytes). */
  signerPublicKey: string;
}

// ── Recovery contacts ───────────────────────────────────────────────────────────────
// Owner invites a contact (another account); the contact accepts; the owner seals one share
// per contact to the contact's devices (k-of-n) and stores the set; a new device of the owner
// asks a contact; the contact's device posts a challenge and shows a code out of band; the
// new device posts a proof bound to the code; the contact's device checks it and re-seals
// the share to the new device. The server releases nothing it could open itself.

export interface ContactsAddRequest {
  contactEmail: string;
}
export type ContactState = 'invited' | 'accepted' | 'declined';
export interface ContactWire {
  contactUserRecordName: string;
  contactEmail: string;
  state: ContactState;
  /** Whether the stored contact set holds a share for this contact. */
  hasShare: boolean;
  createdAt: number;
}
export interface ContactsListResponse {
  contacts: ContactWire[];
  /** k of the stored contact set; absent when no set is stored. */
  threshold?: number;
}
export interface ContactsRemoveRequest {
  contactUserRecordName: string;
}

/** Contact side: invitations addressed to the caller. */
export interface ContactInvitationWire {
  ownerUserRecordName: string;
  ownerEmail: string;
  state: ContactState;
  createdAt: number;
}
export interface ContactInvitationsResponse {
  invitations: ContactInvitationWire[];
}
export interface ContactRespondRequest {
  ownerUserRecordName: string;
}

/** Owner: the accepted contact's device log, to verify and seal the share to its devices. */
export interface ContactIdentityRequest {
  contactUserRecordName?: string;
  email?: string;
}
export interface ContactIdentityResponse {
  userRecordName: string;
  /** The contact account's device log entries (verify with crypto `verifyDeviceLog`). */
  log: string[];
}

/** One contact's share, sealed separately to each of the contact's devices. */
export interface ContactShareWire {
  contactUserRecordName: string;
  sealedShares: { deviceId: string; sealedShare: string }[];
}
/**
 * The contact recovery set: k-of-n shares of a recovery secret that unwraps
 * `wrappedKeychainKey` and derives the recovery signer. Put replaces the whole set.
 */
export interface ContactSetRecord {
  setId: string;
  threshold: number;
  salt: string;
  wrappedKeychainKey: string;
  signerPublicKey: string;
  shares: ContactShareWire[];
}
/** `contacts/set/get` returns the set without the shares' bytes (they are for contacts only). */
export interface ContactSetResponse {
  setId: string;
  threshold: number;
  salt: string;
  wrappedKeychainKey: string;
  signerPublicKey: string;
  contacts: string[];
}

export type ContactRequestState = 'pending' | 'challenged' | 'proved' | 'released' | 'denied' | 'expired';

/** New device (signed in as the owner) asks one contact. */
export interface ContactRequestCreate {
  contactUserRecordName: string;
  /** The new device's public identity (base64 `encodePublicIdentity`). */
  publicIdentity: string;
}
export interface ContactRequestCreated {
  requestId: string;
  expiresAt: number;
}
export interface ContactRequestIdBody {
  requestId: string;
}
export interface ContactRequestStatusResponse {
  state: ContactRequestState;
  expiresAt: number;
  /** The contact device's challenge (opaque), once posted. */
  challenge?: string;
  /** Proofs the new device may still submit. */
  proofAttemptsLeft: number;
  /** When released: the share re-sealed by the contact's device to the new device. */
  releasedShare?: string;
}
export interface ContactProofRequest {
  requestId: string;
  proof: string;
}

/** Contact side: requests from owners who chose the caller, with the caller's sealed share. */
export interface ContactRecoveryRequestWire {
  requestId: string;
  ownerUserRecordName: string;
  ownerEmail: string;
  publicIdentity: string;
  state: ContactRequestState;
  createdAt: number;
  expiresAt: number;
  challenge?: string;
  proof?: string;
  /** The owner's share for this contact, sealed to each of the contact's devices (from the stored set). */
  sealedShares: { deviceId: string; sealedShare: string }[];
}
export interface ContactRequestsResponse {
  requests: ContactRecoveryRequestWire[];
}
export interface ContactChallengeRequest {
  requestId: string;
  challenge: string;
}
/** Allowed only in state `proved`. */
export interface ContactReleaseRequest {
  requestId: string;
  releasedShare: string;
}

// ── Passcode escrow (OPRF, RFC 9497 ristretto255-SHA512) ───────────────────────────
// Enroll: start gives a fresh enrollment's OPRF evaluation; finish stores the wrapped
// keychain key and the verifier and makes it the account's escrow (replacing any old one).
// Recover: evaluate (costs one of 10 attempts, decremented before evaluating) then open
// with the proof; a correct open resets the attempts; when they are spent the record is destroyed.

export interface PasscodeEvaluateRequest {
  /** base64 of the blinded element (32 bytes). */
  blinded: string;
}
export interface PasscodeEnrollStartResponse {
  enrollmentId: string;
  /** base64 of the evaluated element (32 bytes). */
  evaluated: string;
}
export interface PasscodeEnrollFinishRequest {
  enrollmentId: string;
  wrappedKeychainKey: string;
  /** HMAC(authKey, "coffer/v1/passcode-verifier"), 32 bytes base64. */
  verifier: string;
}
export interface PasscodeEvaluateResponse {
  evaluated: string;
  /** Attempts left after this one. */
  attemptsLeft: number;
}
export interface PasscodeOpenRequest {
  proof: string;
}
export interface PasscodeOpenResponse {
  wrappedKeychainKey: string;
}
export interface PasscodeStatusResponse {
  enrolled: boolean;
  attemptsLeft?: number;
}

/** Exact `reason`s of passcode failures (NOT_FOUND / ACCESS_DENIED). */
export const PasscodeReasons = {
  /** No escrow record (never enrolled, deleted, or destroyed after 10 failed attempts). */
  passcodeNotEnrolled: 'passcodeNotEnrolled',
  /** The proof did not match; the attempt is spent. */
  passcodeIncorrect: 'passcodeIncorrect',
  /** The last attempt was spent; the record is now destroyed. */
  passcodeAttemptsExhausted: 'passcodeAttemptsExhausted',
} as const;

// ── Keychain reset ─────────────────────────────────────────────────────────────────

/**
 * Start over: the device log, keychain copies, recovery records, passcode escrow and escrowed
 * service keys are deleted; every zone that exists now answers ZONE_NOT_FOUND with reason
 * `userDidResetEncryptedDataKey` until it is deleted and recreated. Needs the TOTP code when
 * the account has TOTP on.
 */
export interface KeychainResetRequest {
  totpCode?: string;
}
export interface KeychainResetResponse {
  /** Counts resets of this account; 1 after the first. */
  resetGeneration: number;
}
