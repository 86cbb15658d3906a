/**
 * Advanced Data Protection: refused without a recovery method; on → the server's escrow
 * copies are gone and every key it could have held is rotated (nothing written afterwards
 * uses a key the server saw); on → off → on keeps every record readable on every trusted
 * device; re-encryption of old data as an explicit step.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServiceKeysLookupResponse } from '@coffer/protocol';
import { account, dbPath, joinByApproval, raw, readSecret, signedIn, startHarness, writeSecret, type Harness } from './devices-harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});

async function serviceKeys(client: Parameters<typeof raw>[0]): Promise<ServiceKeysLookupResponse['serviceKeys']> {
  return (await raw<ServiceKeysLookupResponse>(client, dbPath('keys/service/lookup'), {})).serviceKeys;
}

describe('Advanced Data Protection', () => {
  it('is refused without a recovery key or contact, and the mode stays Standard', async () => {
    const { client } = await account(h.url);
    await expect(client.protection.enableAdp()).rejects.toMatchObject({ code: 'PROTECTION_REFUSED' });
    expect((await client.protection.status()).mode).toBe('standard');
    const { state } = await client.devices.fetchLog();
    expect(state?.adp).toBe(false);
  });

  it('on: escrow deleted, every escrowed key rotated, new data under keys the server never saw; the table changes', async () => {
    const { client, email } = await account(h.url);
    const before = await writeSecret(client, 'before ADP');
    const escrowedBefore = (await serviceKeys(client)).filter((k) => k.escrowed);
    expect(escrowedBefore.length).toBeGreaterThan(0);
    const standard = await client.protection.status();
    expect(standard.categories.find((c) => c.id === 'photos')).toMatchObject({ encryption: 'in transit & on server', keyStorage: 'server' });

    await client.recovery.createRecoveryKey();
    const report = await client.protection.enableAdp();
    expect(report.newServiceKeys).toBeGreaterThanOrEqual(escrowedBefore.length);
    const status = await client.protection.status();
    expect(status.mode).toBe('advanced');
    expect(status.categories.find((c) => c.id === 'photos')).toMatchObject({ encryption: 'end-to-end', keyStorage: 'trusted devices' });
    expect(status.categories.find((c) => c.id === 'mail')).toMatchObject({ encryption: 'in transit & on server' });

    const after = (await serviceKeys(client));
    expect(after.some((k) => k.escrowed)).toBe(false);
    // escrow recover is refused now
    await expect(raw(client, dbPath('keys/service/recover'), { keyId: escrowedBefore[0]!.keyId })).rejects.toThrow(/ACCESS_DENIED/);

    // A record written now uses a zone key wrapped by a service key that was never escrowed.
    const fresh = await writeSecret(client, 'after ADP', before.zoneName);
    const rec = await raw<{ records: { protectionInfo: { zoneKeyVersion: number } }[] }>(client, dbPath('records/lookup'), { records: [{ recordName: fresh.recordName }], zoneID: { zoneName: fresh.zoneName } });
    const zone = await raw<{ zones: { zoneKeys: { version: number; serviceKeyId: string }[] }[] }>(client, dbPath('zones/lookup'), { zones: [{ zoneName: fresh.zoneName }] });
    const used = zone.zones[0]!.zoneKeys.find((k) => k.version === rec.records[0]!.protectionInfo.zoneKeyVersion)!;
    expect(escrowedBefore.map((k) => k.keyId)).not.toContain(used.serviceKeyId);
    expect(rec.records[0]!.protectionInfo.zoneKeyVersion).toBeGreaterThan(1);
    expect(await readSecret(client, before)).toBe('before ADP');
    expect(await readSecret(client, fresh)).toBe('after ADP');

    // An untrusted device of the same account gets nothing from escrow any more.
    const stranger = await signedIn(h.url, email);
    await expect(readSecret(stranger, fresh)).rejects.toThrow();
    await expect(readSecret(stranger, before)).rejects.toThrow();
  });

  it('on → off → on keeps every record readable on every trusted device', async () => {
    const { client: a, email } = await account(h.url, 'laptop');
    const b = await signedIn(h.url, email, 'phone');
    await joinByApproval(a, b);
    await a.recovery.createRecoveryKey();
    const written = [await writeSecret(a, 'standard 1')];
    await a.protection.enableAdp();
    written.push(await writeSecret(b, 'advanced 1'), await writeSecret(a, 'advanced 1b', written[0]!.zoneName));
    const off = await b.protection.disableAdp();
    expect(off.escrowed).toBeGreaterThan(0);
    expect((await serviceKeys(a)).filter((k) => k.category.startsWith('app:')).every((k) => k.escrowed)).toBe(true);
    expect((await a.protection.status()).mode).toBe('standard');
    written.push(await writeSecret(a, 'standard 2'), await writeSecret(b, 'standard 2b', written[1]!.zoneName));
    // Standard again: a device that is not trusted reads through escrow.
    const webish = await signedIn(h.url, email, 'untrusted');
    expect(await readSecret(webish, written[3]!)).toBe('standard 2');
    await a.protection.enableAdp();
    written.push(await writeSecret(a, 'advanced 2'), await writeSecret(b, 'advanced 2b', written[0]!.zoneName));
    const texts = ['standard 1', 'advanced 1', 'advanced 1b', 'standard 2', 'standard 2b', 'advanced 2', 'advanced 2b'];
    for (const device of [a, b]) {
      for (const [i, where] of written.entries()) expect(await readSecret(device, where)).toBe(texts[i]);
    }
    // A device joined afterwards too.
    const c = await signedIn(h.url, email, 'tablet');
    await joinByApproval(b, c);
    for (const [i, where] of written.entries()) expect(await readSecret(c, where)).toBe(texts[i]);
    await expect(a.protection.enableAdp()).rejects.toMatchObject({ code: 'PROTECTION_REFUSED' });
  });

  it('reencryptOldData moves old records to the newest zone keys', async () => {
    const { client } = await account(h.url);
    const old = await writeSecret(client, 'old under escrowed keys');
    await client.recovery.createRecoveryKey();
    await client.protection.enableAdp();
    const version = async (): Promise<number> => (await raw<{ records: { protectionInfo: { zoneKeyVersion: number } }[] }>(client, dbPath('records/lookup'), { records: [{ recordName: old.recordName }], zoneID: { zoneName: old.zoneName } })).records[0]!.protectionInfo.zoneKeyVersion;
    expect(await version()).toBe(1);
    const count = await client.protection.reencryptOldData({ containers: ['iCloud.org.coffer.devicetests'] });
    expect(count).toBeGreaterThanOrEqual(1);
    expect(await version()).toBe(2);
    expect(await readSecret(client, old)).toBe('old under escrowed keys');
  });
});
