/**
 * OPAQUE sign-in (RFC 9807 §6) plus the TOTP second factor.
 *
 * - start: the server answers with its OPAQUE login response and keeps its login state,
 *   sealed, in the database under SHA-256(loginId) for a few minutes (so finish may land
 *   on another node). For an unknown email the library answers from a fake record
 *   (registrationRecord = null), indistinguishable to the client: no user enumeration.
 * - Throttling counts *starts*: an OPAQUE client learns whether its password guess was
 *   right from the start response alone (it can't complete finish otherwise), so counting
 *   only failed finishes would not slow an online guesser at all.
 * - finish: verifies the client's key-confirmation MAC, then the TOTP code if the account
 *   has one. A missing/wrong TOTP code keeps the login state (the client may retry the
 *   same loginId with a code until it expires); wrong codes count toward a per-account
 *   TOTP throttle. A success consumes the state exactly once, even across nodes.
 */
import * as opaque from '@serenity-kit/opaque';
import type { LoginFinishRequest, LoginStartRequest, LoginStartResponse, SessionResponse } from '@coffer/protocol';
import type { AccountsRepository, LoginStatesRepository } from '@coffer/storage';
import type { AtRestSealer } from './at-rest.js';
import { authenticationFailed, badRequest } from './errors.js';
import type { AuthOptions } from './options.js';
import type { Sessions } from './sessions.js';
import type { Throttle } from './throttle.js';
import { hashToken, isWellFormedToken, newToken } from './tokens.js';
import type { Totp } from './totp-service.js';

export interface LoginDeps {
  serverSetup: string;
  accounts: AccountsRepository;
  loginStates: LoginStatesRepository;
  sessions: Sessions;
  throttle: Throttle;
  totp: Totp;
  sealer: AtRestSealer;
  options: AuthOptions;
  now: () => number;
}

const textDecoder = new TextDecoder();
const textEncoder = new TextEncoder();

export class Login {
  constructor(private readonly deps: LoginDeps) {}

  private accountKey(email: string): string {
    return this.deps.throttle.key('login:acct', email);
  }

  async start(request: LoginStartRequest, ip: string): Promise<LoginStartResponse> {
    const { throttle, options, accounts, loginStates, sealer, serverSetup, now } = this.deps;
    // Same counting for known and unknown emails, so throttling reveals nothing either.
    await throttle.consume(throttle.key('login:ip', ip), options.loginPerIp, 'sign-in attempts from this address');
    await throttle.consume(this.accountKey(request.email), options.loginPerAccount, 'sign-in attempts for this account');

    const account = await accounts.findByEmail(request.email);
    let result: { serverLoginState: string; loginResponse: string };
    try {
      result = opaque.server.startLogin({
        serverSetup,
        registrationRecord: account?.opaqueRecord ?? null,
        startLoginRequest: request.startLoginRequest,
        userIdentifier: request.email,
      });
    } catch {
      throw badRequest('startLoginRequest is not a valid OPAQUE login request');
    }

    const loginId = newToken();
    const idHash = hashToken(loginId);
    const time = now();
    await loginStates.deleteExpired(time);
    await loginStates.put({
      idHash,
      email: request.email,
      userRecordName: account?.userRecordName ?? null,
      state: sealer.seal(textEncoder.encode(result.serverLoginState), `login:${idHash}`),
      expiresAt: time + options.loginStateTtlMs,
    });
    return { loginId, loginResponse: result.loginResponse };
  }

  async finish(request: LoginFinishRequest, ip: string): Promise<SessionResponse> {
    const { throttle, options, accounts, loginStates, sessions, sealer, totp, now } = this.deps;
    await throttle.check(throttle.key('login:ip', ip), options.loginPerIp, 'sign-in attempts from this address');
    if (!isWellFormedToken(request.loginId)) throw authenticationFailed('unknown or expired loginId; start the sign-in again');

    const idHash = hashToken(request.loginId);
    const pending = await loginStates.find(idHash, now());
    if (!pending) throw authenticationFailed('unknown or expired loginId; start the sign-in again');

    try {
      // A state that does not unseal (row tampered with, or another at-rest key) fails like a wrong proof.
      const serverLoginState = textDecoder.decode(sealer.open(pending.state, `login:${idHash}`));
      opaque.server.finishLogin({ serverLoginState, finishLoginRequest: request.finishLoginRequest });
    } catch {
      // One failed proof burns the state: no repeated tries against one server nonce.
      await loginStates.consume(idHash);
      throw authenticationFailed('email or password is incorrect');
    }

    const account = pending.userRecordName === null ? null : await accounts.findByRecordName(pending.userRecordName);
    // Unreachable with a fake record (finish fails above); also covers an account deleted meanwhile.
    if (!account) throw authenticationFailed('email or password is incorrect');

    await totp.verifyAtLogin(account, request.totpCode);

    if (!(await loginStates.consume(idHash))) {
      throw authenticationFailed('this sign-in was already completed; start again');
    }
    // A successful sign-in clears the account's counter and takes its start back from the
    // address's, so the per-IP limit counts only attempts that did not end in a sign-in.
    await throttle.reset(this.accountKey(pending.email));
    await throttle.undo(throttle.key('login:ip', ip));
    const { sessionToken } = await sessions.create(account.userRecordName);
    return { sessionToken, userRecordName: account.userRecordName };
  }
}
