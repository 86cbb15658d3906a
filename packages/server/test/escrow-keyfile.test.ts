/**
 * The escrow key file: created 0600 on first start, served as GET /escrow/1/public-key,
 * stable across restarts, and a clear startup error when missing (on a database that
 * already used it), corrupt, mismatched, too open, or from another deployment.
 */
import { chmodSync, copyFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { fromBase64, generateX25519KeyPair, toBase64 } from '@coffer/crypto';
import type { EscrowPublicKeyResponse } from '@coffer/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testBackends, type TestStore } from '@coffer/storage';
import { KeyFileError } from '../src/auth/index.js';
import { createEscrow, escrowKeyIdOf, registerEscrowRoutes, ESCROW_PUBLIC_KEY_PATH } from '../src/escrow/index.js';

for (const backend of testBackends()) {
  describe(`escrow key file (${backend.name})`, () => {
    let store: TestStore;
    let dir: string;
    let keyFile: string;
    let good: string;
    let keyId: string;

    beforeAll(async () => {
      store = await backend.open();
      dir = mkdtempSync(join(tmpdir(), 'coffer-escrow-key-'));
      keyFile = join(dir, 'escrow.key');
      keyId = (await createEscrow({ dataDir: dir, store })).keyId;
      good = readFileSync(keyFile, 'utf8');
    });
    afterAll(async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    });

    const startError = () => createEscrow({ dataDir: dir, store }).then(() => null, (e: unknown) => e as Error);
    const restore = () => {
      writeFileSync(keyFile, good, { mode: 0o600 });
    };

    it('is created with mode 0600 and the same key is loaded on restart', async () => {
      expect(statSync(keyFile).mode & 0o777).toBe(0o600);
      expect(good).toMatch(/^coffer-escrow-key-v1\npublic:[A-Za-z0-9+/=]{44}\nprivate:[A-Za-z0-9+/=]{44}\n$/);
      const again = await createEscrow({ dataDir: dir, store });
      expect(again.keyId).toBe(keyId);
    });

    it('serves its public key at GET /escrow/1/public-key', async () => {
      const escrow = await createEscrow({ dataDir: dir, store });
      const app = Fastify();
      registerEscrowRoutes(app, escrow);
      const response = await app.inject({ method: 'GET', url: ESCROW_PUBLIC_KEY_PATH });
      await app.close();
      expect(response.statusCode).toBe(200);
      const body = response.json<EscrowPublicKeyResponse>();
      expect(body.keyId).toBe(keyId);
      expect(fromBase64(body.publicKey)).toHaveLength(32);
      expect(escrowKeyIdOf(fromBase64(body.publicKey))).toBe(keyId);
      // Only the public half: the private line never leaves the file.
      expect(response.body).not.toContain(good.split('\n')[2]!.slice('private:'.length));
    });

    it('missing on a database that already used it: a clear startup error, no silent new key', async () => {
      rmSync(keyFile);
      const error = await startError();
      expect(error).toBeInstanceOf(KeyFileError);
      expect(error?.message).toMatch(/escrow key file .*escrow\.key is missing, but the database was set up with key [0-9a-f]{32}; restore the file/);
      restore();
    });

    it('corrupt (bad header, bad base64, wrong length): a clear startup error naming the file', async () => {
      for (const contents of ['garbage', good.replace('public:', 'pub:'), good.replace(/private:.*\n/, 'private:AAAA\n'), good.replace(/public:(.)/, 'public:!')]) {
        writeFileSync(keyFile, contents, { mode: 0o600 });
        const error = await startError();
        expect(error).toBeInstanceOf(KeyFileError);
        expect(error?.message).toMatch(/escrow key file .*escrow\.key is corrupt/);
      }
      restore();
    });

    it('a private key that does not match the public key fails the self-test', async () => {
      const stranger = generateX25519KeyPair();
      writeFileSync(keyFile, good.replace(/private:.*\n/, `private:${toBase64(stranger.privateKey)}\n`), { mode: 0o600 });
      const error = await startError();
      expect(error?.message).toMatch(/is corrupt \(its private key does not match its public key\)/);
      restore();
    });

    it('a key file from another deployment is refused as the wrong file', async () => {
      const stranger = generateX25519KeyPair();
      writeFileSync(keyFile, `coffer-escrow-key-v1\npublic:${toBase64(stranger.publicKey)}\nprivate:${toBase64(stranger.privateKey)}\n`, { mode: 0o600 });
      expect((await startError())?.message).toMatch(/holds key [0-9a-f]{32}, but the database was set up with key [0-9a-f]{32}; this is the wrong file/);
      restore();
    });

    it('refuses a key file readable by group/others', async () => {
      chmodSync(keyFile, 0o640);
      expect((await startError())?.message).toMatch(/readable by group\/others \(mode 640\); run: chmod 600/);
      chmodSync(keyFile, 0o600);
    });

    it('takes a configurable path (e.g. a mounted secret), created on a fresh database', async () => {
      const other = await backend.open();
      const customDir = mkdtempSync(join(tmpdir(), 'coffer-escrow-custom-'));
      try {
        const custom = join(customDir, 'secrets', 'my-escrow.key');
        const escrow = await createEscrow({ dataDir: dir, store: other, keyPath: custom });
        expect(statSync(custom).mode & 0o777).toBe(0o600);
        copyFileSync(custom, join(customDir, 'copy.key'));
        expect((await createEscrow({ dataDir: dir, store: other, keyPath: join(customDir, 'copy.key') })).keyId).toBe(escrow.keyId);
      } finally {
        await other.close();
        rmSync(customDir, { recursive: true, force: true });
      }
    });
  });
}
