/**
 * Removing a device: the keychain key and every service key rotate, zones get new key
 * versions; the removed device's stored keys open nothing written afterwards, while every
 * remaining device (including one that did not do the removal) reads old and new data.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { CofferRecord, KeyUnavailableError } from '../src/index.js';
import { KEY_REFRESH_MS } from '../src/keys/service-keys.js';
import { account, CONTAINER, joinByApproval, opensWith, readSecret, respond, signedIn, startHarness, storedKeys, writeSecret, type Harness } from './devices-harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});

describe.each(['standard', 'advanced'] as const)('remove a device (%s)', (mode) => {
  it('the removed device\'s stored keys cannot decrypt records written after; old data stays readable to the rest', async () => {
    const { client: a, email } = await account(h.url, 'laptop');
    if (mode === 'advanced') {
      await a.recovery.createRecoveryKey();
      await a.protection.enableAdp();
    }
    const b = await signedIn(h.url, email, 'stolen phone');
    const c = await signedIn(h.url, email, 'tablet');
    await joinByApproval(a, b);
    await joinByApproval(a, c);
    const old = await writeSecret(a, 'old secret');
    expect(await readSecret(b, old)).toBe('old secret'); // b now holds the keys of the zone
    const stolen = storedKeys(b);
    expect(stolen.some((k) => k.kind === 'keychain')).toBe(true);
    expect(stolen.some((k) => k.kind === 'service')).toBe(true);
    expect(await opensWith(a, old, stolen)).toBe(true);

    const bId = (await b.devices.list()).find((d) => d.current)!.id;
    const report = await a.devices.removeDevice(bId);
    expect(report.rewrapped).toBeGreaterThan(0);
    expect(report.newServiceKeys).toBeGreaterThan(0);
    expect(report.zonesRekeyed).toBeGreaterThan(0);
    expect((await a.devices.list()).map((d) => d.name).sort()).toEqual(['laptop', 'tablet']);

    // Written after the removal: into the old zone (new zone-key version) and a new zone.
    const sameZone = await writeSecret(a, 'after removal, old zone', old.zoneName);
    const newZone = await writeSecret(a, 'after removal, new zone');
    const fromTablet = await writeSecret(c, 'after removal, from the tablet');
    for (const where of [sameZone, newZone, fromTablet]) expect(await opensWith(a, where, stolen)).toBe(false);
    // The removed device's own client: it has no keychain copy any more.
    expect(await b.devices.isTrusted()).toBe(false);
    if (mode === 'advanced') {
      await expect(readSecret(b, newZone)).rejects.toBeInstanceOf(KeyUnavailableError);
    }
    // The remaining devices read everything, old and new (c picks up the rotated keychain key).
    for (const reader of [a, c]) {
      expect(await readSecret(reader, old)).toBe('old secret');
      expect(await readSecret(reader, sameZone)).toBe('after removal, old zone');
      expect(await readSecret(reader, newZone)).toBe('after removal, new zone');
      expect(await readSecret(reader, fromTablet)).toBe('after removal, from the tablet');
    }
    // The removed device may come back only as a new device (a new identity), approved again.
    await joinByApproval(a, b);
    expect(await b.devices.isTrusted()).toBe(true);
    expect(b.devices.currentDeviceId).not.toBe(bId);
    expect(await readSecret(b, newZone)).toBe('after removal, new zone');
    // A device joined later gets the new keychain key and reads all of it too.
    const d = await signedIn(h.url, email, 'new phone');
    await joinByApproval(c, d);
    expect(await readSecret(d, old)).toBe('old secret');
    expect(await readSecret(d, newZone)).toBe('after removal, new zone');
  });

  it('recovery methods keep working after a rotation (re-sealed to the new keychain key)', async () => {
    const { client: a, email } = await account(h.url, 'laptop');
    const key = await a.recovery.createRecoveryKey();
    await a.recovery.enrollPasscode('135790');
    const { client: helper, email: helperEmail } = await account(h.url, 'contact');
    await a.recovery.addContact(helperEmail);
    await helper.recovery.acceptInvitation((await helper.recovery.invitations()).invitations[0]!.ownerUserRecordName);
    await a.recovery.updateContactSet({ threshold: 1 });
    if (mode === 'advanced') await a.protection.enableAdp();
    const b = await signedIn(h.url, email, 'phone');
    await joinByApproval(a, b);
    const bId = (await b.devices.list()).find((x) => x.current)!.id;
    await a.devices.removeDevice(bId);
    const after = await writeSecret(a, 'written after the rotation');
    const byKey = await signedIn(h.url, email, 'recovered by key');
    await byKey.recovery.joinWithRecoveryKey(key);
    expect(await readSecret(byKey, after)).toBe('written after the rotation');
    const byPasscode = await signedIn(h.url, email, 'recovered by passcode');
    await byPasscode.recovery.joinWithPasscode('135790');
    expect(await readSecret(byPasscode, after)).toBe('written after the rotation');
    const responder = respond(helper);
    try {
      const byContact = await signedIn(h.url, email, 'recovered by contact');
      await byContact.recovery.joinWithContacts({ pollMs: 20, timeoutMs: 30_000, askCode: ({ requestId }) => responder.code(requestId) });
      expect(await readSecret(byContact, after)).toBe('written after the rotation');
    } finally {
      responder.stop();
    }
  });

  it('a long-running remaining device moves to the rotated keys within the refresh window', async () => {
    const { client: a, email } = await account(h.url, 'laptop');
    if (mode === 'advanced') {
      await a.recovery.createRecoveryKey();
      await a.protection.enableAdp();
    }
    const b = await signedIn(h.url, email, 'stolen phone');
    const c = await signedIn(h.url, email, 'busy server process');
    await joinByApproval(a, b);
    await joinByApproval(a, c);
    const first = await writeSecret(c, 'c before'); // c's process now caches the service and zone keys
    expect(await readSecret(b, first)).toBe('c before');
    const stolen = storedKeys(b);
    await a.devices.removeDevice(b.devices.currentDeviceId!);
    const now = Date.now();
    const clock = vi.spyOn(Date, 'now').mockImplementation(() => now + KEY_REFRESH_MS + 1000);
    try {
      const db = c.container(CONTAINER).privateDatabase;
      const later = new CofferRecord({ recordType: 'Note', zoneID: { zoneName: first.zoneName }, encryptedValues: { body: 'c after the window' } });
      (await db.saveRecords(later)).throwIfErrors();
      const where = { zoneName: first.zoneName, recordName: later.recordName };
      expect(await opensWith(a, where, stolen)).toBe(false);
      expect(await readSecret(a, where)).toBe('c after the window');
    } finally {
      clock.mockRestore();
    }
  });

  it('a device cannot remove itself, and an unknown id is refused', async () => {
    const { client: a } = await account(h.url);
    const me = (await a.devices.list())[0]!.id;
    await expect(a.devices.removeDevice(me)).rejects.toMatchObject({ code: 'NOT_TRUSTED' });
    await expect(a.devices.removeDevice('0'.repeat(32))).rejects.toMatchObject({ code: 'NOT_TRUSTED' });
  });
});
