/**
 * `CofferClient`: the entry point. It holds the server URL, the session and the
 * device keychains, and hands out containers.
 *
 * ```ts
 * const client = new CofferClient({ serverUrl: 'http://127.0.0.1:8080' });
 * await client.signIn('ann@example.com', password);
 * const db = client.container('com.example.notes').privateDatabase;
 * ```
 */
import type { Environment } from '@coffer/protocol';
import { registerAccount, signInAccount, signOutAccount, type Session, type SignInOptions } from './account.js';
import { Container, type ContainerOptions } from './container.js';
import type { AccountAccess } from './database-context.js';
import { NotSignedInError } from './errors.js';
import { fileKeychains } from './keys/file-keychain.js';
import { memoryKeychains, type Keychain, type KeychainFactory } from './keys/keychain.js';
import { ServiceKeys } from './keys/service-keys.js';
import { Transport, type FetchLike } from './transport/http.js';
import type { RetryOptions } from './transport/retry.js';
// Devices, protection and recovery (issue 4).
import { DeviceApi } from './devices/api.js';
import { fileDeviceStates, memoryDeviceStates, type DeviceStateFactory } from './devices/device-state.js';
import { Devices, type DevicesHost } from './devices/devices.js';
import { Protection } from './protection/protection.js';
import { Recovery } from './recovery/recovery.js';
import { cofferHome } from './keys/file-keychain.js';

export interface CofferClientOptions {
  /** e.g. `http://127.0.0.1:8080`. */
  serverUrl: string;
  /** A `fetch` to use instead of the global one. */
  fetch?: FetchLike;
  /** Backoff for THROTTLED / TRY_AGAIN_LATER (bounded attempts, injectable sleep). */
  retry?: RetryOptions;
  /**
   * Where this device keeps each account's keys. Default: files under `$COFFER_HOME`
   * (`~/.coffer`) in Node, memory in browsers. Use `memoryKeychains()` in tests.
   */
  keychains?: KeychainFactory;
  /** Resume a saved session instead of signing in. */
  session?: Session;
  /** This device's name in record stamps (`created.deviceID`, `modified.deviceID`). */
  deviceId?: string;
  /**
   * Where this device keeps its identity and last verified device-log head per account.
   * Default: files under `$COFFER_HOME` in Node when `keychains` is the default too;
   * otherwise memory (pass `fileDeviceStates(home)` beside `fileKeychains(home)`).
   */
  deviceStates?: DeviceStateFactory;
  /** Name of this device in the account's device list (default: "Coffer device"). */
  deviceName?: string;
  /** Progress of long key work (rotations). */
  onProgress?: (done: number, total: number, what: string) => void;
}

export class CofferClient {
  private readonly transport: Transport;
  private readonly keychains: KeychainFactory;
  private currentSession: Session | undefined;
  private readonly keychainCache = new Map<string, Keychain>();
  private readonly serviceKeyCache = new Map<string, ServiceKeys>();
  private readonly containers = new Map<string, Container>();
  private readonly account: AccountAccess;
  private readonly deviceStates: DeviceStateFactory;
  /** Trusted devices: identity, verified log, joining, approval, removal. */
  readonly devices: Devices;
  /** Recovery key, recovery contacts, passcode escrow. */
  readonly recovery: Recovery;
  /** Standard / Advanced Data Protection. */
  readonly protection: Protection;

  constructor(options: CofferClientOptions) {
    this.transport = new Transport({
      serverUrl: options.serverUrl,
      ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
      ...(options.retry === undefined ? {} : { retry: options.retry }),
      ...(options.deviceId === undefined ? {} : { deviceId: options.deviceId }),
    });
    this.keychains = options.keychains ?? (typeof process !== 'undefined' && process.versions.node !== undefined ? fileKeychains() : memoryKeychains());
    if (options.session !== undefined) this.useSession(options.session);
    this.account = {
      userRecordName: () => this.requireSession('this operation').userRecordName,
      maybeUserRecordName: () => this.currentSession?.userRecordName,
      serviceKeys: (container, environment) => this.serviceKeysFor(container, environment),
      keychainKey: () => this.devices.currentKeychainKey(),
    };
    const node = typeof process !== 'undefined' && process.versions.node !== undefined;
    // Device state lives with the keychains: files under $COFFER_HOME when the keychains are
    // the default files; otherwise (custom keychains, e.g. tests) in memory unless given.
    this.deviceStates = options.deviceStates ?? (node && options.keychains === undefined ? fileDeviceStates(cofferHome()) : memoryDeviceStates());
    const host: DevicesHost = {
      api: new DeviceApi({
        serverUrl: options.serverUrl,
        sessionToken: () => this.currentSession?.sessionToken,
        deviceId: () => this.devices.currentDeviceId,
        ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
      }),
      userRecordName: () => this.requireSession('devices').userRecordName,
      keychain: () => this.keychain(),
      deviceState: () => this.deviceStates(this.requireSession('devices').userRecordName),
      invalidateKeyCaches: () => {
        this.invalidateKeyCaches();
      },
      defaultDeviceName: options.deviceName ?? 'Coffer device',
      ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
    };
    this.devices = new Devices(host);
    this.recovery = new Recovery(host, this.devices);
    this.protection = new Protection(host, this.devices, this.recovery, (c, environment) => this.container(c, { environment }).privateDatabase);
  }

  /** The server this client talks to (no trailing slash). */
  get serverUrl(): string {
    return this.transport.serverUrl;
  }

  /** The current session, if signed in. */
  get session(): Session | undefined {
    return this.currentSession;
  }

  /**
   * Creates an account (OPAQUE: the password never leaves this device), signs in, and
   * creates this device's keychain for it.
   */
  async register(email: string, password: string): Promise<Session> {
    const session = await registerAccount(this.transport, email, password);
    this.useSession(session);
    await this.devices.setupFirstDevice();
    return session;
  }

  /**
   * Signs in. With TOTP on, pass `{ totpCode }`; without it the server answers
   * `AuthenticationFailedError` with reason `totpRequired`.
   */
  async signIn(email: string, password: string, options: SignInOptions = {}): Promise<Session> {
    const session = await signInAccount(this.transport, email, password, options);
    this.useSession(session);
    await this.ensureKeychainKey();
    return session;
  }

  /** Ends the session on the server and forgets it here. Local keychains stay. */
  async signOut(): Promise<void> {
    if (this.currentSession === undefined) return;
    try {
      await signOutAccount(this.transport);
    } finally {
      this.useSession(undefined);
    }
  }

  /** Uses a saved session (e.g. read from disk) without signing in again. */
  useSession(session: Session | undefined): void {
    this.currentSession = session === undefined ? undefined : { ...session };
    this.transport.sessionToken = session?.sessionToken;
  }

  /** A container; `environment` defaults to `development`. */
  container(containerIdentifier: string, options: ContainerOptions = {}): Container {
    const environment: Environment = options.environment ?? 'development';
    const id = `${containerIdentifier}\u0000${environment}`;
    let container = this.containers.get(id);
    if (container === undefined) {
      container = new Container(this.transport, containerIdentifier, this.account, { environment });
      this.containers.set(id, container);
    }
    return container;
  }

  /** The signed-in account's keychain on this device. */
  keychain(): Keychain {
    const user = this.requireSession('keychain()').userRecordName;
    let keychain = this.keychainCache.get(user);
    if (keychain === undefined) {
      keychain = this.keychains(user);
      this.keychainCache.set(user, keychain);
    }
    return keychain;
  }

  /**
   * After sign-in: a trusted device refreshes its keychain key (another device may have
   * rotated it); on an account without a device log yet this device becomes the first
   * trusted device. Any other device has no keychain key until it joins
   * (`client.devices` / `client.recovery`); until then it reads only what escrow can open.
   */
  private async ensureKeychainKey(): Promise<void> {
    if (await this.devices.resume()) return;
    if ((await this.devices.fetchLog()).state === null) await this.devices.setupFirstDevice();
  }

  /** Drops cached service and zone keys (after a key rotation, ADP on/off or a join). */
  invalidateKeyCaches(): void {
    this.serviceKeyCache.clear();
    this.containers.clear();
  }

  private serviceKeysFor(container: string, environment: Environment): ServiceKeys {
    const user = this.requireSession('encryption').userRecordName;
    // One per container, not per environment: the category `app:<container>` (and so its
    // service key) is shared by development and production.
    const id = `${user}\u0000${container}`;
    let keys = this.serviceKeyCache.get(id);
    if (keys === undefined) {
      keys = new ServiceKeys({
        transport: this.transport, keychain: this.keychain(), container, environment,
        protectionMode: () => this.devices.protectionMode(),
        keychainKey: () => this.devices.currentKeychainKey(),
      });
      this.serviceKeyCache.set(id, keys);
    }
    return keys;
  }

  private requireSession(what: string): Session {
    if (this.currentSession === undefined) throw new NotSignedInError(what);
    return this.currentSession;
  }
}
