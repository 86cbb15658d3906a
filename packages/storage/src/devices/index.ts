/**
 * Devices, protection mode and recovery storage (issue 4): the device log, join requests,
 * keychain copies and items, recovery keys, recovery contacts and their requests, passcode
 * escrow and keychain resets. Pure data access; policy lives in packages/server/src/devices.
 */
import type { Kysely } from 'kysely';
import type { DialectKind } from '../dialect/dialect-kind.js';
import type { DevicesDatabase } from './db.js';
import { createContactRequestsRepository, type ContactRequestsRepository } from './contact-requests-repo.js';
import { createContactsRepository, type ContactsRepository } from './contacts-repo.js';
import { createDeviceLogRepository, type DeviceLogRepository } from './device-log-repo.js';
import { createJoinRequestsRepository, type JoinRequestsRepository } from './join-requests-repo.js';
import { createKeychainRepository, type KeychainRepository } from './keychain-repo.js';
import { createPasscodeRepository, type PasscodeRepository } from './passcode-repo.js';
import { createRecoveryKeysRepository, type RecoveryKeysRepository } from './recovery-key-repo.js';
import { createResetRepository, type ResetRepository } from './reset-repo.js';

export type { DevicesTables } from './schema.js';
export type { DevicesDatabase } from './db.js';
export type { DeviceLogRepository, AppendContext, AppendPolicy, AppendOutcome } from './device-log-repo.js';
export type { JoinRequestsRepository, StoredJoinRequest, StoredJoinState, JoinDecision } from './join-requests-repo.js';
export type { KeychainRepository, KeychainCopy, KeychainItems } from './keychain-repo.js';
export type { RecoveryKeysRepository, StoredRecoveryKey } from './recovery-key-repo.js';
export type { ContactsRepository, StoredContact, StoredContactSet, StoredSealedShare, ContactRelationState } from './contacts-repo.js';
export type { ContactRequestsRepository, StoredContactRequest, StoredContactRequestState, Transition, RequestSide } from './contact-requests-repo.js';
export type { PasscodeRepository, StoredPasscodeEscrow, AttemptOutcome } from './passcode-repo.js';
export type { ResetRepository, ResetOutcome } from './reset-repo.js';

/** `store.devices`. */
export interface DevicesStore {
  log: DeviceLogRepository;
  joinRequests: JoinRequestsRepository;
  keychain: KeychainRepository;
  recoveryKeys: RecoveryKeysRepository;
  contacts: ContactsRepository;
  contactRequests: ContactRequestsRepository;
  passcode: PasscodeRepository;
  resets: ResetRepository;
}

/** @param now - clock for expiries (ms since the epoch); tests pass a controllable one. */
export function createDevicesStore(db: Kysely<DevicesDatabase>, kind: DialectKind, now: () => number = Date.now): DevicesStore {
  const ctx = { db, kind, now };
  return {
    log: createDeviceLogRepository(ctx),
    joinRequests: createJoinRequestsRepository(ctx),
    keychain: createKeychainRepository(ctx),
    recoveryKeys: createRecoveryKeysRepository(ctx),
    contacts: createContactsRepository(ctx),
    contactRequests: createContactRequestsRepository(ctx),
    passcode: createPasscodeRepository(ctx),
    resets: createResetRepository(ctx),
  };
}
