/**
 * The error-code registry, the docs and the server agree (fastify's errors.test.js
 * pattern): every code of packages/protocol is documented in docs/API.md with its
 * status, and the server maps internal failures onto it without leaking details.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ServerErrorCodes, type ServerErrorCode } from '@coffer/protocol';
import { toCloudError } from '../src/http/error-handler.js';

const apiDoc = readFileSync(new URL('../../../docs/API.md', import.meta.url), 'utf8');

describe('error registry', () => {
  it('has the 16 codes (14 of CloudKit, 2 of Coffer)', () => {
    expect(Object.keys(ServerErrorCodes)).toHaveLength(16);
  });

  for (const [code, status] of Object.entries(ServerErrorCodes) as [ServerErrorCode, number][]) {
    it(`docs/API.md lists ${code} with HTTP ${status}`, () => {
      expect(apiDoc).toMatch(new RegExp(`\\| \`${code}\` \\| ${status} \\|`));
    });
  }

  it('maps a transient database error to TRY_AGAIN_LATER with retryAfter, and anything unknown to INTERNAL_ERROR', () => {
    const busy = toCloudError(Object.assign(new Error('deadlock detected on relation "records"'), { code: '40P01' }));
    expect(busy.toEnvelope()).toMatchObject({ serverErrorCode: 'TRY_AGAIN_LATER', retryAfter: 1 });
    const bug = toCloudError(new TypeError('x is undefined: secret-body-text'));
    expect(bug.toEnvelope()).toMatchObject({ serverErrorCode: 'INTERNAL_ERROR' });
    expect(bug.reason).not.toContain('secret');
  });
});
