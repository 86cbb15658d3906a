/**
 * `<dataDir>/passcode-oprf.key`: 32 random bytes (hex), mode 0600, created on first start
 * with the same rules as the other server key files (auth/key-files.ts): never
 * overwritten, refused when group/other can read it, and its fingerprint pinned in the
 * database so a node with a missing or different file fails at startup instead of
 * silently making every enrolled passcode unopenable. The seed itself is NEVER stored in
 * the database — that is the whole point: a database dump alone allows no offline guessing.
 */
import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { ServerKeyIdsRepository } from '@coffer/storage';
import { loadKeyFile } from '../../auth/key-files.js';
import { seedOprf, type PasscodeOprf } from './oprf.js';

export const PASSCODE_OPRF_KEY_FILE = 'passcode-oprf.key';

/** One-way public id of the seed (domain-separated hash, truncated). */
export function passcodeKeyIdOf(seed: Uint8Array): string {
  return createHash('sha256').update('coffer/v1/passcode-oprf/key-id\u0000').update(seed).digest('hex').slice(0, 32);
}

export async function loadPasscodeOprf(deps: { dataDir: string; keyIds: ServerKeyIdsRepository; path?: string; now?: number }): Promise<PasscodeOprf> {
  const seed = await loadKeyFile<Uint8Array>(
    {
      name: 'passcode-oprf',
      path: deps.path ?? join(deps.dataDir, PASSCODE_OPRF_KEY_FILE),
      label: 'passcode OPRF key',
      create: () => `${randomBytes(32).toString('hex')}\n`,
      parse(contents) {
        const hex = contents.trim();
        if (!/^[0-9a-f]{64}$/.test(hex)) throw new Error('expected 64 hex characters');
        return new Uint8Array(Buffer.from(hex, 'hex'));
      },
      fingerprint: passcodeKeyIdOf,
    },
    deps.keyIds,
    deps.now ?? Date.now(),
  );
  return seedOprf(seed, passcodeKeyIdOf(seed));
}
