/**
 * Kysely table types of the devices/protection/recovery area (migration 0004-devices).
 *
 * Everything here is opaque to the server: signed log entries, keys sealed to devices,
 * keychain keys wrapped by recovery secrets, shares sealed to contacts' devices, the
 * passcode verifier. What is deliberately NOT here: the passcode OPRF key (a key file in
 * the data dir), any unwrapped key, any passcode or recovery key. Times are ms since the
 * epoch in BIGINT columns (pg returns them as strings; repositories convert).
 */
type DbNumber = number | string;

/** Per-account state that must change atomically with the log (one row per account that has one). */
export interface DeviceAccountStateTable {
  owner: string;
  /** Number of log entries; compare-and-append checks against it under a row lock. */
  log_length: DbNumber;
  /** Keychain resets so far (0 = never). */
  reset_generation: DbNumber;
  reset_at: DbNumber | null;
}

export interface DeviceLogTable {
  owner: string;
  seq: DbNumber;
  /** base64 of the signed entry bytes, exactly as uploaded. */
  entry: string;
  created_at: DbNumber;
}

export interface DeviceJoinRequestsTable {
  request_id: string;
  owner: string;
  /** base64 public identity of the new device. */
  public_identity: string;
  /** 'pending' | 'approved' | 'denied' ('expired' is computed from expires_at). */
  state: string;
  sealed_keychain_key: string | null;
  /** Optional commit-reveal of the join code (crypto join-code.ts): the new device's commitment, then both nonces. */
  commitment: string | null;
  approver_nonce: string | null;
  device_nonce: string | null;
  created_at: DbNumber;
  expires_at: DbNumber;
}

export interface DeviceKeychainCopiesTable {
  owner: string;
  device_id: string;
  keychain_key_id: string;
  /** The keychain key HPKE-sealed to this device. */
  sealed_key: string;
  updated_at: DbNumber;
}

export interface KeychainItemsTable {
  owner: string;
  version: DbNumber;
  keychain_key_id: string;
  /** Encrypted under the keychain key by a device. */
  blob: string;
  updated_at: DbNumber;
}

export interface RecoveryKeysTable {
  owner: string;
  recovery_key_id: string;
  salt: string;
  wrapped_keychain_key: string;
  signer_public_key: string;
  updated_at: DbNumber;
}

export interface RecoveryContactsTable {
  owner: string;
  contact: string;
  /** 'invited' | 'accepted' | 'declined'. */
  state: string;
  created_at: DbNumber;
}

export interface RecoveryContactSetsTable {
  owner: string;
  set_id: string;
  threshold: DbNumber;
  salt: string;
  wrapped_keychain_key: string;
  signer_public_key: string;
  updated_at: DbNumber;
}

export interface RecoveryContactSharesTable {
  owner: string;
  contact: string;
  device_id: string;
  /** The owner's share for this contact, HPKE-sealed to one of the contact's devices. */
  sealed_share: string;
}

export interface RecoveryContactRequestsTable {
  request_id: string;
  owner: string;
  contact: string;
  public_identity: string;
  /** 'pending' | 'challenged' | 'proved' | 'released' | 'denied'. */
  state: string;
  challenge: string | null;
  proof: string | null;
  proof_attempts_left: DbNumber;
  released_share: string | null;
  created_at: DbNumber;
  expires_at: DbNumber;
}

export interface PasscodeEscrowTable {
  owner: string;
  /** Selects the per-enrollment OPRF key (derived from the key file; never stored). */
  enrollment_id: string;
  wrapped_keychain_key: string;
  /** HMAC(authKey, label): useless without the OPRF key for offline guessing. */
  verifier: string;
  attempts_left: DbNumber;
  updated_at: DbNumber;
}

export interface PasscodeEnrollmentsTable {
  owner: string;
  enrollment_id: string;
  expires_at: DbNumber;
}

/** Service keys made useless by a keychain reset: zones wrapped by them answer userDidResetEncryptedDataKey. */
export interface RetiredServiceKeysTable {
  owner: string;
  key_id: string;
  reset_generation: DbNumber;
}

export interface DevicesTables {
  device_account_state: DeviceAccountStateTable;
  device_log: DeviceLogTable;
  device_join_requests: DeviceJoinRequestsTable;
  device_keychain_copies: DeviceKeychainCopiesTable;
  keychain_items: KeychainItemsTable;
  recovery_keys: RecoveryKeysTable;
  recovery_contacts: RecoveryContactsTable;
  recovery_contact_sets: RecoveryContactSetsTable;
  recovery_contact_shares: RecoveryContactSharesTable;
  recovery_contact_requests: RecoveryContactRequestsTable;
  passcode_escrow: PasscodeEscrowTable;
  passcode_enrollments: PasscodeEnrollmentsTable;
  retired_service_keys: RetiredServiceKeysTable;
}
