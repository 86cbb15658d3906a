/**
 * Standard data protection vs Advanced Data Protection (docs/SDK.md "Devices, protection and recovery").
 *
 * The mode is what the verified device log says — a signed adp-on / adp-off entry the
 * server can neither forge nor drop. The server keeps its own copy of the mode to enforce
 * it (escrow refused, plaintext `isEncrypted` writes refused); `status()` refuses to
 * report when the two disagree.
 *
 * - enable: refused unless the keychain items list a recovery key or a recovery-contact
 *   set and every device in the log supports ADP; appends adp-on (the server then deletes
 *   every escrowed copy), then gives every category whose keys the server could have held
 *   (policy `escrowed` in Standard) a new service-key version and every zone of it a new
 *   zone-key version — so keys the server saw protect nothing written afterwards.
 * - disable: appends adp-off, then re-escrows every key (old and new versions) of the
 *   escrow-eligible categories.
 * - `reencryptOldData()`: the explicit extra step that re-encrypts existing records under
 *   the newest zone keys (docs/SECURITY.md "What stays readable with old keys").
 */
import { categoryPolicy, DevicePaths, Environments, protectionTable, type CategoryStatus, type ProtectionMode, type ProtectionStatusResponse } from '@coffer/protocol';
import type { DevicePublicIdentity } from '@coffer/crypto';
import type { Devices, DevicesHost } from '../devices/devices.js';
import { DeviceError } from '../devices/errors.js';
import { containerOfCategory, emptyReport, ServiceKeyOps, type KeyWorkReport } from '../devices/service-key-ops.js';
import type { Recovery } from '../recovery/recovery.js';
import type { CofferRecord } from '../record.js';
import { setRecordKeyState } from '../record.js';
import type { Database } from '../database.js';

export interface ProtectionStatus {
  mode: ProtectionMode;
  categories: CategoryStatus[];
}

/** Every v1 device identity supports ADP; a future identity version may not (and then blocks enabling). */
export function deviceSupportsAdp(_device: DevicePublicIdentity): boolean {
  return true;
}

/** How `reencryptOldData` reaches the record API (implemented by the client). */
export type DatabaseFor = (container: string, environment: 'development' | 'production') => Database;

export class Protection {
  constructor(
    private readonly host: DevicesHost,
    private readonly devices: Devices,
    private readonly recovery: Recovery,
    private readonly databaseFor: DatabaseFor,
  ) {}

  /**
   * The seed-style table for the account's verified mode.
   * @throws DeviceError SERVER_MISBEHAVED when the server's mode differs from the log's.
   */
  async status(): Promise<ProtectionStatus> {
    const mode = await this.devices.protectionMode();
    const server = await this.host.api.get<ProtectionStatusResponse>(DevicePaths.protectionStatus);
    if (server.mode !== mode) {
      throw new DeviceError('SERVER_MISBEHAVED', `the server says ${server.mode} but the signed device log says ${mode}: refusing to trust the server's protection state`);
    }
    return { mode, categories: protectionTable(mode) };
  }

  /** Turns ADP on (see module doc). */
  async enableAdp(): Promise<KeyWorkReport> {
    const trusted = await this.devices.requireTrusted();
    if (trusted.log.state.adp) throw new DeviceError('PROTECTION_REFUSED', 'Advanced Data Protection is already on');
    if (!(await this.recovery.hasRecoveryMethodForAdp(trusted.keychainKey))) {
      throw new DeviceError('PROTECTION_REFUSED', 'set up a recovery key (`coffer recovery-key create`) or a recovery contact first: under ADP nobody else can help you recover');
    }
    const unsupported = trusted.log.state.devices.filter((d) => !deviceSupportsAdp(d));
    if (unsupported.length > 0) {
      throw new DeviceError('PROTECTION_REFUSED', `these devices do not support ADP; update or remove them first: ${unsupported.map((d) => d.name).join(', ')}`);
    }
    const ops = this.ops();
    const categories = new Set((await ops.list()).map((k) => k.category).filter((c) => categoryPolicy(c).standard === 'escrowed'));
    await this.devices.log().append((log) => {
      if (log.state?.adp === true) throw new DeviceError('PROTECTION_REFUSED', 'Advanced Data Protection is already on');
      return { signer: trusted.identity, bodies: [{ kind: 'adp-on', subject: null }] };
    });
    const report = emptyReport();
    await ops.newVersions(categories, trusted.keychainKey, 'advanced', report);
    const leftover = (await ops.list()).filter((k) => k.escrowed);
    this.host.invalidateKeyCaches();
    if (leftover.length > 0) {
      throw new DeviceError('SERVER_MISBEHAVED', `ADP is on but the server still reports ${leftover.length} escrowed key(s); they protect nothing new (rotated), but the server did not delete them`);
    }
    return report;
  }

  /** Turns ADP off: appends adp-off, then re-escrows the escrow-eligible keys. */
  async disableAdp(): Promise<KeyWorkReport> {
    const trusted = await this.devices.requireTrusted();
    if (!trusted.log.state.adp) throw new DeviceError('PROTECTION_REFUSED', 'Advanced Data Protection is already off');
    await this.devices.log().append((log) => {
      if (log.state?.adp !== true) throw new DeviceError('PROTECTION_REFUSED', 'Advanced Data Protection is already off');
      return { signer: trusted.identity, bodies: [{ kind: 'adp-off', subject: null }] };
    });
    const ops = this.ops();
    const report = emptyReport();
    for (const entry of await ops.list()) {
      if (categoryPolicy(entry.category).standard !== 'escrowed') continue;
      const key = await ops.open(entry, [trusted.keychainKey], 'advanced');
      if (key === undefined) {
        report.unopenable.push(entry.keyId);
        continue;
      }
      if (await ops.upload(key, entry.category, trusted.keychainKey, 'standard')) report.escrowed++;
    }
    this.host.invalidateKeyCaches();
    return report;
  }

  /**
   * Re-encrypts every record of every app container (both environments) under its zone's
   * newest key: each record gets a new record key wrapped by the newest zone key and every
   * encrypted field is encrypted anew. Old zone-key versions stay on the server (zone keys
   * are append-only) but no record needs them afterwards.
   * @returns the number of records re-encrypted.
   */
  async reencryptOldData(options: { containers?: string[] } = {}): Promise<number> {
    await this.devices.requireTrusted();
    const containers = options.containers ?? [...new Set((await this.ops().list()).map((k) => containerOfCategory(k.category)).filter((c): c is string => c !== undefined))];
    let count = 0;
    for (const container of containers) {
      for (const environment of Environments) {
        const db = this.databaseFor(container, environment);
        for (const zone of await db.fetchAllRecordZones()) {
          if (zone.deleted === true) continue;
          const records: CofferRecord[] = [];
          for await (const page of db.fetchZoneChanges(zone.zoneID)) records.push(...page.changed.filter((r) => !r.deleted));
          for (let i = 0; i < records.length; i += 200) {
            const batch = records.slice(i, i + 200);
            for (const r of batch) setRecordKeyState(r, undefined);
            const result = await db.saveRecords(batch, { operationType: 'forceReplace' });
            result.throwIfErrors();
            count += batch.length;
          }
        }
      }
    }
    return count;
  }

  private ops(): ServiceKeyOps {
    return new ServiceKeyOps({ api: this.host.api, keychain: this.host.keychain(), ...(this.host.onProgress === undefined ? {} : { onProgress: this.host.onProgress }) });
  }
}
