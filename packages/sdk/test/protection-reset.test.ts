/**
 * Keychain reset: a user with no device and no recovery method starts over. Zones sealed
 * under the lost keys answer ZONE_NOT_FOUND with reason userDidResetEncryptedDataKey (the
 * SDK's typed flag), and recreateZoneFromCache re-uploads them from the app's local cache;
 * a zone the user deleted answers userDeletedZone and is never re-uploaded unasked.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CofferRecord, isEncryptedDataResetError, isUserDeletedZoneError, recreateZoneFromCache, ZoneNotFoundError, InvalidArgumentError, zoneNotFoundIn,
} from '../src/index.js';
import { account, CONTAINER, readSecret, signedIn, startHarness, writeSecret, type Harness } from './devices-harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});

describe('keychain reset', () => {
  it('answers the exact error for zones under the lost keys, and the helper re-uploads from the cache', async () => {
    const { client: lost, email } = await account(h.url, 'lost phone');
    await lost.recovery.createRecoveryKey();
    await lost.protection.enableAdp();
    const first = await writeSecret(lost, 'cached secret 1');
    const db0 = lost.container(CONTAINER).privateDatabase;
    // The app's local cache: the records as it last saw them.
    const cache = (await db0.fetchRecords([first.recordName], { zoneID: { zoneName: first.zoneName } })).throwIfErrors().records;
    const extra = new CofferRecord({ recordType: 'Note', zoneID: { zoneName: first.zoneName }, fields: { title: 'second' }, encryptedValues: { body: 'cached secret 2' } });
    (await db0.saveRecords(extra)).throwIfErrors();
    cache.push(extra);

    // Every device and the recovery key are gone: start over on a new device.
    const fresh = await signedIn(h.url, email, 'new phone');
    await fresh.devices.resetKeychain();
    expect(await fresh.devices.isTrusted()).toBe(true);
    expect((await fresh.protection.status()).mode).toBe('standard');

    const db = fresh.container(CONTAINER).privateDatabase;
    const failure: unknown = await readSecret(fresh, first).then(() => undefined, (e: unknown) => e);
    expect(isEncryptedDataResetError(failure)).toBe(true);
    const error = zoneNotFoundIn(failure);
    expect(error).toBeInstanceOf(ZoneNotFoundError);
    expect((error as ZoneNotFoundError).serverErrorCode).toBe('ZONE_NOT_FOUND');
    expect((error as ZoneNotFoundError).reason).toBe('userDidResetEncryptedDataKey');
    expect((error as ZoneNotFoundError).userDidResetEncryptedDataKey).toBe(true);
    expect((error as ZoneNotFoundError).userDeletedZone).toBe(false);

    const result = await recreateZoneFromCache(db, first.zoneName, cache);
    expect(result.records).toHaveLength(2);
    expect(await readSecret(fresh, first)).toBe('cached secret 1');
    expect(await readSecret(fresh, { zoneName: first.zoneName, recordName: extra.recordName })).toBe('cached secret 2');
    // New data works as usual under the new keys.
    const after = await writeSecret(fresh, 'after the reset');
    expect(await readSecret(fresh, after)).toBe('after the reset');
  });

  it('a zone the user deleted answers userDeletedZone; nothing is re-uploaded without confirmation', async () => {
    const { client } = await account(h.url);
    const where = await writeSecret(client, 'deleted by the user');
    const db = client.container(CONTAINER).privateDatabase;
    const cache = (await db.fetchRecords([where.recordName], { zoneID: { zoneName: where.zoneName } })).throwIfErrors().records;
    (await db.deleteRecordZones(where.zoneName)).throwIfErrors();
    const error: unknown = await readSecret(client, where).then(() => undefined, (e: unknown) => e);
    expect(zoneNotFoundIn(error)?.reason).toBe('userDeletedZone');
    expect(isUserDeletedZoneError(error)).toBe(true);
    expect(isEncryptedDataResetError(error)).toBe(false);
    await expect(recreateZoneFromCache(db, where.zoneName, cache)).rejects.toBeInstanceOf(InvalidArgumentError);
    expect(isUserDeletedZoneError(await readSecret(client, where).then(() => undefined, (e: unknown) => e))).toBe(true);
    await recreateZoneFromCache(db, where.zoneName, cache, { confirmUserDeletedZone: true });
    expect(await readSecret(client, where)).toBe('deleted by the user');
  });

  it('refuses to recreate a zone that is fine', async () => {
    const { client } = await account(h.url);
    const where = await writeSecret(client, 'fine');
    await expect(recreateZoneFromCache(client.container(CONTAINER).privateDatabase, where.zoneName, [])).rejects.toThrow(/readable/);
  });
});
