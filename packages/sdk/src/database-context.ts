/**
 * What every database operation needs: the transport, the path prefix, the signed-in
 * account, and (for private and shared databases) that account's record codec and zone
 * keyring. Codec and keyring are per account so signing in as someone else never
 * reuses another account's cached keys. Internal to the SDK.
 */
import type { SymmetricKey } from '@coffer/crypto';
import type { DatabaseScope, Environment, WrappedZoneKeyWire, ZoneIDWire, ZoneResult, ZonesLookupResponse, ZonesModifyResponse } from '@coffer/protocol';
import { KeyUnavailableError } from './errors.js';
import { ZoneKeyring } from './keys/zone-keys.js';
import type { ServiceKeys } from './keys/service-keys.js';
import { databasePath } from './paths.js';
import { DEFAULT_OWNER, RecordCodec } from './record-codec.js';
import { BadRequestError, ConflictError, errorFromEnvelope } from './server-errors.js';
import type { Transport } from './transport/http.js';

/** The account side a database needs; implemented by the client. */
export interface AccountAccess {
  /** The signed-in user's record name; throws `NotSignedInError` when signed out. */
  userRecordName(): string;
  /** The user's record name if signed in. */
  maybeUserRecordName(): string | undefined;
  /** The service keys of `container` for the signed-in account. */
  serviceKeys(container: string, environment: Environment): ServiceKeys;
  /** The account keychain key on this trusted device (assets derive their secrets from it). */
  keychainKey(): Promise<SymmetricKey>;
}

interface PerAccount {
  codec: RecordCodec;
  keyring: ZoneKeyring | undefined;
}


export class DatabaseContext {
  private readonly perAccount = new Map<string, PerAccount>();

  constructor(
    readonly transport: Transport,
    readonly container: string,
    readonly environment: Environment,
    readonly scope: DatabaseScope,
    readonly account: AccountAccess,
  ) {}

  path(operation: string): string {
    return databasePath(this.container, this.environment, this.scope, operation);
  }

  post<T>(operation: string, body: unknown): Promise<T> {
    return this.transport.post<T>(this.path(operation), body);
  }

  get<T>(operation: string): Promise<T> {
    return this.transport.get<T>(this.path(operation));
  }

  /** The codec of the signed-in account (the public database works signed out). */
  get codec(): RecordCodec {
    return this.forAccount().codec;
  }

  /** The zone keyring of the signed-in account; undefined in the public database. */
  get keyring(): ZoneKeyring | undefined {
    return this.forAccount().keyring;
  }

  private forAccount(): PerAccount {
    const user = this.scope === 'public' ? (this.account.maybeUserRecordName() ?? '') : this.account.userRecordName();
    let entry = this.perAccount.get(user);
    if (entry === undefined) {
      const keyring = this.scope === 'public'
        ? undefined
        : new ZoneKeyring(this.account.serviceKeys(this.container, this.environment), (z) => this.loadZoneKeys(z), (z, k) => this.attachZoneKeys(z, k));
      const codec = new RecordCodec(
        {
          container: this.container,
          environment: this.environment,
          database: this.scope,
          defaultOwner: () => (this.scope === 'public' ? DEFAULT_OWNER : this.account.userRecordName()),
        },
        keyring,
      );
      entry = { codec, keyring };
      this.perAccount.set(user, entry);
    }
    return entry;
  }

  private async loadZoneKeys(zoneID: ZoneIDWire): Promise<WrappedZoneKeyWire[] | undefined> {
    const response = await this.post<ZonesLookupResponse>('zones/lookup', { zones: [zoneID] });
    return zoneKeysOf(response.zones[0]);
  }

  /** Gives a key-less zone its first key (zones/modify `update`); the server keeps an existing one. */
  private async attachZoneKeys(zoneID: ZoneIDWire, zoneKeys: WrappedZoneKeyWire[]): Promise<WrappedZoneKeyWire[]> {
    const response = await this.post<ZonesModifyResponse>('zones/modify', { operations: [{ operationType: 'update', zone: { zoneID, zoneKeys } }] });
    let keys: WrappedZoneKeyWire[] | undefined;
    try {
      keys = zoneKeysOf(response.zones[0]);
    } catch (error) {
      // Another device attached a first key at the same moment (zone keys are append-only): use theirs.
      if (error instanceof ConflictError) keys = await this.loadZoneKeys(zoneID);
      else if (error instanceof BadRequestError) {
        throw new KeyUnavailableError(`zone ${zoneID.zoneName} has no zone key and the server refused to store one (${error.reason}); write encrypted fields to a zone created with saveRecordZones()`, error);
      } else throw error;
    }
    if (keys === undefined || keys.length === 0) throw new KeyUnavailableError(`the server did not store keys on zone ${zoneID.zoneName}`);
    return keys;
  }
}

function zoneKeysOf(result: ZoneResult | undefined): WrappedZoneKeyWire[] | undefined {
  if (result === undefined) return undefined;
  if ('serverErrorCode' in result) throw errorFromEnvelope(result);
  return result.zoneKeys;
}
