/**
 * The OPAQUE server setup (its OPRF seed and long-term key pair), in
 * `<dataDir>/opaque-server-setup` (0600) — deliberately NOT in the database: with the
 * setup out of reach, a stolen database of registration records allows no offline
 * password guessing (RFC 9807 §10.6). Changing it invalidates every registration, hence
 * the fingerprint check of key-files.ts.
 *
 * File format (ours): a header line, the setup string (base64url, as the library emits
 * it) and a SHA-256 check line. The check matters: the library validates the key pair
 * when parsing but not the OPRF seed, and a flipped bit there would silently turn every
 * login into "wrong password".
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import * as opaque from '@serenity-kit/opaque';
import type { ServerKeyIdsRepository } from '@coffer/storage';
import { loadKeyFile } from './key-files.js';

const HEADER = 'coffer-opaque-server-setup-v1';

function check(setup: string): string {
  return createHash('sha256').update(`${HEADER}\n${setup}`).digest('hex');
}

export function formatOpaqueSetupFile(setup: string): string {
  return `${HEADER}\n${setup}\nsha256:${check(setup)}\n`;
}

export function parseOpaqueSetupFile(contents: string): string {
  const [header, setup, checkLine, ...rest] = contents.trimEnd().split('\n');
  if (header !== HEADER || setup === undefined || checkLine === undefined || rest.length > 0) {
    throw new Error(`expected "${HEADER}", the setup and a sha256 line`);
  }
  if (checkLine !== `sha256:${check(setup)}`) throw new Error('checksum mismatch');
  opaque.server.getPublicKey(setup); // throws on a malformed key pair
  return setup;
}

export async function loadOpaqueSetup(dataDir: string, keyIds: ServerKeyIdsRepository, now: number): Promise<string> {
  await opaque.ready;
  return loadKeyFile<string>(
    {
      name: 'opaque-setup',
      path: join(dataDir, 'opaque-server-setup'),
      label: 'OPAQUE server setup',
      create: () => formatOpaqueSetupFile(opaque.server.createSetup()),
      parse: parseOpaqueSetupFile,
      // The server's static public key: public by design (clients may pin it).
      fingerprint: (setup) => opaque.server.getPublicKey(setup),
    },
    keyIds,
    now,
  );
}
