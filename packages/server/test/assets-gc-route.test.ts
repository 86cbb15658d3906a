/**
 * POST …/private/assets/gc through the real server: a signed-in owner gets a run's result;
 * no credentials, a bad token, another database and a malformed body get the CloudKit
 * envelope with their codes. Both backends.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testBackends } from '@coffer/storage';
import { envelopeOf, openHarness, type Harness } from './record-harness.js';

for (const backend of testBackends()) {
  describe(`assets/gc route (${backend.name})`, () => {
    let h: Harness;
    beforeAll(async () => {
      h = await openHarness(backend);
    });
    afterAll(async () => {
      await h.close();
    });

    it('runs a collection for a signed-in owner and reports what it freed', async () => {
      const result = await h.ok<{ deletedChunks: number; freedBytes: number }>('assets/gc', {});
      expect(result).toEqual({ deletedChunks: expect.any(Number) as number, freedBytes: expect.any(Number) as number });
    });

    it('refuses a request without credentials (AUTHENTICATION_REQUIRED) or with a bad token (AUTHENTICATION_FAILED)', async () => {
      const anonymous = await h.call('assets/gc', {}, { user: null });
      expect([anonymous.statusCode, envelopeOf(anonymous).serverErrorCode]).toEqual([421, 'AUTHENTICATION_REQUIRED']);
      const forged = await h.call('assets/gc', {}, { user: { token: 'not-a-session', userRecordName: '_nobody' } });
      expect([forged.statusCode, envelopeOf(forged).serverErrorCode]).toEqual([401, 'AUTHENTICATION_FAILED']);
    });

    it('refuses the public database and a malformed body with BAD_REQUEST', async () => {
      const pub = await h.call('assets/gc', {}, { database: 'public' });
      expect([pub.statusCode, envelopeOf(pub).serverErrorCode]).toEqual([400, 'BAD_REQUEST']);
      const malformed = await h.call('assets/gc', undefined, { raw: '{"not json' });
      expect([malformed.statusCode, envelopeOf(malformed).serverErrorCode]).toEqual([400, 'BAD_REQUEST']);
    });
  });
}
