/** Joining by approval (and the refusals around it), under Standard and under ADP. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeviceError, KeyUnavailableError } from '../src/index.js';
import { account, joinByApproval, readSecret, signedIn, startHarness, writeSecret, type Harness } from './devices-harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});

describe.each(['standard', 'advanced'] as const)('join by approval (%s)', (mode) => {
  it('the new device decrypts nothing before approval and everything after', async () => {
    const { client: first, email } = await account(h.url, 'laptop');
    const where = await writeSecret(first, `secret before join (${mode})`);
    if (mode === 'advanced') {
      await first.recovery.createRecoveryKey();
      await first.protection.enableAdp();
    }
    const where2 = await writeSecret(first, `secret after mode switch (${mode})`);
    const second = await signedIn(h.url, email, 'phone');
    expect(await second.devices.isTrusted()).toBe(false);
    if (mode === 'advanced') {
      // Under ADP an untrusted device has no way to any key: escrow is gone.
      await expect(readSecret(second, where2)).rejects.toBeInstanceOf(KeyUnavailableError);
    }
    const ticket = await second.devices.requestJoin();
    let onCode: (code: string) => void = () => undefined;
    const codeShown = new Promise<string>((resolve) => {
      onCode = resolve;
    });
    const waiting = second.devices.waitForApproval(ticket.requestId, { pollMs: 20, timeoutMs: 20_000, onCode });
    // The trusted device sees the request, answers with its nonce; the code appears on both sides.
    const before = await first.devices.pendingJoins();
    expect(before.find((p) => p.requestId === ticket.requestId)?.state).toBe('waiting-for-device');
    const code = await codeShown;
    expect(code).toMatch(/^[0-9]{6}$/);
    const pending = await first.devices.pendingJoins();
    const mine = pending.find((p) => p.requestId === ticket.requestId);
    expect(mine).toMatchObject({ state: 'ready', code, name: 'phone' });
    await first.devices.approveJoinByCode(code);
    await waiting;
    expect(await second.devices.isTrusted()).toBe(true);
    expect(await readSecret(second, where)).toBe(`secret before join (${mode})`);
    expect(await readSecret(second, where2)).toBe(`secret after mode switch (${mode})`);
    // And the joined device writes what the first reads.
    const where3 = await writeSecret(second, 'from the phone');
    expect(await readSecret(first, where3)).toBe('from the phone');
    const names = (await first.devices.list()).map((d) => d.name).sort();
    expect(names).toEqual(['laptop', 'phone']);
  });
});

describe('approval refusals', () => {
  it('a wrong code is refused, a denied request fails the new device, an untrusted device cannot approve', async () => {
    const { client: first, email } = await account(h.url);
    const second = await signedIn(h.url, email);
    const ticket = await second.devices.requestJoin();
    let onCode: (code: string) => void = () => undefined;
    const codeShown = new Promise<string>((resolve) => {
      onCode = resolve;
    });
    const waiting = second.devices.waitForApproval(ticket.requestId, { pollMs: 10, timeoutMs: 10_000, onCode });
    waiting.catch(() => undefined);
    const third = await signedIn(h.url, email);
    await expect(third.devices.pendingJoins()).rejects.toMatchObject({ code: 'NOT_TRUSTED' });
    await first.devices.pendingJoins();
    const code = await codeShown;
    const wrong = code === '000000' ? '111111' : '000000';
    await expect(first.devices.approveJoin(ticket.requestId, wrong)).rejects.toMatchObject({ code: 'CODE_MISMATCH' });
    await expect(first.devices.approveJoinByCode(wrong)).rejects.toMatchObject({ code: 'CODE_MISMATCH' });
    await expect(third.devices.approveJoin(ticket.requestId)).rejects.toMatchObject({ code: 'NOT_TRUSTED' });
    await first.devices.denyJoin(ticket.requestId);
    await expect(waiting).rejects.toBeInstanceOf(DeviceError);
    expect(await second.devices.isTrusted()).toBe(false);
    // A fresh request works.
    await joinByApproval(first, second);
    expect(await second.devices.isTrusted()).toBe(true);
  });

  it('an untrusted device cannot create service keys (it would wrap them under a key nobody else has)', async () => {
    const { email } = await account(h.url);
    const second = await signedIn(h.url, email);
    await expect(writeSecret(second, 'x')).rejects.toMatchObject({ code: 'NOT_TRUSTED' });
  });
});
