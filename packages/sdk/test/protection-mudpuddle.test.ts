/**
 * The mud-puddle test: every device lost (and the recovery key with them), the user signs
 * in again on a new device. Under Standard the data comes back through escrow; under ADP
 * nothing is recoverable — and a thief holding everything the server has (database and
 * data directory, including the escrow and OPRF key files) decrypts no record.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromBase64, Labels, openSealedKey, unwrapKey, type SymmetricKey } from '@coffer/crypto';
import { KeyUnavailableError } from '../src/index.js';
import { account, readSecret, signedIn, sqliteExec, sqliteStrings, startHarness, writeSecret, type Harness } from './devices-harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? files(join(dir, n)) : [join(dir, n)]));
}

/**
 * The thief: every key the server's own state yields. Opens every sealed blob in the
 * database with the escrow private key from the data dir (any kind), then unwraps every
 * wrapped-key blob with every key found, until nothing new opens. Returns the record keys
 * it reached (by their wrapped blobs) and every key it holds.
 */
async function thief(h: Harness): Promise<{ keys: SymmetricKey[]; blobs: Uint8Array[] }> {
  const escrowFile = readFileSync(join(h.dataDir, 'escrow.key'), 'utf8');
  const privateKey = fromBase64(/private:(\S+)/.exec(escrowFile)![1]!);
  const strings = await sqliteStrings(h.sqliteFile);
  // Every base64 blob anywhere in the database, also inside JSON (zone keys, protectionInfo).
  const candidates = new Set<string>();
  for (const s of strings) {
    for (const m of s.matchAll(/[A-Za-z0-9+/]{40,}={0,2}/g)) candidates.add(m[0]);
  }
  const blobs = [...candidates].map((c) => {
    try {
      return fromBase64(c);
    } catch {
      return new Uint8Array(0);
    }
  });
  const keys: SymmetricKey[] = [];
  for (const blob of blobs.filter((b) => b.length === 102)) {
    for (const purpose of [Labels.escrow]) {
      try {
        keys.push(await openSealedKey(privateKey, blob, purpose));
      } catch {
        // not sealed to the escrow key
      }
    }
  }
  let grew = true;
  const wrapped = blobs.filter((b) => b.length === 103);
  while (grew) {
    grew = false;
    for (const blob of wrapped) {
      for (const parent of [...keys]) {
        for (const kind of ['service', 'zone', 'record', 'asset'] as const) {
          try {
            const child = unwrapKey(parent, blob, kind);
            if (!keys.some((k) => k.id === child.id && k.version === child.version && k.kind === child.kind)) {
              keys.push(child);
              grew = true;
            }
          } catch {
            // wrong parent
          }
        }
      }
    }
  }
  return { keys, blobs };
}

describe('mud puddle', () => {
  it('Standard: all devices lost; after signing in, the data comes back (escrow), and the server itself could read it', async () => {
    const { client: lost, email } = await account(h.url, 'lost phone');
    const where = await writeSecret(lost, 'standard mud puddle secret');
    // Everything on the device is gone; only the password remains.
    const fresh = await signedIn(h.url, email, 'new phone');
    expect(await fresh.devices.isTrusted()).toBe(false);
    expect(await readSecret(fresh, where)).toBe('standard mud puddle secret');
    // Positive control for the thief below: under Standard, server state alone reaches record keys.
    const { keys } = await thief(h);
    expect(keys.some((k) => k.kind === 'record')).toBe(true);
  });

  it('ADP without a recovery method left: nothing is recoverable, and server state alone decrypts no record', async () => {
    const { client: lost, email } = await account(h.url, 'lost phone');
    await lost.recovery.createRecoveryKey(); // …and then lost with the phone
    const before = await writeSecret(lost, 'ADP secret written before ADP');
    await lost.protection.enableAdp();
    const after = await writeSecret(lost, 'ADP secret written under ADP');
    const fresh = await signedIn(h.url, email, 'new phone');
    await expect(readSecret(fresh, after)).rejects.toBeInstanceOf(KeyUnavailableError);
    await expect(readSecret(fresh, before)).rejects.toBeInstanceOf(KeyUnavailableError);
    await expect(fresh.devices.pendingJoins()).rejects.toMatchObject({ code: 'NOT_TRUSTED' });
    await expect(fresh.recovery.joinWithPasscode('123456')).rejects.toThrow(/no passcode escrow/);

    // The thief with everything the server has: no key of this account's records.
    const { keys } = await thief(h);
    const recordKeys = keys.filter((k) => k.kind === 'record');
    const { inspectWrappedKey } = await import('@coffer/crypto');
    const ours = async (where: { recordName: string }): Promise<string> => {
      const rows = await sqliteExec<{ protection: string }>(h.sqliteFile, 'select protection from records where record_name = ?', where.recordName);
      const info = JSON.parse(rows[0]!.protection) as { wrappedRecordKey: string };
      return inspectWrappedKey(fromBase64(info.wrappedRecordKey)).childId;
    };
    for (const where of [before, after]) {
      const id = await ours(where);
      expect(id).toMatch(/^[0-9a-f]{32}$/);
      expect(recordKeys.some((k) => k.id === id)).toBe(false);
    }
    // And the plaintext is nowhere in the database or the data directory.
    const everything = files(h.dataDir).map((f) => readFileSync(f).toString('latin1')).join('\n');
    for (const secret of ['ADP secret written before ADP', 'ADP secret written under ADP']) {
      expect(everything.includes(secret)).toBe(false);
      expect(everything.includes(Buffer.from(secret).toString('base64').slice(0, 24))).toBe(false);
    }
  });
});
