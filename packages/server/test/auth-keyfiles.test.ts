/**
 * Server key files of the auth module (OPAQUE setup, at-rest key): created 0600 on a
 * fresh deployment, and a clear startup error — never a silent new key — when one is
 * missing, corrupt, too open, or belongs to another database.
 */
import { chmodSync, copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testBackends, type TestStore } from '@coffer/storage';
import { KeyFileError, registerAuth } from '../src/auth/index.js';

async function start(store: TestStore, dataDir = store.testDatabase.dataDir): Promise<void> {
  const app = Fastify();
  try {
    await registerAuth(app, { store, dataDir });
  } finally {
    await app.close();
  }
}

for (const backend of testBackends()) {
  describe(`auth key files (${backend.name})`, () => {
    let store: TestStore;
    let dir: string;
    const setupFile = () => join(dir, 'opaque-server-setup');
    const atRestFile = () => join(dir, 'auth-at-rest.key');
    let goodSetup: string;

    beforeAll(async () => {
      store = await backend.open();
      dir = store.testDatabase.dataDir;
      await start(store); // first start creates both files and records their ids
      goodSetup = readFileSync(setupFile(), 'utf8');
    });
    afterAll(async () => {
      await store.close();
    });

    it('a restart with the same files works', async () => {
      await expect(start(store)).resolves.toBeUndefined();
    });

    it('a missing OPAQUE setup on a used database is a clear startup error (no silent new setup)', async () => {
      rmSync(setupFile());
      const error = await start(store).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(KeyFileError);
      expect((error as Error).message).toMatch(/OPAQUE server setup file .*opaque-server-setup is missing.*restore the file/);
      writeFileSync(setupFile(), goodSetup, { mode: 0o600 });
    });

    it('a corrupt OPAQUE setup is refused (checksum), naming the file', async () => {
      const lines = goodSetup.split('\n');
      const setup = lines[1]!;
      const flipped = setup.slice(0, 50) + (setup[50] === 'A' ? 'B' : 'A') + setup.slice(51);
      writeFileSync(setupFile(), [lines[0], flipped, ...lines.slice(2)].join('\n'), { mode: 0o600 });
      await expect(start(store)).rejects.toThrow(/opaque-server-setup is corrupt \(checksum mismatch\)/);
      writeFileSync(setupFile(), 'garbage', { mode: 0o600 });
      await expect(start(store)).rejects.toThrow(/is corrupt/);
      writeFileSync(setupFile(), goodSetup, { mode: 0o600 });
    });

    it('another deployment\'s OPAQUE setup is refused as the wrong file', async () => {
      const otherDir = mkdtempSync(join(tmpdir(), 'coffer-other-'));
      const other = await backend.open();
      try {
        await start(other, otherDir);
        copyFileSync(join(otherDir, 'opaque-server-setup'), setupFile());
        await expect(start(store)).rejects.toThrow(/holds key .* but the database was set up with key .*wrong file/);
      } finally {
        await other.close();
        rmSync(otherDir, { recursive: true, force: true });
        writeFileSync(setupFile(), goodSetup, { mode: 0o600 });
      }
    });

    it('a key file readable by group/others is refused with the chmod to run', async () => {
      chmodSync(setupFile(), 0o644);
      await expect(start(store)).rejects.toThrow(/readable by group\/others \(mode 644\); run: chmod 600/);
      chmodSync(setupFile(), 0o600);
    });

    it('a missing at-rest key on a used database is refused too', async () => {
      const saved = readFileSync(atRestFile(), 'utf8');
      rmSync(atRestFile());
      await expect(start(store)).rejects.toThrow(/auth at-rest key file .* is missing/);
      writeFileSync(atRestFile(), saved, { mode: 0o600 });
      await expect(start(store)).resolves.toBeUndefined();
    });
  });
}
