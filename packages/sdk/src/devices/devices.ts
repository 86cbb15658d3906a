/**
 * Trusted devices (docs/SDK.md "Devices, protection and recovery"): this device's identity, the verified device
 * log, the keychain key's per-device copies, joining by approval and by a recovered
 * keychain key, and removing a device with a full key rotation.
 *
 * Trust rules this module enforces on the client:
 * - every log read is verified and must extend the head this device verified before;
 * - a keychain key from the server (a device copy or a recovery copy) is accepted only if
 *   its keychain recovery signer is the one the verified log names (recovery-key-set):
 *   the server cannot hand a device a key of its own making, nor an old one;
 * - this device acts (approves, removes, rotates) only while the log lists it.
 */
import {
  decodePublicIdentity,
  encodePublicIdentity,
  generateDeviceIdentity,
  checkJoinCommitment,
  generateJoinNonce,
  generateKey,
  joinApproverNonce,
  joinCode,
  joinCommitment,
  keychainRecoverySigner,
  Labels,
  openSealedKey,
  publicIdentity,
  sealKeyTo,
  type DeviceIdentity,
  type DeviceLogBody,
  type DevicePublicIdentity,
  type SymmetricKey,
} from '@coffer/crypto';
import {
  DevicePaths,
  type JoinApproveRequest,
  type JoinNonceRequest,
  type JoinPendingResponse,
  type JoinRequestCreate,
  type JoinRequestCreated,
  type JoinRequestWire,
  type JoinStatusRequest,
  type JoinStatusResponse,
  type KeychainCopyResponse,
  type KeychainPutRequest,
  type KeychainRotateRequest,
  type ProtectionMode,
  type ServiceKeyWire,
} from '@coffer/protocol';
import { fromBase64, toBase64 } from '../base64.js';
import type { Keychain } from '../keys/keychain.js';
import { ConflictError, NotFoundError } from '../server-errors.js';
import { passcodeCopy, resealRecoveryCopies } from '../recovery/reseal.js';
import { loadItems, saveItems } from '../recovery/items.js';
import type { DeviceApi } from './api.js';
import type { DeviceStateStore } from './device-state.js';
import { DeviceError } from './errors.js';
import { DeviceLog, type VerifiedLog } from './log.js';
import { emptyReport, ServiceKeyOps, type KeyWorkReport } from './service-key-ops.js';

/** What the devices feature needs from the client (implemented by `CofferClient`). */
export interface DevicesHost {
  api: DeviceApi;
  userRecordName(): string;
  keychain(): Keychain;
  deviceState(): DeviceStateStore;
  /** Drops cached service and zone keys after a rotation. */
  invalidateKeyCaches(): void;
  /** Name for a new identity when the caller gives none. */
  defaultDeviceName: string;
  onProgress?: (done: number, total: number, what: string) => void;
}

/** One trusted device as the verified log lists it. */
export interface DeviceInfo {
  id: string;
  name: string;
  /** True for the device this client runs on. */
  current: boolean;
}

/** A join request as a trusted device sees it. */
export interface PendingJoin {
  requestId: string;
  deviceId: string;
  name: string;
  /**
   * - `waiting-for-device`: this device posted its nonce; the new device has not revealed yet;
   * - `ready`: `code` is set — approve only if it equals the code the new device shows;
   * - `other-approver`: another trusted device answered first (approve there);
   * - `no-commitment` / `bad-commitment`: not a request this SDK can verify: never approve.
   */
  state: 'waiting-for-device' | 'ready' | 'other-approver' | 'no-commitment' | 'bad-commitment';
  code?: string;
  createdAt: number;
  expiresAt: number;
}

/** A join request as the new device made it; the code comes later (`waitForApproval`'s `onCode`). */
export interface JoinTicket {
  requestId: string;
  expiresAt: number;
  deviceId: string;
}

/** What a trusted device has at hand to act. */
export interface TrustedContext {
  identity: DeviceIdentity;
  log: VerifiedLog & { state: NonNullable<VerifiedLog['state']> };
  keychainKey: SymmetricKey;
}

export interface WaitOptions {
  /** Poll interval (default 1 s). */
  pollMs?: number;
  /** Give up after this long (default: until the request expires). */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export class Devices {
  private identityCache: DeviceIdentity | undefined;
  /** Nonces of this client's own join requests (revealed once an approver answers). */
  private readonly joinNonces = new Map<string, Uint8Array>();
  private identityUser: string | undefined;

  constructor(private readonly host: DevicesHost) {}

  /** The id of this device for the signed-in account, if it has an identity (sync, for headers). */
  get currentDeviceId(): string | undefined {
    return this.identityUser === this.host.userRecordName() ? this.identityCache?.id : undefined;
  }

  /** This device's identity for the account, created (and stored 0600) when `create` is set. */
  async identity(create: false): Promise<DeviceIdentity | undefined>;
  async identity(create: true, name?: string): Promise<DeviceIdentity>;
  async identity(create: boolean, name?: string): Promise<DeviceIdentity | undefined> {
    const user = this.host.userRecordName();
    if (this.identityUser === user && this.identityCache !== undefined) return this.identityCache;
    const stored = await this.host.deviceState().load();
    let identity = stored?.identity;
    if (identity === undefined && create) {
      identity = generateDeviceIdentity(name ?? this.host.defaultDeviceName);
      await this.host.deviceState().save({ identity });
    }
    this.identityCache = identity;
    this.identityUser = identity === undefined ? undefined : user;
    return identity;
  }

  /** The verified device log (see module doc). */
  log(): DeviceLog {
    const store = this.host.deviceState();
    return new DeviceLog(this.host.api, {
      getHead: async () => (await store.load())?.trustedHead,
      setHead: async (head) => {
        const state = await store.load();
        // A device without an identity has nothing to pin the head to yet (it verifies from scratch).
        if (state !== undefined) await store.save({ ...state, trustedHead: head });
      },
    });
  }

  /** Fetches and verifies the log. */
  fetchLog(): Promise<VerifiedLog> {
    return this.log().fetch();
  }

  /** The protection mode the verified log says (Standard while there is no log). */
  async protectionMode(): Promise<ProtectionMode> {
    const { state } = await this.fetchLog();
    return state?.adp === true ? 'advanced' : 'standard';
  }

  /** The trusted devices, from the verified log. */
  async list(): Promise<DeviceInfo[]> {
    const { state } = await this.fetchLog();
    const me = (await this.identity(false))?.id;
    return (state?.devices ?? []).map((d) => ({ id: d.id, name: d.name, current: d.id === me }));
  }

  /** Whether this device is in the verified log. */
  async isTrusted(): Promise<boolean> {
    const identity = await this.identity(false);
    if (identity === undefined) return false;
    const { state } = await this.fetchLog();
    return state?.devices.some((d) => d.id === identity.id) ?? false;
  }

  /**
   * Account creation: this device becomes the first trusted device. Creates its identity
   * and the keychain key (or adopts the one already in the local keychain), starts the log
   * with [add-device (self-signed), recovery-key-set (keychain recovery signer)], and
   * stores the keychain key sealed to itself.
   * @throws DeviceError ALREADY_TRUSTED if the account already has a log.
   */
  async setupFirstDevice(name?: string): Promise<TrustedContext> {
    const keychain = this.host.keychain();
    const identity = await this.identity(true, name);
    const existing = await this.fetchLog();
    if (existing.state !== null) {
      if (existing.state.devices.some((d) => d.id === identity.id)) return this.requireTrusted();
      throw new DeviceError('ALREADY_TRUSTED', 'this account already has trusted devices: join with `coffer device join` (approval or recovery)');
    }
    const keychainKey = (await keychain.getKeychainKey()) ?? generateKey('keychain');
    const log = await this.log().append((current) => {
      if (current.state !== null) throw new DeviceError('ALREADY_TRUSTED', 'another device set up this account at the same time');
      return {
        signer: identity,
        bodies: [
          { kind: 'add-device', subject: publicIdentity(identity) },
          { kind: 'recovery-key-set', subject: keychainRecoverySigner(keychainKey).signingPublicKey },
        ],
      };
    });
    await keychain.setKeychainKey(keychainKey);
    await this.putOwnCopy(identity, keychainKey);
    return { identity, log, keychainKey };
  }

  /**
   * On sign-in: if this device is trusted, make sure its keychain holds the current
   * keychain key (fetching its sealed copy if another device rotated it). Returns whether
   * the device is trusted. A device that is not trusted must join first.
   */
  async resume(): Promise<boolean> {
    const identity = await this.identity(false);
    if (identity === undefined) return false;
    const log = await this.fetchLog();
    if (log.state === null || !log.state.devices.some((d) => d.id === identity.id)) return false;
    await this.currentKeychainKey(log);
    return true;
  }

  /**
   * The account's current keychain key on this trusted device: the local copy if it is
   * the one the log names, else this device's sealed copy from the server (checked
   * against the log's keychain recovery signer) — which is how a rotation by another
   * device reaches this one.
   */
  async currentKeychainKey(log?: VerifiedLog): Promise<SymmetricKey> {
    const verified = log ?? (await this.fetchLog());
    const identity = await this.identity(false);
    if (identity === undefined || verified.state === null || !verified.state.devices.some((d) => d.id === identity.id)) {
      throw new DeviceError('NOT_TRUSTED', 'this device is not a trusted device of the account: join it first (`coffer device join`)');
    }
    const expected = verified.state.recoveryKeyId;
    const keychain = this.host.keychain();
    const local = await keychain.getKeychainKey();
    if (local !== undefined && keychainRecoverySigner(local).id === expected) return local;
    let copy: KeychainCopyResponse;
    try {
      copy = await this.host.api.post<KeychainCopyResponse>(DevicePaths.keychainGet, {});
    } catch (error) {
      if (error instanceof NotFoundError) throw new DeviceError('NOT_TRUSTED', 'the server holds no keychain key for this device (removed, or not approved yet)', error);
      throw error;
    }
    const key = await this.openCopy(identity, copy.sealedKeychainKey, expected);
    await keychain.setKeychainKey(key);
    this.host.invalidateKeyCaches();
    return key;
  }

  /** Everything a trusted device needs to act; refuses on an untrusted device. */
  async requireTrusted(): Promise<TrustedContext> {
    const identity = await this.identity(false);
    if (identity === undefined) throw new DeviceError('NOT_TRUSTED', 'this device has no identity for the account: join it first (`coffer device join`)');
    const log = await this.fetchLog();
    const keychainKey = await this.currentKeychainKey(log);
    if (log.state === null) throw new DeviceError('NOT_TRUSTED', 'the account has no device log');
    return { identity, log: { entries: log.entries, state: log.state }, keychainKey };
  }

  // ── Join by approval (commit-reveal join codes) ─────────────────────────────

  /**
   * New device: asks to join, committing to a secret nonce. The code appears once a
   * trusted device has answered with its nonce; {@link waitForApproval} reveals ours, reports
   * the code through `onCode`, and waits for the approval.
   */
  async requestJoin(name?: string): Promise<JoinTicket> {
    const log = await this.fetchLog();
    const identity = await this.usableIdentity(log, name);
    if (log.state?.devices.some((d) => d.id === identity.id) === true) throw new DeviceError('ALREADY_TRUSTED', 'this device is already trusted');
    const encoded = encodePublicIdentity(identity);
    const nonce = generateJoinNonce();
    const created = await this.host.api.post<JoinRequestCreated>(DevicePaths.joinRequest, {
      publicIdentity: toBase64(encoded),
      commitment: toBase64(joinCommitment(encoded, nonce)),
    } satisfies JoinRequestCreate);
    this.joinNonces.set(created.requestId, nonce);
    return { requestId: created.requestId, expiresAt: created.expiresAt, deviceId: identity.id };
  }

  /**
   * New device: polls the request; when a trusted device has posted its nonce, reveals
   * ours and reports the six-digit code (`onCode`: show it); when approved, checks that the
   * log lists this device and that the sealed keychain key is the one the log names, and
   * stores it.
   * @throws DeviceError JOIN_FAILED on expiry, denial or timeout.
   */
  async waitForApproval(requestId: string, options: WaitOptions & { onCode?: (code: string) => void } = {}): Promise<TrustedContext> {
    const identity = await this.identity(false);
    const nonce = this.joinNonces.get(requestId);
    if (identity === undefined || nonce === undefined) throw new DeviceError('JOIN_FAILED', 'this request was not made by this client (its nonce is gone): ask again');
    const encoded = encodePublicIdentity(identity);
    const deadline = options.timeoutMs === undefined ? Number.POSITIVE_INFINITY : Date.now() + options.timeoutMs;
    let shown: string | undefined;
    for (;;) {
      const status = await this.host.api.post<JoinStatusResponse>(DevicePaths.joinStatus, { requestId } satisfies JoinStatusRequest);
      if (status.state === 'expired' || status.state === 'denied') throw new DeviceError('JOIN_FAILED', `the join request was ${status.state}`);
      if (status.approverNonce !== undefined && shown === undefined) {
        const approverNonce = fromBase64(status.approverNonce);
        if (status.deviceNonce === undefined) {
          await this.host.api.post(DevicePaths.joinNonce, { requestId, deviceNonce: toBase64(nonce) } satisfies JoinNonceRequest);
        } else if (status.deviceNonce !== toBase64(nonce)) {
          throw new DeviceError('SERVER_MISBEHAVED', 'the server holds a device nonce this device did not send');
        }
        try {
          shown = joinCode(encoded, requestId, nonce, approverNonce);
        } catch (error) {
          throw new DeviceError('SERVER_MISBEHAVED', 'the approving device\'s nonce is malformed', error);
        }
        options.onCode?.(shown);
      }
      if (status.state === 'approved' && status.sealedKeychainKey !== undefined) {
        const log = await this.fetchLog();
        if (log.state === null || !log.state.devices.some((d) => d.id === identity.id)) {
          throw new DeviceError('SERVER_MISBEHAVED', 'the request is marked approved but the verified log does not list this device');
        }
        const key = await this.openCopy(identity, status.sealedKeychainKey, log.state.recoveryKeyId);
        await this.host.keychain().setKeychainKey(key);
        this.joinNonces.delete(requestId);
        this.host.invalidateKeyCaches();
        return { identity, log: { entries: log.entries, state: log.state }, keychainKey: key };
      }
      if (Date.now() > deadline || Date.now() > status.expiresAt) throw new DeviceError('JOIN_FAILED', 'timed out waiting for approval');
      await sleep(options.pollMs ?? 1000, options.signal);
    }
  }

  /**
   * Trusted device: the pending join requests. Answers each new one with this device's
   * nonce (so the new device can reveal its own); a request whose device has revealed gets
   * its `code` — approve only if it equals the code the new device shows.
   */
  async pendingJoins(): Promise<PendingJoin[]> {
    const trusted = await this.requireTrusted();
    const r = await this.host.api.get<JoinPendingResponse>(DevicePaths.joinPending);
    const out: PendingJoin[] = [];
    for (const req of r.requests) {
      let identity: DevicePublicIdentity;
      const bytes = fromBase64(req.publicIdentity);
      try {
        identity = decodePublicIdentity(bytes);
      } catch {
        continue; // not a public identity: nothing anyone could approve
      }
      const base = { requestId: req.requestId, deviceId: identity.id, name: identity.name, createdAt: req.createdAt, expiresAt: req.expiresAt };
      out.push({ ...base, ...(await this.joinState(trusted.identity, req, bytes)) });
    }
    return out;
  }

  /** Where one request stands for this approver, posting our nonce if nobody has yet. */
  private async joinState(me: DeviceIdentity, req: JoinRequestWire, identityBytes: Uint8Array): Promise<Pick<PendingJoin, 'state' | 'code'>> {
    if (req.commitment === undefined) return { state: 'no-commitment' };
    const mine = joinApproverNonce(me.signingPrivateKey, req.requestId);
    if (req.approverNonce === undefined) {
      try {
        await this.host.api.post(DevicePaths.joinNonce, { requestId: req.requestId, approverNonce: toBase64(mine) } satisfies JoinNonceRequest);
      } catch (error) {
        if (!(error instanceof ConflictError)) throw error;
        return { state: 'other-approver' };
      }
      return { state: 'waiting-for-device' };
    }
    if (req.approverNonce !== toBase64(mine)) return { state: 'other-approver' };
    if (req.deviceNonce === undefined) return { state: 'waiting-for-device' };
    const deviceNonce = fromBase64(req.deviceNonce);
    if (!checkJoinCommitment(identityBytes, deviceNonce, fromBase64(req.commitment))) return { state: 'bad-commitment' };
    return { state: 'ready', code: joinCode(identityBytes, req.requestId, deviceNonce, mine) };
  }

  /**
   * Trusted device: approves a request whose code is ready — appends add-device for the
   * requester's identity, then hands it the keychain key sealed to its HPKE key. With
   * `expectedCode`, refuses unless the code matches (the code the new device shows).
   */
  async approveJoin(requestId: string, expectedCode?: string): Promise<DeviceInfo> {
    const pending = (await this.pendingJoins()).find((p) => p.requestId === requestId);
    if (pending === undefined) throw new DeviceError('JOIN_FAILED', `no pending join request ${requestId} (expired or decided)`);
    if (pending.state !== 'ready' || pending.code === undefined) throw new DeviceError('CODE_MISMATCH', `request ${requestId} has no code to compare yet (${pending.state})`);
    if (expectedCode !== undefined && pending.code !== expectedCode) {
      throw new DeviceError('CODE_MISMATCH', 'the code does not match this request: do not approve (the request may not come from your device)');
    }
    const raw = (await this.host.api.get<JoinPendingResponse>(DevicePaths.joinPending)).requests.find((r) => r.requestId === requestId);
    if (raw === undefined) throw new DeviceError('JOIN_FAILED', `no pending join request ${requestId}`);
    const subject = decodePublicIdentity(fromBase64(raw.publicIdentity));
    if (subject.id !== pending.deviceId) throw new DeviceError('SERVER_MISBEHAVED', 'the request changed while it was being approved');
    const trusted = await this.requireTrusted();
    await this.log().append((log) => {
      if (log.state === null || !log.state.devices.some((d) => d.id === trusted.identity.id)) throw new DeviceError('NOT_TRUSTED', 'this device is no longer trusted');
      if (log.state.devices.some((d) => d.id === subject.id)) return { signer: trusted.identity, bodies: [] };
      return { signer: trusted.identity, bodies: [{ kind: 'add-device', subject }] };
    });
    const sealed = await sealKeyTo(subject.hpkePublicKey, trusted.keychainKey, Labels.deviceKeychain);
    await this.host.api.post(DevicePaths.joinApprove, {
      requestId,
      sealedKeychainKey: toBase64(sealed),
      deviceId: subject.id,
      keychainKeyId: trusted.keychainKey.id,
    } satisfies JoinApproveRequest);
    return { id: subject.id, name: subject.name, current: false };
  }

  /**
   * Trusted device: approves the one pending request whose code is `code`, waiting up to
   * `waitMs` for the new device to reveal its nonce (this device posts its own first).
   */
  async approveJoinByCode(code: string, options: { waitMs?: number; pollMs?: number } = {}): Promise<DeviceInfo> {
    const deadline = Date.now() + (options.waitMs ?? 0);
    for (;;) {
      const pending = await this.pendingJoins();
      const matches = pending.filter((p) => p.code === code);
      if (matches.length > 1) throw new DeviceError('CODE_MISMATCH', `several pending requests show code ${code}; deny them and ask again`);
      if (matches.length === 1) return this.approveJoin(matches[0]!.requestId, code);
      const waiting = pending.some((p) => p.state === 'waiting-for-device');
      if (!waiting || Date.now() >= deadline) throw new DeviceError('CODE_MISMATCH', `no pending join request shows code ${code}`);
      await sleep(options.pollMs ?? 250);
    }
  }

  async denyJoin(requestId: string): Promise<void> {
    await this.host.api.post(DevicePaths.joinDeny, { requestId });
  }

  // ── Join with a recovered keychain key ───────────────────────────────────────

  /**
   * New device, after a recovery method gave it the keychain key: checks the key against
   * the log's keychain recovery signer, appends add-device for itself signed by that signer,
   * and stores its own sealed copy.
   */
  async joinWithKeychainKey(keychainKey: SymmetricKey, name?: string): Promise<TrustedContext> {
    const identity = await this.usableIdentity(await this.fetchLog(), name);
    const signer = keychainRecoverySigner(keychainKey);
    const log = await this.log().append((current) => {
      if (current.state === null) throw new DeviceError('RECOVERY_FAILED', 'the account has no device log');
      if (current.state.recoveryKeyId !== signer.id) {
        throw new DeviceError('RECOVERY_FAILED', 'the recovered keychain key is not the current one (it was rotated since this recovery copy was made)');
      }
      if (current.state.devices.some((d) => d.id === identity.id)) return { signer, bodies: [] };
      if (current.state.removedDeviceIds.includes(identity.id)) throw new DeviceError('NOT_TRUSTED', 'this device identity was removed; start over with a new identity');
      return { signer, bodies: [{ kind: 'add-device', subject: publicIdentity(identity) }] };
    });
    await this.host.keychain().setKeychainKey(keychainKey);
    await this.putOwnCopy(identity, keychainKey);
    this.host.invalidateKeyCaches();
    return { identity, log, keychainKey };
  }

  // ── Keychain reset ────────────────────────────────────────────────────────────

  /**
   * Starts over (no device and no recovery method left): the server forgets the log, the
   * keychain copies, the recovery methods and every service key it holds no escrow copy of;
   * this device becomes the first trusted device with a new keychain key, and every category
   * whose newest service key is now unreadable gets a new one. Zones sealed under the old
   * keys then answer ZONE_NOT_FOUND / userDidResetEncryptedDataKey
   * (see `recreateZoneFromCache`). Needs the TOTP code when the account has TOTP on.
   */
  async resetKeychain(options: { totpCode?: string; name?: string } = {}): Promise<KeyWorkReport> {
    await this.host.api.post(DevicePaths.keychainReset, options.totpCode === undefined ? {} : { totpCode: options.totpCode });
    const identity = await this.identity(true, options.name);
    await this.host.deviceState().save({ identity }); // the old log and its head are gone
    const keychain = this.host.keychain();
    await keychain.setKeychainKey(generateKey('keychain'));
    this.host.invalidateKeyCaches();
    const trusted = await this.setupFirstDevice(options.name);
    const ops = new ServiceKeyOps({ api: this.host.api, keychain });
    const newest = new Map<string, ServiceKeyWire>();
    for (const e of await ops.list()) if ((newest.get(e.category)?.version ?? -1) < e.version) newest.set(e.category, e);
    const stale: string[] = [];
    for (const [category, entry] of newest) if ((await ops.open(entry, [trusted.keychainKey], 'standard')) === undefined) stale.push(category);
    const report = emptyReport();
    await ops.newVersions(stale, trusted.keychainKey, 'standard', report, false);
    this.host.invalidateKeyCaches();
    return report;
  }

  // ── Removal and rotation ──────────────────────────────────────────────────────

  /**
   * Removes a device (or marks it lost — the same to the log): appends remove-device and,
   * in the same append, the new keychain key's recovery signer; then rotates everything the
   * removed device could open (see {@link rotateKeychain}). Run it on another trusted device.
   */
  async removeDevice(deviceId: string): Promise<KeyWorkReport> {
    const trusted = await this.requireTrusted();
    if (deviceId === trusted.identity.id) throw new DeviceError('NOT_TRUSTED', 'a device cannot remove itself and rotate keys it would then know: remove it from another trusted device');
    if (!trusted.log.state.devices.some((d) => d.id === deviceId)) throw new DeviceError('NOT_TRUSTED', `device ${deviceId} is not a trusted device of this account`);
    return this.rotateKeychain(trusted, [{ kind: 'remove-device', subject: deviceId }]);
  }

  /**
   * Rotates the keychain key and every service key: a new keychain key (sealed anew to
   * every remaining device and re-sealed to every recovery method), every existing service
   * key re-wrapped under it (old versions stay readable to remaining devices), a new
   * version of every service key and a new zone-key version on every zone — so nothing
   * written afterwards is readable with any key that existed before.
   */
  async rotateKeychain(trusted: TrustedContext, extra: readonly DeviceLogBody[] = []): Promise<KeyWorkReport> {
    const oldKey = trusted.keychainKey;
    const newKey = generateKey('keychain', { version: oldKey.version + 1 });
    const signer = keychainRecoverySigner(newKey);
    // Read what is sealed under the old key before anything changes.
    const items = await loadItems(this.host.api, oldKey);
    const log = await this.log().append((current) => {
      if (current.state === null || !current.state.devices.some((d) => d.id === trusted.identity.id)) throw new DeviceError('NOT_TRUSTED', 'this device is no longer trusted');
      return { signer: trusted.identity, bodies: [...extra, { kind: 'recovery-key-set', subject: signer.signingPublicKey }] };
    });
    const mode: ProtectionMode = log.state.adp ? 'advanced' : 'standard';
    const keychain = this.host.keychain();
    await keychain.setKeychainKey(newKey);
    const copies = [];
    if (items.items.passcode !== undefined) copies.push(await passcodeCopy(newKey, items.items.passcode));
    for (const device of log.state.devices) {
      copies.push({ deviceId: device.id, sealedKeychainKey: toBase64(await sealKeyTo(device.hpkePublicKey, newKey, Labels.deviceKeychain)) });
    }
    await this.host.api.post(DevicePaths.keychainRotate, { keychainKeyId: newKey.id, copies } satisfies KeychainRotateRequest);
    await saveItems(this.host.api, newKey, items.items, items.version);
    await resealRecoveryCopies(this.host.api, newKey, items.items);
    const report = emptyReport();
    const ops = new ServiceKeyOps({ api: this.host.api, keychain, ...(this.host.onProgress === undefined ? {} : { onProgress: this.host.onProgress }) });
    const byCategory = await ops.rewrapAll([oldKey], newKey, mode, report);
    await ops.newVersions(byCategory.keys(), newKey, mode, report);
    this.host.invalidateKeyCaches();
    return report;
  }

  // ── helpers ───────────────────────────────────────────────────────────────

  /** This device's identity for joining: a removed identity can never come back, so it is replaced by a new one. */
  private async usableIdentity(log: VerifiedLog, name?: string): Promise<DeviceIdentity> {
    const current = await this.identity(true, name);
    if (log.state === null || !log.state.removedDeviceIds.includes(current.id)) return current;
    const identity = generateDeviceIdentity(name ?? current.name);
    const previous = await this.host.deviceState().load();
    // Same account, same log: keep the pinned head.
    await this.host.deviceState().save({ identity, ...(previous?.trustedHead === undefined ? {} : { trustedHead: previous.trustedHead }) });
    this.identityCache = identity;
    this.identityUser = this.host.userRecordName();
    return identity;
  }

  private async putOwnCopy(identity: DeviceIdentity, keychainKey: SymmetricKey): Promise<void> {
    const sealed = await sealKeyTo(identity.hpkePublicKey, keychainKey, Labels.deviceKeychain);
    await this.host.api.post(DevicePaths.keychainPut, {
      deviceId: identity.id,
      keychainKeyId: keychainKey.id,
      sealedKeychainKey: toBase64(sealed),
    } satisfies KeychainPutRequest);
  }

  /** Opens a sealed keychain copy and checks it against the log's keychain recovery signer. */
  private async openCopy(identity: DeviceIdentity, sealedB64: string, expectedSignerId: string | null): Promise<SymmetricKey> {
    let key: SymmetricKey;
    try {
      key = await openSealedKey(identity.hpkePrivateKey, fromBase64(sealedB64), Labels.deviceKeychain, 'keychain');
    } catch (error) {
      throw new DeviceError('SERVER_MISBEHAVED', 'the keychain key the server sent does not open with this device\'s key (swapped or corrupted)', error);
    }
    if (expectedSignerId === null || keychainRecoverySigner(key).id !== expectedSignerId) {
      throw new DeviceError('SERVER_MISBEHAVED', 'the keychain key the server sent is not the one the verified device log names (swapped or stale)');
    }
    return key;
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted === true) {
      reject(new DeviceError('JOIN_FAILED', 'cancelled'));
      return;
    }
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(new DeviceError('JOIN_FAILED', 'cancelled'));
    }, { once: true });
  });
}
