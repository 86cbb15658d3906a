/**
 * The issue-4 CLI end to end against a real server: protection status (table and --json),
 * refusals on stderr with a non-zero exit, recovery key, ADP on/off, devices
 * list/approve/remove, and `coffer device join` by recovery key, approval, passcode and
 * recovery contact — each in its own $COFFER_HOME (a separate device).
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer } from '@coffer/server';
import { runCoffer, startCoffer, tempDir, waitForExit } from './helpers.js';

let url: string;
let close: () => Promise<void>;
beforeAll(async () => {
  const server = await startServer({ port: 0, dataDir: tempDir('coffer-cli4-srv-') });
  url = server.url;
  close = () => server.close();
});
afterAll(async () => {
  await close();
});

const PASSWORD = 'a long and happy passphrase';
const email = (): string => `cli4-${randomBytes(5).toString('hex')}@example.com`;

async function coffer(home: string, args: string[], input?: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return runCoffer(args, { env: { COFFER_HOME: home }, ...(input === undefined ? {} : { input }) });
}

async function newHome(address: string, create: boolean): Promise<string> {
  const home = tempDir('coffer-cli4-home-');
  const r = await coffer(home, [create ? 'account' : 'login', ...(create ? ['create'] : []), '--server', url, '--email', address, '--password-stdin'], `${PASSWORD}\n`);
  expect(r.code, r.stderr).toBe(0);
  return home;
}

describe('coffer protection / recovery-key / devices / device join', () => {
  it('runs the whole device story from the command line', async () => {
    const owner = email();
    const a = await newHome(owner, true);
    // The device identity (private keys) lives under $COFFER_HOME, 0600 in a 0700 folder.
    const identities = readdirSync(join(a, 'devices'));
    expect(identities).toHaveLength(1);
    expect(statSync(join(a, 'devices', identities[0]!)).mode & 0o777).toBe(0o600);
    expect(statSync(join(a, 'devices')).mode & 0o777).toBe(0o700);
    expect(readFileSync(join(a, 'devices', identities[0]!), 'utf8')).toContain('coffer-device-v1:');

    const table = await coffer(a, ['protection', 'status']);
    expect(table.code).toBe(0);
    expect(table.stdout).toContain('Standard data protection');
    expect(table.stdout).toMatch(/Photos\s+in transit & on server\s+server/);
    expect(table.stdout).toMatch(/Health data\s+end-to-end\s+trusted devices/);
    const json = await coffer(a, ['protection', 'status', '--json']);
    expect(json.stdout.trim().split('\n')).toHaveLength(1);
    const parsed = JSON.parse(json.stdout) as { mode: string; categories: { id: string; encryption: string; keyStorage: string }[] };
    expect(parsed.mode).toBe('standard');
    expect(parsed.categories.find((c) => c.id === 'mail')).toMatchObject({ encryption: 'in transit & on server', keyStorage: 'server' });

    const refused = await coffer(a, ['protection', 'enable-adp']);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/recovery key|recovery contact/);

    const rk = await coffer(a, ['recovery-key', 'create']);
    expect(rk.code).toBe(0);
    const key = rk.stdout.trim();
    expect(key).toMatch(/^([0-9A-Z]{4}-){6}[0-9A-Z]{4}$/);

    const on = await coffer(a, ['protection', 'enable-adp']);
    expect(on.code, on.stderr).toBe(0);
    expect(JSON.parse((await coffer(a, ['protection', 'status', '--json'])).stdout)).toMatchObject({ mode: 'advanced' });
    const again = await coffer(a, ['protection', 'enable-adp']);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toMatch(/already on/);

    // Join with the recovery key (no other device involved).
    // (signing in within the same command, on a brand-new $COFFER_HOME)
    const b = tempDir('coffer-cli4-home-');
    const joinB = await coffer(b, ['device', 'join', '--server', url, '--email', owner, '--password-stdin', '--recovery-key', key, '--name', 'phone B'], `${PASSWORD}\n`);
    expect(joinB.code, joinB.stderr).toBe(0);
    expect(joinB.stdout).toMatch(/joined/);
    const wrong = await newHome(owner, false);
    const badKey = await coffer(wrong, ['device', 'join', '--recovery-key', 'AAAA-AAAA-AAAA-AAAA-AAAA-AAAA-AAAA']);
    expect(badKey.code).not.toBe(0);
    expect(badKey.stderr).toMatch(/recovery key/);

    // Join by approval: the new device waits; the trusted device answers; both show one code.
    // Without a terminal, `devices approve` approves the only request once its code is shown.
    const c = await newHome(owner, false);
    const joining = startCoffer(['device', 'join', '--approval', '--name', 'tablet C', '--timeout', '60'], /code: (\d{6})/, { COFFER_HOME: c });
    await new Promise((r) => setTimeout(r, 1500));
    const approvedC = await coffer(a, ['devices', 'approve', '--wait', '20']);
    expect(approvedC.code, approvedC.stderr).toBe(0);
    const shownHere = /showing code (\d{6})/.exec(approvedC.stdout)?.[1];
    const { child, match } = await joining;
    expect(match[1]).toBe(shownHere);
    expect(await waitForExit(child)).toBe(0);

    // With --code, only the request showing that code is approved: a wrong code is refused.
    const e = await newHome(owner, false);
    const joiningE = startCoffer(['device', 'join', '--approval', '--name', 'watch E', '--timeout', '60'], /code: (\d{6})/, { COFFER_HOME: e });
    await new Promise((r) => setTimeout(r, 1500));
    const wrongCode = await coffer(a, ['devices', 'approve', '--code', '000000', '--wait', '5']);
    const { child: childE, match: matchE } = await joiningE;
    if (matchE[1] !== '000000') {
      expect(wrongCode.code).not.toBe(0);
      expect(wrongCode.stderr).toMatch(/no pending join request shows code 000000/);
      const rightCode = await coffer(a, ['devices', 'approve', '--code', matchE[1]!]);
      expect(rightCode.code, rightCode.stderr).toBe(0);
    }
    expect(await waitForExit(childE)).toBe(0);

    const devices = JSON.parse((await coffer(a, ['devices', 'list', '--json'])).stdout) as { devices: { id: string; name: string; current: boolean }[] };
    expect(devices.devices.map((d) => d.name).sort()).toEqual(['Coffer device', 'phone B', 'tablet C', 'watch E'].sort());
    const tablet = devices.devices.find((d) => d.name === 'tablet C')!;
    const removed = await coffer(a, ['devices', 'remove', tablet.id, '--lost']);
    expect(removed.code, removed.stderr).toBe(0);
    expect(removed.stdout).toMatch(/rotated the keychain key/);
    const afterRemoval = JSON.parse((await coffer(b, ['devices', 'list', '--json'])).stdout) as { devices: { name: string }[] };
    expect(afterRemoval.devices.map((d) => d.name)).not.toContain('tablet C');
    const selfRemove = await coffer(a, ['devices', 'remove', devices.devices.find((d) => d.current)!.id]);
    expect(selfRemove.code).not.toBe(0);

    // Passcode escrow: ten guesses; a wrong one says so.
    const set = await coffer(b, ['recovery-passcode', 'set', '--passcode-stdin'], '482915\n');
    expect(set.code, set.stderr).toBe(0);
    const d = await newHome(owner, false);
    const wrongPasscode = await coffer(d, ['device', 'join', '--passcode', '000000']);
    expect(wrongPasscode.code).not.toBe(0);
    expect(wrongPasscode.stderr).toMatch(/wrong passcode \(9 attempts left\)/);
    const rightPasscode = await coffer(d, ['device', 'join', '--passcode', '-'], '482915\n');
    expect(rightPasscode.code, rightPasscode.stderr).toBe(0);

    const off = await coffer(b, ['protection', 'disable-adp']);
    expect(off.code, off.stderr).toBe(0);
    expect(JSON.parse((await coffer(d, ['protection', 'status', '--json'])).stdout)).toMatchObject({ mode: 'standard' });
  });

  it('recovery contacts: add, accept, list, remove; join with a contact\'s code', async () => {
    const owner = email();
    const helper = email();
    const a = await newHome(owner, true);
    const h = await newHome(helper, true);
    const invited = await coffer(a, ['recovery-contact', 'add', '--email', helper]);
    expect(invited.code, invited.stderr).toBe(0);
    expect(invited.stdout).toMatch(/invited/);
    const accepted = await coffer(h, ['recovery-contact', 'accept']);
    expect(accepted.code, accepted.stderr).toBe(0);
    const sealed = await coffer(a, ['recovery-contact', 'add', '--email', helper]);
    expect(sealed.code, sealed.stderr).toBe(0);
    expect(sealed.stdout).toMatch(/1 of 1/);
    const list = JSON.parse((await coffer(a, ['recovery-contact', 'list', '--json'])).stdout) as { contacts: { contactEmail: string; state: string; hasShare: boolean }[]; threshold: number };
    expect(list.contacts).toEqual([expect.objectContaining({ contactEmail: helper, state: 'accepted', hasShare: true })]);
    expect(list.threshold).toBe(1);
    // With a contact, ADP is allowed.
    expect((await coffer(a, ['protection', 'enable-adp'])).code).toBe(0);

    const n = await newHome(owner, false);
    const joining = startCoffer(['device', 'join', '--contact', helper, '--timeout', '60'], /type it:/, { COFFER_HOME: n });
    const responding = startCoffer(['recovery-contact', 'respond', '--wait', '60'], /tell them the code (\d{6})/, { COFFER_HOME: h });
    const [{ child: newDevice }, { child: contact, match }] = await Promise.all([joining, responding]);
    newDevice.stdin.write(`${match[1]!}\n`);
    expect(await waitForExit(newDevice)).toBe(0);
    expect(await waitForExit(contact)).toBe(0);
    const devices = JSON.parse((await coffer(n, ['devices', 'list', '--json'])).stdout) as { devices: { current: boolean }[] };
    expect(devices.devices.some((d) => d.current)).toBe(true);

    const removed = await coffer(a, ['recovery-contact', 'remove', '--email', helper]);
    // Under ADP the last recovery method cannot go: refused, with the reason.
    expect(removed.code).not.toBe(0);
    expect(removed.stderr.length).toBeGreaterThan(0);
  });
});
