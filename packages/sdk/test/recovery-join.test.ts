/**
 * Joining through recovery — recovery key, passcode escrow (and the 11th guess failing
 * forever), recovery contacts (1 of 1 and 2 of 3) — under Standard and under ADP, with
 * no other device involved.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CofferClient } from '../src/index.js';
import { account, readSecret, respond, signedIn, startHarness, writeSecret, type Harness } from './devices-harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});

type Mode = 'standard' | 'advanced';

async function owner(mode: Mode, setup: (c: CofferClient) => Promise<void>): Promise<{ first: CofferClient; email: string; where: { zoneName: string; recordName: string } }> {
  const { client: first, email } = await account(h.url, 'old phone');
  const where = await writeSecret(first, `the secret (${mode})`);
  await setup(first);
  if (mode === 'advanced') {
    if (!(await first.recovery.hasRecoveryKey()) && (await first.recovery.listContacts()).threshold === undefined) await first.recovery.createRecoveryKey();
    await first.protection.enableAdp();
  }
  return { first, email, where };
}

/** Contacts accept the owner's invitation and keep one trusted device each. */
async function contacts(n: number): Promise<{ client: CofferClient; email: string }[]> {
  return Promise.all(Array.from({ length: n }, () => account(h.url, 'contact phone')));
}

describe.each(['standard', 'advanced'] as const)('recovery (%s)', (mode) => {
  it('recovery key: a new device joins alone and reads everything; a wrong key is refused', async () => {
    let key = '';
    const { email, where } = await owner(mode, async (c) => {
      key = await c.recovery.createRecoveryKey();
    });
    expect(key).toMatch(/^([0-9A-Z]{4}-){6}[0-9A-Z]{4}$/);
    const fresh = await signedIn(h.url, email, 'new phone');
    const other = await signedIn(h.url, email, 'attacker');
    const { generateRecoveryKey } = await import('@coffer/crypto');
    await expect(other.recovery.joinWithRecoveryKey(generateRecoveryKey())).rejects.toMatchObject({ code: 'RECOVERY_FAILED' });
    await fresh.recovery.joinWithRecoveryKey(key.toLowerCase().replaceAll('-', ' '));
    expect(await fresh.devices.isTrusted()).toBe(true);
    expect(await readSecret(fresh, where)).toBe(`the secret (${mode})`);
  });

  it('regenerating the recovery key invalidates the old one', async () => {
    let oldKey = '';
    const { first, email } = await owner(mode, async (c) => {
      oldKey = await c.recovery.createRecoveryKey();
    });
    const newKey = await first.recovery.createRecoveryKey();
    const fresh = await signedIn(h.url, email);
    await expect(fresh.recovery.joinWithRecoveryKey(oldKey)).rejects.toMatchObject({ code: 'RECOVERY_FAILED' });
    await fresh.recovery.joinWithRecoveryKey(newKey);
    expect(await fresh.devices.isTrusted()).toBe(true);
  });

  it('passcode: the right passcode joins; ten wrong guesses destroy the escrow and the 11th fails forever', async () => {
    const { email, where } = await owner(mode, async (c) => {
      await c.recovery.enrollPasscode('246810');
    });
    const fresh = await signedIn(h.url, email, 'new phone');
    await expect(fresh.recovery.joinWithPasscode('111111')).rejects.toThrow(/wrong passcode \(9 attempts left\)/);
    await fresh.recovery.joinWithPasscode('246810');
    expect(await readSecret(fresh, where)).toBe(`the secret (${mode})`);

    // A correct open reset the counter; now spend all ten.
    const thief = await signedIn(h.url, email, 'thief');
    for (let i = 1; i <= 9; i++) await expect(thief.recovery.joinWithPasscode(`00000${i}`)).rejects.toThrow(new RegExp(`${10 - i} attempts left`));
    await expect(thief.recovery.joinWithPasscode('000010')).rejects.toThrow(/last attempt: the passcode escrow is destroyed/);
    // The 11th guess — even the right passcode — fails forever.
    await expect(thief.recovery.joinWithPasscode('246810')).rejects.toThrow(/no passcode escrow/);
    expect((await thief.recovery.passcodeStatus()).enrolled).toBe(false);
    expect(await thief.devices.isTrusted()).toBe(false);
  });

  it('one recovery contact: the code the contact tells releases the share; a wrong code does not', async () => {
    const [helper] = await contacts(1);
    const { email, where } = await owner(mode, async (c) => {
      await c.recovery.addContact(helper!.email);
      const inv = await helper!.client.recovery.invitations();
      await helper!.client.recovery.acceptInvitation(inv.invitations[0]!.ownerUserRecordName);
      await c.recovery.updateContactSet({ threshold: 1 });
    });
    const responder = respond(helper!.client);
    try {
      const fresh = await signedIn(h.url, email, 'new phone');
      await fresh.recovery.joinWithContacts({ pollMs: 20, timeoutMs: 30_000, askCode: ({ requestId }) => responder.code(requestId) });
      expect(await readSecret(fresh, where)).toBe(`the secret (${mode})`);

      // A wrong code: the contact's device rejects the proof; the new device is told.
      const other = await signedIn(h.url, email, 'impostor');
      await expect(other.recovery.joinWithContacts({
        pollMs: 20,
        timeoutMs: 30_000,
        askCode: async ({ requestId }) => ((await responder.code(requestId)) === '123456' ? '654321' : '123456'),
      })).rejects.toMatchObject({ code: 'CODE_MISMATCH' });
      expect(await other.devices.isTrusted()).toBe(false);
    } finally {
      responder.stop();
    }
  });

  it('two of three recovery contacts: two answers suffice, one does not', async () => {
    const helpers = await contacts(3);
    const { email, where } = await owner(mode, async (c) => {
      for (const helper of helpers) {
        await c.recovery.addContact(helper.email);
        const inv = await helper.client.recovery.invitations();
        await helper.client.recovery.acceptInvitation(inv.invitations[0]!.ownerUserRecordName);
      }
      await c.recovery.updateContactSet({ threshold: 2 });
    });
    const set = await (await signedIn(h.url, email)).recovery.listContacts();
    expect(set.threshold).toBe(2);
    const responders = new Map(helpers.map((helper) => [helper.client.session!.userRecordName, respond(helper.client)]));
    try {
      const askCode = ({ contactUserRecordName, requestId }: { contactUserRecordName: string; requestId: string }): Promise<string> =>
        responders.get(contactUserRecordName)!.code(requestId);
      const names = [...responders.keys()];
      // Only one contact available: not enough.
      const lonely = await signedIn(h.url, email, 'lonely');
      await expect(lonely.recovery.joinWithContacts({ pollMs: 20, timeoutMs: 30_000, askCode, contacts: [names[0]!] })).rejects.toThrow(/2 contacts are needed, 1 answered/);
      const fresh = await signedIn(h.url, email, 'new phone');
      await fresh.recovery.joinWithContacts({ pollMs: 20, timeoutMs: 30_000, askCode, contacts: [names[2]!, names[0]!] });
      expect(await readSecret(fresh, where)).toBe(`the secret (${mode})`);
    } finally {
      for (const r of responders.values()) r.stop();
    }
  });
});
