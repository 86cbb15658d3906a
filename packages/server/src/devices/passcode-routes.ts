/**
 * recovery/1/passcode/*: passcode escrow of the keychain key, hardened with the server's
 * OPRF (escrow/passcode). Order matters and is the point of this file:
 *  - evaluate spends an attempt BEFORE evaluating (a guess is paid for even if the
 *    connection drops); with none left the record is destroyed and nothing is evaluated;
 *  - open compares the proof in constant time; correct → the wrapped keychain key and the
 *    attempts back to 10; wrong with none left → the record is destroyed.
 * So at most 10 guesses ever reach the OPRF per enrollment, and the 11th fails forever.
 */
import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import {
  DeviceLimits,
  DevicePaths,
  PasscodeReasons,
  type DevicesOkResponse,
  type PasscodeEnrollStartResponse,
  type PasscodeEvaluateResponse,
  type PasscodeOpenResponse,
  type PasscodeStatusResponse,
} from '@coffer/protocol';
import { CloudError } from '../http/cloud-error.js';
import { HEX_ID, b64, decodeB64, only, str } from './body.js';
import { BodyLimits, route, type DevicesContext } from './context.js';
import { newId } from './ids.js';

const ELEMENT_BYTES = 32;
const VERIFIER_BYTES = 32;

const notEnrolled = () => new CloudError('NOT_FOUND', PasscodeReasons.passcodeNotEnrolled);
const exhausted = () => new CloudError('NOT_FOUND', PasscodeReasons.passcodeAttemptsExhausted);

export function registerPasscodeRoutes(scope: FastifyInstance, ctx: DevicesContext): void {
  const passcode = ctx.devices.passcode;

  function blindedOf(body: Record<string, unknown>): Uint8Array {
    const blinded = new Uint8Array(decodeB64(b64(body, 'blinded', ELEMENT_BYTES, ELEMENT_BYTES)));
    ctx.oprf.check(blinded);
    return blinded;
  }

  route(scope, 'POST', DevicePaths.passcodeEnrollStart, BodyLimits.small, async (user, body): Promise<PasscodeEnrollStartResponse> => {
    only(body, ['blinded']);
    const blinded = blindedOf(body);
    // A fresh enrollment id means a fresh OPRF key: this free evaluation says nothing about the active record.
    const enrollmentId = newId();
    await passcode.startEnrollment(user, enrollmentId, DeviceLimits.passcodeEnrollTtlMs);
    return { enrollmentId, evaluated: Buffer.from(ctx.oprf.evaluate(user, enrollmentId, blinded)).toString('base64') };
  });

  route(scope, 'POST', DevicePaths.passcodeEnrollFinish, BodyLimits.small, async (user, body): Promise<PasscodeStatusResponse> => {
    only(body, ['enrollmentId', 'wrappedKeychainKey', 'verifier']);
    const enrollmentId = str(body, 'enrollmentId', HEX_ID, 'the enrollmentId from passcode/enroll/start');
    const wrappedKeychainKey = b64(body, 'wrappedKeychainKey', 1, DeviceLimits.blobBytes);
    const verifier = b64(body, 'verifier', VERIFIER_BYTES, VERIFIER_BYTES);
    const attempts = DeviceLimits.passcodeAttempts;
    if (!(await passcode.finishEnrollment(user, enrollmentId, { wrappedKeychainKey, verifier, attempts }))) {
      throw new CloudError('NOT_FOUND', 'no pending passcode enrollment with that id (it expires after 10 minutes or was replaced); start again');
    }
    return { enrolled: true, attemptsLeft: attempts };
  });

  route(scope, 'POST', DevicePaths.passcodeEvaluate, BodyLimits.small, async (user, body): Promise<PasscodeEvaluateResponse> => {
    only(body, ['blinded']);
    const blinded = blindedOf(body); // malformed input is not a guess: checked before an attempt is spent
    const attempt = await passcode.spendAttempt(user);
    if (attempt.kind === 'none') throw notEnrolled();
    if (attempt.kind === 'exhausted') throw exhausted();
    const evaluated = ctx.oprf.evaluate(user, attempt.enrollmentId, blinded);
    return { evaluated: Buffer.from(evaluated).toString('base64'), attemptsLeft: attempt.attemptsLeft };
  });

  route(scope, 'POST', DevicePaths.passcodeOpen, BodyLimits.small, async (user, body): Promise<PasscodeOpenResponse> => {
    only(body, ['proof']);
    const proof = decodeB64(b64(body, 'proof', VERIFIER_BYTES, VERIFIER_BYTES));
    const record = await passcode.get(user);
    if (!record) throw notEnrolled();
    if (timingSafeEqual(proof, decodeB64(record.verifier))) {
      await passcode.resetAttempts(user, record.enrollmentId, DeviceLimits.passcodeAttempts);
      return { wrappedKeychainKey: record.wrappedKeychainKey };
    }
    if (record.attemptsLeft <= 0 && (await passcode.destroyIfExhausted(user, record.enrollmentId))) {
      throw new CloudError('ACCESS_DENIED', PasscodeReasons.passcodeAttemptsExhausted);
    }
    throw new CloudError('ACCESS_DENIED', PasscodeReasons.passcodeIncorrect);
  });

  route(scope, 'POST', DevicePaths.passcodeStatus, BodyLimits.small, async (user, body): Promise<PasscodeStatusResponse> => {
    only(body, []);
    const record = await passcode.get(user);
    return record ? { enrolled: true, attemptsLeft: record.attemptsLeft } : { enrolled: false };
  });

  route(scope, 'POST', DevicePaths.passcodeDelete, BodyLimits.small, async (user, body): Promise<DevicesOkResponse> => {
    only(body, []);
    if (!(await passcode.delete(user))) throw notEnrolled();
    return {};
  });
}
