/** Join codes and the recovery-contact code exchange: vectors (scripts/generate-issue4-vectors.ts) and properties. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  codeExchangeFinish, codeExchangeRespond, codeExchangeStart, encodePublicIdentity, fromHex, generateDeviceIdentity,
  generateShortCode, joinCode, toHex, type CodeExchangeContext,
} from '@coffer/crypto';

interface JoinFile {
  joinCode: { publicIdentity: string; requestId: string; code: string };
  codeExchange: {
    code: string; ownerUserRecordName: string; requestId: string; newDevice: string; contactScalar: string; deviceScalar: string;
    contactMessage: string; deviceMessage: string; confirmation: string; sessionKey: string;
  };
}
const v = JSON.parse(readFileSync(new URL('./vectors/join-code.json', import.meta.url), 'utf8')) as JoinFile;

describe('join code', () => {
  it('matches the vector', () => {
    expect(joinCode(fromHex(v.joinCode.publicIdentity), v.joinCode.requestId)).toBe(v.joinCode.code);
  });

  it('is six digits and changes with the identity and the request', () => {
    const a = encodePublicIdentity(generateDeviceIdentity('a'));
    const b = encodePublicIdentity(generateDeviceIdentity('b'));
    const base = joinCode(a, 'r1');
    expect(base).toMatch(/^[0-9]{6}$/);
    expect(joinCode(a, 'r1')).toBe(base);
    // Each differs with probability 1 - 10^-6; both colliding at once would be a bug.
    expect([joinCode(b, 'r1'), joinCode(a, 'r2')].filter((c) => c === base).length).toBeLessThan(2);
    expect(() => joinCode(new Uint8Array(0), 'r')).toThrow(/required/);
  });

  it('generates uniformly shaped short codes', () => {
    const codes = new Set(Array.from({ length: 200 }, () => generateShortCode()));
    for (const c of codes) expect(c).toMatch(/^[0-9]{6}$/);
    expect(codes.size).toBeGreaterThan(190);
  });
});

describe('code exchange', () => {
  const x = v.codeExchange;
  const ctx: CodeExchangeContext = { ownerUserRecordName: x.ownerUserRecordName, requestId: x.requestId, newDevice: fromHex(x.newDevice) };

  it('matches the vector', () => {
    const started = codeExchangeStart(x.code, ctx, BigInt(`0x${x.contactScalar}`));
    expect(toHex(started.message)).toBe(x.contactMessage);
    const responded = codeExchangeRespond(x.code, ctx, started.message, BigInt(`0x${x.deviceScalar}`));
    expect(toHex(responded.message)).toBe(x.deviceMessage);
    expect(toHex(responded.confirmation)).toBe(x.confirmation);
    expect(toHex(responded.sessionKey)).toBe(x.sessionKey);
    const key = codeExchangeFinish(started, responded.message, responded.confirmation);
    expect(key === null ? null : toHex(key)).toBe(x.sessionKey);
  });

  it('agrees on the same code and context with random scalars', () => {
    const started = codeExchangeStart('000123', ctx);
    const responded = codeExchangeRespond('000123', ctx, started.message);
    expect(codeExchangeFinish(started, responded.message, responded.confirmation)).toEqual(responded.sessionKey);
  });

  it('fails on a wrong code, a substituted device or request, or a tampered message', () => {
    const started = codeExchangeStart('111111', ctx);
    expect(codeExchangeFinish(started, ...pair(codeExchangeRespond('111112', ctx, started.message)))).toBeNull();
    const other = encodePublicIdentity(generateDeviceIdentity('server-made'));
    expect(codeExchangeFinish(started, ...pair(codeExchangeRespond('111111', { ...ctx, newDevice: other }, started.message)))).toBeNull();
    expect(codeExchangeFinish(started, ...pair(codeExchangeRespond('111111', { ...ctx, requestId: 'other' }, started.message)))).toBeNull();
    const ok = codeExchangeRespond('111111', ctx, started.message);
    const badConfirm = ok.confirmation.slice();
    badConfirm[0]! ^= 1;
    expect(codeExchangeFinish(started, ok.message, badConfirm)).toBeNull();
    expect(codeExchangeFinish(started, new Uint8Array(32), ok.confirmation)).toBeNull();
    expect(() => codeExchangeRespond('111111', ctx, new Uint8Array(32))).toThrow(/invalid message/);
    expect(() => codeExchangeStart('12345', ctx)).toThrow(/six digits/);
  });
});

function pair(r: { message: Uint8Array; confirmation: Uint8Array }): [Uint8Array, Uint8Array] {
  return [r.message, r.confirmation];
}
