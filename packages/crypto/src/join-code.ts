/**
 * Short codes people compare or type (docs/PROTOCOL.md "Devices and recovery formats").
 *
 * **Join code** (joining by approval, commit-reveal): six digits both the new device and
 * the approving device derive from the new device's public identity, the request id and
 * both devices' nonces. The new device commits to its nonce in its request, the approving
 * device answers with its own nonce (an HMAC of the request id under its signing key, so
 * it can recompute it later and the server cannot choose it), and only then does the new
 * device reveal its nonce. A server relaying all three must commit to any identity it
 * substitutes before it sees the other side's nonce, so it cannot grind a matching code:
 * one chance in 10^6 per attempt.
 *
 * **Code exchange** (recovery contacts): the contact's device makes a random six-digit
 * code and shows it to the contact, who tells it to the user; the user types it on the
 * new device. The two devices run a CPace-style balanced PAKE over ristretto255 keyed by
 * the code and bound to the request (owner, request id, new device identity): the server
 * relaying the messages learns nothing to test codes against offline and gets one online
 * guess per exchange. Only after the new device's confirmation verifies does the
 * contact's device release its share, sealed to the identity bound in the exchange.
 */
import { ristretto255, ristretto255_hasher } from '@noble/curves/ed25519.js';
import { hkdfSha256, hmacSha256, sha256 } from '#primitives';
import { constantTimeEqual, randomBytes, utf8Encode } from './bytes.js';
import { ByteWriter, framed } from './encoding.js';
import { FormatError } from './errors.js';

export const JoinCodeLabels = {
  /** Hash input prefix: the new device's nonce commitment. */
  commitment: 'coffer/v1/join/commitment',
  /** HMAC input prefix: the approving device's nonce for a request. */
  approverNonce: 'coffer/v1/join/approver-nonce',
  /** Hash input prefix: the six-digit join code. */
  code: 'coffer/v1/join/code',
  /** hash-to-curve DST: the code exchange generator. */
  exchangeGenerator: 'coffer/v1/contact-code/generator',
  /** hash-to-scalar DST: exchange secrets. */
  exchangeScalar: 'coffer/v1/contact-code/scalar',
  /** HKDF info prefix: exchange keys. */
  exchangeKey: 'coffer/v1/contact-code/key',
  /** HMAC input: the responder's confirmation. */
  exchangeConfirm: 'coffer/v1/contact-code/confirm',
} as const;

/** Six decimal digits from the first 8 bytes of a hash (bias < 2^-43). */
function sixDigits(hash: Uint8Array): string {
  let v = 0n;
  for (let i = 0; i < 8; i++) v = (v << 8n) | BigInt(hash[i]!);
  return (v % 1_000_000n).toString().padStart(6, '0');
}

/** A fresh uniformly random six-digit code (rejection sampling). */
export function generateShortCode(): string {
  for (;;) {
    const b = randomBytes(4);
    const v = ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
    if (v < 4_294_000_000) return (v % 1_000_000).toString().padStart(6, '0');
  }
}

export const JOIN_NONCE_LENGTH = 32;

/** A fresh join nonce for the new device (32 bytes). */
export function generateJoinNonce(): Uint8Array {
  return randomBytes(JOIN_NONCE_LENGTH);
}

function checkNonce(n: Uint8Array, what: string): void {
  if (n.length !== JOIN_NONCE_LENGTH) throw new FormatError(`join code: ${what} must be ${JOIN_NONCE_LENGTH} bytes`);
}

/** The new device's commitment to its nonce: SHA-256(lp(label) ‖ lp(public identity v1) ‖ lp(nonce)). */
export function joinCommitment(publicIdentity: Uint8Array, deviceNonce: Uint8Array): Uint8Array {
  checkNonce(deviceNonce, 'device nonce');
  return sha256(framed(JoinCodeLabels.commitment, publicIdentity, deviceNonce));
}

/** True when `deviceNonce` opens `commitment` for `publicIdentity` (constant time). */
export function checkJoinCommitment(publicIdentity: Uint8Array, deviceNonce: Uint8Array, commitment: Uint8Array): boolean {
  if (deviceNonce.length !== JOIN_NONCE_LENGTH || commitment.length !== 32) return false;
  return constantTimeEqual(joinCommitment(publicIdentity, deviceNonce), commitment);
}

/**
 * The approving device's nonce for a request: HMAC-SHA-256(device secret,
 * lp("coffer/v1/join/approver-nonce") ‖ lp(request id)). Deterministic, so the device can
 * recompute it in a later run and recognise a nonce it did not post.
 */
export function joinApproverNonce(deviceSecret: Uint8Array, requestId: string): Uint8Array {
  if (deviceSecret.length < 32) throw new FormatError('join code: device secret must be at least 32 bytes');
  return hmacSha256(deviceSecret, framed(JoinCodeLabels.approverNonce, requestId));
}

/**
 * The six-digit join code: the first 8 bytes of SHA-256(lp("coffer/v1/join/code") ‖
 * lp(public identity v1) ‖ lp(request id) ‖ lp(device nonce) ‖ lp(approver nonce)) as a
 * big-endian integer, mod 10^6, zero-padded.
 */
export function joinCode(publicIdentity: Uint8Array, requestId: string, deviceNonce: Uint8Array, approverNonce: Uint8Array): string {
  checkNonce(deviceNonce, 'device nonce');
  checkNonce(approverNonce, 'approver nonce');
  if (publicIdentity.length === 0 || requestId.length === 0) throw new FormatError('join code: identity and request id are required');
  return sixDigits(sha256(framed(JoinCodeLabels.code, publicIdentity, requestId, deviceNonce, approverNonce)));
}

// ── Code exchange (CPace-style) ─────────────────────────────────────────────────

/** What both sides bind the exchange to. */
export interface CodeExchangeContext {
  /** The account being recovered. */
  readonly ownerUserRecordName: string;
  readonly requestId: string;
  /** The recovering device's public identity v1 bytes. */
  readonly newDevice: Uint8Array;
}

/** The contact side's secret state between its first message and the confirmation. */
export interface CodeExchangeState {
  readonly scalar: bigint;
  /** Our message (32 bytes). */
  readonly message: Uint8Array;
}

const Point = ristretto255.Point;
type RPoint = ReturnType<typeof Point.fromBytes>;

function checkCode(code: string): void {
  if (!/^[0-9]{6}$/.test(code)) throw new FormatError('code: six digits expected');
}

function generator(code: string, ctx: CodeExchangeContext): RPoint {
  checkCode(code);
  const msg = framed(code, ctx.ownerUserRecordName, ctx.requestId, ctx.newDevice);
  return ristretto255_hasher.hashToCurve(msg, { DST: JoinCodeLabels.exchangeGenerator });
}

function randomScalar(): bigint {
  for (;;) {
    const s = ristretto255_hasher.hashToScalar(randomBytes(64), { DST: JoinCodeLabels.exchangeScalar });
    if (s !== 0n) return s;
  }
}

function decodePoint(bytes: Uint8Array): RPoint | undefined {
  if (bytes.length !== 32) return undefined;
  try {
    const p = Point.fromBytes(bytes);
    return p.is0() ? undefined : p;
  } catch {
    return undefined;
  }
}

function exchangeKeys(shared: RPoint, initiator: Uint8Array, responder: Uint8Array): { confirmKey: Uint8Array; sessionKey: Uint8Array } {
  const info = new ByteWriter(128).bytes(framed(JoinCodeLabels.exchangeKey, initiator, responder)).finish();
  const okm = hkdfSha256(shared.toBytes(), new Uint8Array(0), info, 64);
  return { confirmKey: okm.slice(0, 32), sessionKey: okm.slice(32) };
}

/** Contact side, step 1: a secret scalar and the 32-byte message to send. */
export function codeExchangeStart(code: string, ctx: CodeExchangeContext, scalar: bigint = randomScalar()): CodeExchangeState {
  const message = generator(code, ctx).multiply(scalar).toBytes();
  return Object.freeze({ scalar, message });
}

/**
 * New device: answers the contact's message with its own and a confirmation tag, and
 * gets the session key.
 * @throws {@link FormatError} if the peer message is not a valid non-identity ristretto255 point.
 */
export function codeExchangeRespond(
  code: string, ctx: CodeExchangeContext, initiatorMessage: Uint8Array, scalar: bigint = randomScalar(),
): { message: Uint8Array; confirmation: Uint8Array; sessionKey: Uint8Array } {
  const peer = decodePoint(initiatorMessage);
  if (peer === undefined) throw new FormatError('code exchange: invalid message');
  const message = generator(code, ctx).multiply(scalar).toBytes();
  const keys = exchangeKeys(peer.multiply(scalar), initiatorMessage, message);
  return { message, confirmation: hmacSha256(keys.confirmKey, utf8Encode(JoinCodeLabels.exchangeConfirm)), sessionKey: keys.sessionKey };
}

/**
 * Contact side, step 2: checks the new device's confirmation. Returns the session key,
 * or null when the code (or the bound context) differs — the caller must then count a
 * failed attempt.
 */
export function codeExchangeFinish(
  state: CodeExchangeState, responderMessage: Uint8Array, confirmation: Uint8Array,
): Uint8Array | null {
  const peer = decodePoint(responderMessage);
  if (peer === undefined || confirmation.length !== 32) return null;
  const keys = exchangeKeys(peer.multiply(state.scalar), state.message, responderMessage);
  const expected = hmacSha256(keys.confirmKey, utf8Encode(JoinCodeLabels.exchangeConfirm));
  return constantTimeEqual(expected, confirmation) ? keys.sessionKey : null;
}
