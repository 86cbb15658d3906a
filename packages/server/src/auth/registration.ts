/**
 * OPAQUE registration (RFC 9807 §5). The server answers the client's blinded request
 * with its OPRF evaluation, then stores the client's registration record — never a
 * password, never a password hash it could test guesses against without the OPAQUE
 * setup file. The OPAQUE user identifier is the normalised email.
 */
import * as opaque from '@serenity-kit/opaque';
import type { RegisterFinishRequest, RegisterStartRequest, RegisterStartResponse, SessionResponse } from '@coffer/protocol';
import type { AccountsRepository } from '@coffer/storage';
import { AuthError, badRequest } from './errors.js';
import type { AuthOptions } from './options.js';
import type { Sessions } from './sessions.js';
import type { Throttle } from './throttle.js';
import { newUserRecordName } from './tokens.js';

/** ristretto255 suite: a registration record is 192 bytes, i.e. 256 base64url chars. */
const REGISTRATION_RECORD_CHARS = 256;

export class Registration {
  constructor(
    private readonly deps: {
      serverSetup: string;
      accounts: AccountsRepository;
      sessions: Sessions;
      throttle: Throttle;
      options: AuthOptions;
      now: () => number;
    },
  ) {}

  async start(request: RegisterStartRequest, ip: string): Promise<RegisterStartResponse> {
    const { throttle, options, serverSetup } = this.deps;
    await throttle.consume(throttle.key('register:ip', ip), options.registerPerIp, 'registration attempts from this address');
    try {
      return opaque.server.createRegistrationResponse({
        serverSetup,
        userIdentifier: request.email,
        registrationRequest: request.registrationRequest,
      });
    } catch {
      throw badRequest('registrationRequest is not a valid OPAQUE registration request');
    }
  }

  async finish(request: RegisterFinishRequest): Promise<SessionResponse> {
    const { accounts, sessions, now } = this.deps;
    if (request.registrationRecord.length !== REGISTRATION_RECORD_CHARS || !isUsableRecord(this.deps.serverSetup, request.registrationRecord)) {
      throw badRequest('registrationRecord is not a valid OPAQUE registration record');
    }
    const userRecordName = newUserRecordName();
    const created = await accounts.create({
      userRecordName,
      email: request.email,
      opaqueRecord: request.registrationRecord,
      createdAt: now(),
    });
    // Registration necessarily tells whether an email is taken; sign-in does not (OPAQUE fake records).
    if (!created) throw new AuthError('EXISTS', 'an account with this email already exists');
    const { sessionToken } = await sessions.create(userRecordName);
    return { sessionToken, userRecordName };
  }
}

/**
 * Rejects a record the server could not use at sign-in (bad point encodings), now rather
 * than at the first login. A throwaway login start costs one OPRF blind, no key stretching.
 */
function isUsableRecord(serverSetup: string, record: string): boolean {
  try {
    const { startLoginRequest } = opaque.client.startLogin({ password: 'record-check' });
    opaque.server.startLogin({
      serverSetup,
      registrationRecord: record,
      startLoginRequest,
      userIdentifier: 'record-check',
    });
    return true;
  } catch {
    return false;
  }
}
