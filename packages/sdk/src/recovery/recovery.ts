/**
 * Recovery methods (docs/SDK.md "Devices, protection and recovery"): the recovery key, recovery contacts (k of n)
 * and passcode escrow. Each gives a new device the keychain key without any other device;
 * the device then joins the log with the keychain recovery signer
 * (`Devices.joinWithKeychainKey`). Setting a method up needs a trusted device.
 */
import {
  blindPasscode,
  checkPasscode,
  codeExchangeFinish,
  codeExchangeRespond,
  codeExchangeStart,
  combineRecoveryShares,
  decodePublicIdentity,
  encodePublicIdentity,
  finalizePasscode,
  generateRecoveryKey,
  generateRecoverySecret,
  generateShortCode,
  keychainRecoverySigner,
  openRecoveryKeychain,
  openRecoveryShare,
  parseRecoveryKey,
  passcodeEncryptionKey,
  passcodeVerifier,
  randomBytes,
  recoveryKeyEncryptionKey,
  recoverySecretEncryptionKey,
  recoverySigner,
  RecoveryLabels,
  openPasscodeSecret,
  recoveryCopyId,
  sealPasscodeSecret,
  sealRecoveryShare,
  shareBoxContext,
  splitRecoverySecret,
  toHex,
  verifyDeviceLog,
  decodeLogEntry,
  DeviceLogError,
  type CodeExchangeState,
  type RecoveryShare,
  type SymmetricKey,
} from '@coffer/crypto';
import {
  DevicePaths,
  PasscodeReasons,
  type ContactIdentityResponse,
  type ContactInvitationsResponse,
  type ContactProofRequest,
  type ContactRecoveryRequestWire,
  type ContactRequestCreated,
  type ContactRequestStatusResponse,
  type ContactRequestsResponse,
  type ContactSetResponse,
  type ContactShareWire,
  type ContactsListResponse,
  type ContactWire,
  type KeychainCopyResponse,
  type PasscodeEnrollStartResponse,
  type PasscodeEvaluateResponse,
  type PasscodeOpenResponse,
  type PasscodeStatusResponse,
  type RecoveryKeyRecord,
} from '@coffer/protocol';
import { fromBase64, toBase64 } from '../base64.js';
import type { Devices, DevicesHost, TrustedContext, WaitOptions } from '../devices/devices.js';
import { DeviceError } from '../devices/errors.js';
import { ServerError } from '../server-errors.js';
import { loadItems, updateItems } from './items.js';
import { putContactSet, putPasscodeCopy, putRecoveryKeyCopy } from './reseal.js';

/** A contact's view of one recovery request it can answer. */
export interface ContactRecoveryPrompt {
  requestId: string;
  ownerEmail: string;
  ownerUserRecordName: string;
  /** The new device asking (name and id), as the server relayed it. */
  deviceName: string;
  deviceId: string;
  /** Tell this code to the owner (out of band, e.g. by phone) — only if you know it is them. */
  code: string;
}

export interface ContactRecoveryOptions extends WaitOptions {
  /** Called once per contact when that contact's code is needed; resolve with what the user typed. */
  askCode: (contact: { contactUserRecordName: string; requestId: string }) => Promise<string>;
  /** Which contacts to ask (default: all contacts of the set, until the threshold is met). */
  contacts?: string[];
}

export class Recovery {
  constructor(private readonly host: DevicesHost, private readonly devices: Devices) {}

  // ── Recovery key ────────────────────────────────────────────────────────────

  /**
   * Creates (or regenerates — the old one stops working) the recovery key and returns its
   * text, to be shown once. The server stores only the keychain key sealed to a key derived
   * from it.
   */
  async createRecoveryKey(): Promise<string> {
    const trusted = await this.devices.requireTrusted();
    const text = generateRecoveryKey();
    const rk = parseRecoveryKey(text);
    const salt = randomBytes(16);
    const pair = recoveryKeyEncryptionKey(rk, salt);
    const item = { recoveryKeyId: recoverySigner(rk).id, salt: toBase64(salt), publicKey: toBase64(pair.publicKey) };
    await updateItems(this.host.api, trusted.keychainKey, (items) => {
      items.recoveryKey = item;
    });
    await putRecoveryKeyCopy(this.host.api, trusted.keychainKey, item, toBase64(keychainRecoverySigner(trusted.keychainKey).signingPublicKey));
    return rk.text;
  }

  /** Whether the account has a recovery key (per the server). */
  async hasRecoveryKey(): Promise<boolean> {
    try {
      await this.host.api.post<RecoveryKeyRecord>(DevicePaths.recoveryKeyGet, {});
      return true;
    } catch (error) {
      if (error instanceof ServerError && error.serverErrorCode === 'NOT_FOUND') return false;
      throw error;
    }
  }

  /** New device: joins with the recovery key (no other device needed). */
  async joinWithRecoveryKey(text: string, name?: string): Promise<TrustedContext> {
    const rk = parseRecoveryKey(text);
    let record: RecoveryKeyRecord;
    try {
      record = await this.host.api.post<RecoveryKeyRecord>(DevicePaths.recoveryKeyGet, {});
    } catch (error) {
      throw new DeviceError('RECOVERY_FAILED', 'this account has no recovery key', error);
    }
    if (record.recoveryKeyId !== recoverySigner(rk).id) throw new DeviceError('RECOVERY_FAILED', 'this is not the account\'s current recovery key (regenerated since?)');
    const pair = recoveryKeyEncryptionKey(rk, fromBase64(record.salt));
    const key = await openCopy(pair.privateKey, record.wrappedKeychainKey, 'recovery key');
    return this.devices.joinWithKeychainKey(key, name);
  }

  // ── Passcode escrow ─────────────────────────────────────────────────────────

  /**
   * Escrows the keychain key under `passcode` (at most 10 guesses, then the record is
   * destroyed): the escrow record holds a fresh recovery secret R sealed to the key the
   * passcode's OPRF output gives; the keychain key is sealed to R's key as a copy that
   * rotations re-seal.
   */
  async enrollPasscode(passcode: string): Promise<void> {
    checkPasscode(passcode);
    const trusted = await this.devices.requireTrusted();
    const blind = blindPasscode(this.host.userRecordName(), passcode);
    const start = await this.host.api.post<PasscodeEnrollStartResponse>(DevicePaths.passcodeEnrollStart, { blinded: toBase64(blind.blinded) });
    const output = finalizePasscode(blind, fromBase64(start.evaluated));
    const secret = generateRecoverySecret();
    const pk = recoverySecretEncryptionKey(secret, 'passcode').publicKey;
    const item = { publicKey: toBase64(pk), copyId: recoveryCopyId(pk) };
    await updateItems(this.host.api, trusted.keychainKey, (items) => {
      items.passcode = item;
    });
    await putPasscodeCopy(this.host.api, trusted.keychainKey, item);
    await this.host.api.post(DevicePaths.passcodeEnrollFinish, {
      enrollmentId: start.enrollmentId,
      wrappedKeychainKey: toBase64(await sealPasscodeSecret(passcodeEncryptionKey(output).publicKey, secret)),
      verifier: toBase64(passcodeVerifier(output)),
    });
  }

  async passcodeStatus(): Promise<PasscodeStatusResponse> {
    return this.host.api.post<PasscodeStatusResponse>(DevicePaths.passcodeStatus, {});
  }

  /**
   * New device: joins with the passcode. Each call costs one of the 10 attempts (counted by
   * the server before it evaluates); a wrong passcode throws RECOVERY_FAILED with
   * `attemptsLeft`; after the 10th wrong one the escrow record no longer exists.
   */
  async joinWithPasscode(passcode: string, name?: string): Promise<TrustedContext> {
    checkPasscode(passcode);
    const blind = blindPasscode(this.host.userRecordName(), passcode);
    let evaluated: PasscodeEvaluateResponse;
    try {
      evaluated = await this.host.api.post<PasscodeEvaluateResponse>(DevicePaths.passcodeEvaluate, { blinded: toBase64(blind.blinded) });
    } catch (error) {
      throw passcodeError(error);
    }
    const output = finalizePasscode(blind, fromBase64(evaluated.evaluated));
    let opened: PasscodeOpenResponse;
    try {
      opened = await this.host.api.post<PasscodeOpenResponse>(DevicePaths.passcodeOpen, { proof: toBase64(passcodeVerifier(output)) });
    } catch (error) {
      throw passcodeError(error, evaluated.attemptsLeft);
    }
    let secret: Uint8Array;
    try {
      secret = await openPasscodeSecret(passcodeEncryptionKey(output).privateKey, fromBase64(opened.wrappedKeychainKey));
    } catch (error) {
      throw new DeviceError('RECOVERY_FAILED', 'the passcode escrow record does not open (replaced or corrupted)', error);
    }
    const pair = recoverySecretEncryptionKey(secret, 'passcode');
    let copy: KeychainCopyResponse;
    try {
      copy = await this.host.api.post<KeychainCopyResponse>(DevicePaths.keychainGet, {}, recoveryCopyId(pair.publicKey));
    } catch (error) {
      throw new DeviceError('RECOVERY_FAILED', 'the server holds no keychain copy for the passcode escrow', error);
    }
    const key = await openCopy(pair.privateKey, copy.sealedKeychainKey, 'passcode escrow');
    return this.devices.joinWithKeychainKey(key, name);
  }

  // ── Recovery contacts: owner side ───────────────────────────────────────────

  /** Invites another Coffer account as a recovery contact (it must accept). */
  async addContact(email: string): Promise<ContactWire> {
    return this.host.api.post<ContactWire>(DevicePaths.contactsAdd, { contactEmail: email });
  }

  async listContacts(): Promise<ContactsListResponse> {
    return this.host.api.get<ContactsListResponse>(DevicePaths.contactsList);
  }

  /**
   * Removes a contact. The recovery set is rebuilt without them (a new secret: their old
   * share opens nothing stored any more); with nobody left the set is deleted — which the
   * server refuses under ADP when it is the last recovery method (then nothing changes).
   */
  async removeContact(contactUserRecordName: string, threshold?: number): Promise<void> {
    const remaining = (await this.listContacts()).contacts.filter((c) => c.state === 'accepted' && c.contactUserRecordName !== contactUserRecordName);
    if (remaining.length === 0) {
      const trusted = await this.devices.requireTrusted();
      try {
        await this.host.api.post(DevicePaths.contactsSetDelete, {});
      } catch (error) {
        if (!(error instanceof ServerError && error.serverErrorCode === 'NOT_FOUND')) throw error;
      }
      await updateItems(this.host.api, trusted.keychainKey, (items) => {
        delete items.contacts;
      });
      await this.host.api.post(DevicePaths.contactsRemove, { contactUserRecordName });
      return;
    }
    await this.host.api.post(DevicePaths.contactsRemove, { contactUserRecordName });
    await this.updateContactSet({ threshold: Math.min(threshold ?? 1, remaining.length) });
  }

  /**
   * (Re)builds the recovery-contact set over every accepted contact: a new 32-byte
   * recovery secret split `threshold`-of-n, each share sealed to each of the contact's
   * devices (from the contact's verified device log), and the keychain key sealed to the
   * secret's encryption key. Replaces any previous set.
   */
  async updateContactSet(options: { threshold?: number } = {}): Promise<{ threshold: number; contacts: string[] }> {
    const trusted = await this.devices.requireTrusted();
    const accepted = (await this.listContacts()).contacts.filter((c) => c.state === 'accepted');
    if (accepted.length === 0) throw new DeviceError('RECOVERY_FAILED', 'no recovery contact has accepted yet');
    const threshold = options.threshold ?? 1;
    if (!Number.isInteger(threshold) || threshold < 1 || threshold > accepted.length) {
      throw new DeviceError('RECOVERY_FAILED', `threshold must be between 1 and ${accepted.length} (accepted contacts)`);
    }
    const secret = generateRecoverySecret();
    const shares = await splitRecoverySecret(secret, accepted.length, threshold);
    const owner = this.host.userRecordName();
    const sealed: ContactShareWire[] = [];
    for (const [i, contact] of accepted.entries()) {
      const devices = await this.contactDevices(contact.contactUserRecordName);
      const context = shareBoxContext(RecoveryLabels.shareHold, [owner, contact.contactUserRecordName]);
      sealed.push({
        contactUserRecordName: contact.contactUserRecordName,
        sealedShares: await Promise.all(devices.map(async (d) => ({ deviceId: d.id, sealedShare: toBase64(await sealRecoveryShare(d.hpkePublicKey, shares[i]!, RecoveryLabels.shareHold, context)) }))),
      });
    }
    const item = {
      setId: toHex(shares[0]!.setId),
      threshold,
      salt: toBase64(randomBytes(16)),
      publicKey: toBase64(recoverySecretEncryptionKey(secret, 'contacts').publicKey),
      shares: sealed,
    };
    await updateItems(this.host.api, trusted.keychainKey, (items) => {
      items.contacts = item;
    });
    await putContactSet(this.host.api, trusted.keychainKey, item, toBase64(keychainRecoverySigner(trusted.keychainKey).signingPublicKey));
    return { threshold, contacts: accepted.map((c) => c.contactUserRecordName) };
  }

  /** The contact's trusted devices, from its device log (verified; trust on first use). */
  private async contactDevices(contactUserRecordName: string): Promise<{ id: string; hpkePublicKey: Uint8Array }[]> {
    const r = await this.host.api.post<ContactIdentityResponse>(DevicePaths.contactsIdentity, { contactUserRecordName });
    if (r.log.length === 0) throw new DeviceError('RECOVERY_FAILED', 'the contact has no trusted device yet: they must sign in on a device first');
    try {
      const state = verifyDeviceLog(r.log.map((e) => decodeLogEntry(fromBase64(e))));
      return state.devices.map((d) => ({ id: d.id, hpkePublicKey: d.hpkePublicKey }));
    } catch (error) {
      if (error instanceof DeviceLogError) throw new DeviceError('LOG_TAMPERED', `the contact's device log does not verify (${error.reason})`, error);
      throw new DeviceError('RECOVERY_FAILED', 'the contact has no trusted device yet', error);
    }
  }

  // ── Recovery contacts: contact side ─────────────────────────────────────────

  async invitations(): Promise<ContactInvitationsResponse> {
    return this.host.api.get<ContactInvitationsResponse>(DevicePaths.contactsInvitations);
  }

  async acceptInvitation(ownerUserRecordName: string): Promise<void> {
    await this.host.api.post(DevicePaths.contactsAccept, { ownerUserRecordName });
  }

  async declineInvitation(ownerUserRecordName: string): Promise<void> {
    await this.host.api.post(DevicePaths.contactsDecline, { ownerUserRecordName });
  }

  /**
   * Contact side, step 1: for every pending recovery request addressed to this account,
   * makes a code, posts the first code-exchange message, and returns the prompts (show
   * each code to the person only once you know it is the owner asking).
   */
  async startContactResponses(): Promise<{ prompts: ContactRecoveryPrompt[]; states: Map<string, CodeExchangeState> }> {
    const r = await this.host.api.get<ContactRequestsResponse>(DevicePaths.contactsRequests);
    const prompts: ContactRecoveryPrompt[] = [];
    const states = new Map<string, CodeExchangeState>();
    for (const req of r.requests) {
      if (req.state !== 'pending') continue;
      const device = safeIdentity(req.publicIdentity);
      if (device === undefined) continue;
      const code = generateShortCode();
      const state = codeExchangeStart(code, { ownerUserRecordName: req.ownerUserRecordName, requestId: req.requestId, newDevice: fromBase64(req.publicIdentity) });
      await this.host.api.post(DevicePaths.contactsChallenge, { requestId: req.requestId, challenge: toBase64(state.message) });
      states.set(req.requestId, state);
      prompts.push({ requestId: req.requestId, ownerEmail: req.ownerEmail, ownerUserRecordName: req.ownerUserRecordName, deviceName: device.name, deviceId: device.id, code });
    }
    return { prompts, states };
  }

  /**
   * Contact side, step 2: waits for the new device's proof on each started request; a
   * proof that verifies gets the share (opened with this device's key, re-sealed to the
   * device bound in the exchange); a wrong one is rejected (the server counts attempts).
   * Resolves with the request ids released.
   */
  async finishContactResponses(states: Map<string, CodeExchangeState>, options: WaitOptions = {}): Promise<string[]> {
    const identity = await this.devices.identity(false);
    if (identity === undefined) throw new DeviceError('NOT_TRUSTED', 'this device has no identity for the account');
    const released: string[] = [];
    const open = new Map(states);
    const deadline = options.timeoutMs === undefined ? Number.POSITIVE_INFINITY : Date.now() + options.timeoutMs;
    while (open.size > 0) {
      const r = await this.host.api.get<ContactRequestsResponse>(DevicePaths.contactsRequests);
      for (const req of r.requests) {
        const state = open.get(req.requestId);
        if (state === undefined) continue;
        if (req.state === 'denied' || req.state === 'expired' || req.state === 'released') {
          open.delete(req.requestId);
          continue;
        }
        if (req.state !== 'proved' || req.proof === undefined) continue;
        const proof = fromBase64(req.proof);
        const key = proof.length === 64 ? codeExchangeFinish(state, proof.subarray(0, 32), proof.subarray(32)) : null;
        if (key === null) {
          await this.host.api.post(DevicePaths.contactsRejectProof, { requestId: req.requestId });
          continue;
        }
        await this.release(req, identity.id, identity.hpkePrivateKey);
        released.push(req.requestId);
        open.delete(req.requestId);
      }
      if (open.size === 0 || Date.now() > deadline) break;
      await sleep(options.pollMs ?? 1000, options.signal);
    }
    return released;
  }

  private async release(req: ContactRecoveryRequestWire, deviceId: string, hpkePrivateKey: Uint8Array): Promise<void> {
    const mine = req.sealedShares.find((s) => s.deviceId === deviceId);
    if (mine === undefined) throw new DeviceError('RECOVERY_FAILED', 'the owner\'s share is not sealed to this device (it joined after the set was made): answer from another of your devices');
    const me = this.host.userRecordName();
    const share = await openRecoveryShare(hpkePrivateKey, fromBase64(mine.sealedShare), RecoveryLabels.shareHold, shareBoxContext(RecoveryLabels.shareHold, [req.ownerUserRecordName, me]));
    const device = decodePublicIdentity(fromBase64(req.publicIdentity));
    const context = shareBoxContext(RecoveryLabels.shareRelease, [req.ownerUserRecordName, me, req.requestId, device.id]);
    const box = await sealRecoveryShare(device.hpkePublicKey, share, RecoveryLabels.shareRelease, context);
    await this.host.api.post(DevicePaths.contactsRelease, { requestId: req.requestId, releasedShare: toBase64(box) });
  }

  // ── Recovery contacts: the recovering device ─────────────────────────────────

  /**
   * New device: asks contacts of the stored set for their shares until the threshold is
   * met, running the code exchange with each (the user types the code each contact tells
   * them), rebuilds the recovery secret, opens the keychain copy and joins.
   */
  async joinWithContacts(options: ContactRecoveryOptions, name?: string): Promise<TrustedContext> {
    const identity = await this.devices.identity(true, name);
    let set: ContactSetResponse;
    try {
      set = await this.host.api.post<ContactSetResponse>(DevicePaths.contactsSetGet, {});
    } catch (error) {
      throw new DeviceError('RECOVERY_FAILED', 'this account has no recovery contacts', error);
    }
    const owner = this.host.userRecordName();
    const encoded = encodePublicIdentity(identity);
    const chosen = options.contacts ?? set.contacts;
    const shares: RecoveryShare[] = [];
    for (const contact of chosen) {
      if (shares.length >= set.threshold) break;
      if (!set.contacts.includes(contact)) throw new DeviceError('RECOVERY_FAILED', `${contact} is not in the account's recovery-contact set`);
      const created = await this.host.api.post<ContactRequestCreated>(DevicePaths.contactsRequest, { contactUserRecordName: contact, publicIdentity: toBase64(encoded) });
      const ctx = { ownerUserRecordName: owner, requestId: created.requestId, newDevice: encoded };
      const challenge = await this.pollContact(created.requestId, (s) => s.challenge !== undefined, options);
      const code = await options.askCode({ contactUserRecordName: contact, requestId: created.requestId });
      const responded = codeExchangeRespond(code.trim(), ctx, fromBase64(challenge.challenge!));
      const proof = new Uint8Array(64);
      proof.set(responded.message, 0);
      proof.set(responded.confirmation, 32);
      await this.host.api.post(DevicePaths.contactsRequestProof, { requestId: created.requestId, proof: toBase64(proof) } satisfies ContactProofRequest);
      const done = await this.pollContact(created.requestId, (s) => s.releasedShare !== undefined || s.state === 'challenged' || s.state === 'denied', options, true);
      if (done.releasedShare === undefined) throw new DeviceError('CODE_MISMATCH', `the code for ${contact} was not accepted`);
      const context = shareBoxContext(RecoveryLabels.shareRelease, [owner, contact, created.requestId, identity.id]);
      const share = await openRecoveryShare(identity.hpkePrivateKey, fromBase64(done.releasedShare), RecoveryLabels.shareRelease, context).catch((error: unknown) => {
        throw new DeviceError('RECOVERY_FAILED', `the share released for ${contact} does not open on this device`, error);
      });
      shares.push(share);
    }
    if (shares.length < set.threshold) throw new DeviceError('RECOVERY_FAILED', `${set.threshold} contacts are needed, ${shares.length} answered`);
    const secret = await combineRecoveryShares(shares).catch((error: unknown) => {
      throw new DeviceError('RECOVERY_FAILED', 'the released shares do not combine', error);
    });
    const key = await openCopy(recoverySecretEncryptionKey(secret, 'contacts').privateKey, set.wrappedKeychainKey, 'recovery contacts');
    return this.devices.joinWithKeychainKey(key, name);
  }

  private async pollContact(
    requestId: string, done: (s: ContactRequestStatusResponse) => boolean, options: WaitOptions, afterProof = false,
  ): Promise<ContactRequestStatusResponse> {
    const deadline = options.timeoutMs === undefined ? Number.POSITIVE_INFINITY : Date.now() + options.timeoutMs;
    for (;;) {
      const s = await this.host.api.post<ContactRequestStatusResponse>(DevicePaths.contactsRequestStatus, { requestId });
      if (s.state === 'denied' || s.state === 'expired') throw new DeviceError('RECOVERY_FAILED', `the contact request was ${s.state}`);
      if (done(s) && (!afterProof || s.state !== 'proved')) return s;
      if (Date.now() > deadline) throw new DeviceError('RECOVERY_FAILED', 'timed out waiting for the contact');
      await sleep(options.pollMs ?? 1000, options.signal);
    }
  }

  /** Whether the account's keychain items list a recovery key or a contact set (for ADP). */
  async hasRecoveryMethodForAdp(keychainKey: SymmetricKey): Promise<boolean> {
    const { items } = await loadItems(this.host.api, keychainKey);
    return items.recoveryKey !== undefined || items.contacts !== undefined;
  }
}

async function openCopy(privateKey: Uint8Array, sealedB64: string, what: string): Promise<SymmetricKey> {
  try {
    return await openRecoveryKeychain(privateKey, fromBase64(sealedB64));
  } catch (error) {
    throw new DeviceError('RECOVERY_FAILED', `the ${what} does not open the keychain copy (wrong secret, or the copy was replaced)`, error);
  }
}

function passcodeError(error: unknown, attemptsLeft?: number): Error {
  if (error instanceof ServerError) {
    if (error.reason === PasscodeReasons.passcodeNotEnrolled) return new DeviceError('RECOVERY_FAILED', 'no passcode escrow (never enrolled, or destroyed after 10 wrong passcodes)', error);
    if (error.reason === PasscodeReasons.passcodeAttemptsExhausted) return new DeviceError('RECOVERY_FAILED', 'wrong passcode; that was the last attempt: the passcode escrow is destroyed', error);
    if (error.reason === PasscodeReasons.passcodeIncorrect) {
      return new DeviceError('RECOVERY_FAILED', `wrong passcode${attemptsLeft === undefined ? '' : ` (${attemptsLeft} attempts left)`}`, error);
    }
  }
  return error instanceof Error ? error : new Error(String(error));
}

function safeIdentity(b64: string): { id: string; name: string } | undefined {
  try {
    const d = decodePublicIdentity(fromBase64(b64));
    return { id: d.id, name: d.name };
  } catch {
    return undefined;
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted === true) {
      reject(new DeviceError('RECOVERY_FAILED', 'cancelled'));
      return;
    }
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(new DeviceError('RECOVERY_FAILED', 'cancelled'));
    }, { once: true });
  });
}
