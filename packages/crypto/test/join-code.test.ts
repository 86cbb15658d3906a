/** Join codes and the recovery-contact code exchange: vectors (scripts/generate-issue4-vectors.ts) and properties. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  checkJoinCommitment, codeExchangeFinish, codeExchangeRespond, codeExchangeStart, encodePublicIdentity, fromHex,
  generateDeviceIdentity, generateJoinNonce, generateShortCode, joinApproverNonce, joinCode, joinCommitment, randomBytes, toHex,
  type CodeExchangeContext,
} from '@coffer/crypto';

interface JoinFile {
  joinCode: { publicIdentity: string; requestId: string; deviceNonce: string; commitment: string; approverSecret: string; approverNonce: string; code: string };
  codeExchange: {
    code: string; ownerUserRecordName: string; requestId: string; newDevice: string; contactScalar: string; deviceScalar: string;
    contactMessage: string; deviceMessage: string; confirmation: string; sessionKey: string;
  };
}
const v = JSON.parse(readFileSync(new URL('./vectors/join-code.json', import.meta.url), 'utf8')) as JoinFile;

describe('join code (commit-reveal)', () => {
  it('matches the vector', () => {
    const j = v.joinCode;
    const identity = fromHex(j.publicIdentity);
    expect(toHex(joinCommitment(identity, fromHex(j.deviceNonce)))).toBe(j.commitment);
    expect(checkJoinCommitment(identity, fromHex(j.deviceNonce), fromHex(j.commitment))).toBe(true);
    expect(toHex(joinApproverNonce(fromHex(j.approverSecret), j.requestId))).toBe(j.approverNonce);
    expect(joinCode(identity, j.requestId, fromHex(j.deviceNonce), fromHex(j.approverNonce))).toBe(j.code);
  });

  it('is six digits and changes with every input', () => {
    const a = encodePublicIdentity(generateDeviceIdentity('a'));
    const b = encodePublicIdentity(generateDeviceIdentity('b'));
    const n1 = generateJoinNonce();
    const n2 = generateJoinNonce();
    const base = joinCode(a, 'r1', n1, n2);
    expect(base).toMatch(/^[0-9]{6}$/);
    expect(joinCode(a, 'r1', n1, n2)).toBe(base);
    const variants = [joinCode(b, 'r1', n1, n2), joinCode(a, 'r2', n1, n2), joinCode(a, 'r1', n2, n1)];
    // Each differs with probability 1 - 10^-6; all three colliding would be a bug.
    expect(variants.filter((c) => c === base).length).toBeLessThan(3);
  });

  it('refuses a nonce that does not open the commitment, another identity, or short nonces', () => {
    const a = encodePublicIdentity(generateDeviceIdentity('a'));
    const b = encodePublicIdentity(generateDeviceIdentity('b'));
    const n = generateJoinNonce();
    const c = joinCommitment(a, n);
    expect(checkJoinCommitment(a, generateJoinNonce(), c)).toBe(false);
    expect(checkJoinCommitment(b, n, c)).toBe(false);
    expect(checkJoinCommitment(a, n.subarray(1), c)).toBe(false);
    expect(() => joinCode(a, 'r', n.subarray(1), n)).toThrow(/device nonce/);
    expect(() => joinApproverNonce(new Uint8Array(8), 'r')).toThrow(/secret/);
  });

  it('the approver nonce is per device and per request', () => {
    const s = randomBytes(32);
    expect(joinApproverNonce(s, 'r1')).toEqual(joinApproverNonce(s, 'r1'));
    expect(joinApproverNonce(s, 'r1')).not.toEqual(joinApproverNonce(s, 'r2'));
    expect(joinApproverNonce(randomBytes(32), 'r1')).not.toEqual(joinApproverNonce(s, 'r1'));
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
