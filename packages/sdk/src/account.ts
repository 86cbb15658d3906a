/**
 * Account flows over OPAQUE (RFC 9807, via @serenity-kit/opaque): the password never
 * leaves the device, not even hashed — the server stores an OPAQUE registration record
 * and learns nothing it could test password guesses against without its setup file.
 * Sessions are bearer tokens.
 */
import {
  AuthPaths,
  type LoginFinishRequest,
  type LoginStartRequest,
  type LoginStartResponse,
  type RegisterFinishRequest,
  type RegisterStartRequest,
  type RegisterStartResponse,
  type SessionResponse,
} from '@coffer/protocol';
import { AuthenticationFailedError } from './server-errors.js';
import type { Transport } from './transport/http.js';

/** A signed-in session. */
export interface Session {
  sessionToken: string;
  userRecordName: string;
}

export interface SignInOptions {
  /** The current TOTP code, when the account has a second factor. */
  totpCode?: string;
}

/** Registers a new account; the server answers with a session (registration signs in). */
export async function registerAccount(transport: Transport, email: string, password: string): Promise<Session> {
  const opaque = await loadOpaque();
  const { clientRegistrationState, registrationRequest } = opaque.client.startRegistration({ password });
  const start = await transport.post<RegisterStartResponse>(AuthPaths.registerStart, { email, registrationRequest } satisfies RegisterStartRequest);
  const { registrationRecord } = opaque.client.finishRegistration({
    password,
    registrationResponse: start.registrationResponse,
    clientRegistrationState,
  });
  const session = await transport.post<SessionResponse>(AuthPaths.registerFinish, { email, registrationRecord } satisfies RegisterFinishRequest);
  return { sessionToken: session.sessionToken, userRecordName: session.userRecordName };
}

/**
 * Signs in. A wrong password is detected on the device (OPAQUE's `finishLogin` fails
 * to open the envelope) and reported as `AuthenticationFailedError` without telling
 * whether the email exists — the server answers unknown emails with a fake record.
 */
export async function signInAccount(transport: Transport, email: string, password: string, options: SignInOptions = {}): Promise<Session> {
  const opaque = await loadOpaque();
  const { clientLoginState, startLoginRequest } = opaque.client.startLogin({ password });
  const start = await transport.post<LoginStartResponse>(AuthPaths.loginStart, { email, startLoginRequest } satisfies LoginStartRequest);
  const finished = opaque.client.finishLogin({ clientLoginState, loginResponse: start.loginResponse, password });
  if (finished === undefined) {
    throw new AuthenticationFailedError({
      envelope: { uuid: '', serverErrorCode: 'AUTHENTICATION_FAILED', reason: 'wrong email or password' },
    });
  }
  const body: LoginFinishRequest = {
    loginId: start.loginId,
    finishLoginRequest: finished.finishLoginRequest,
    ...(options.totpCode === undefined ? {} : { totpCode: options.totpCode }),
  };
  const session = await transport.post<SessionResponse>(AuthPaths.loginFinish, body);
  return { sessionToken: session.sessionToken, userRecordName: session.userRecordName };
}

/** Ends the session on the server. */
export async function signOutAccount(transport: Transport): Promise<void> {
  await transport.post<unknown>(AuthPaths.logout, {});
}

let opaqueModule: Promise<typeof import('@serenity-kit/opaque')> | undefined;

/**
 * @serenity-kit/opaque (a WebAssembly module), loaded on the first sign-in or registration
 * only: every other command — a backup with a saved session — skips its ~0.1 s load.
 */
async function loadOpaque(): Promise<typeof import('@serenity-kit/opaque')> {
  opaqueModule ??= import('@serenity-kit/opaque');
  opaqueModule.catch(() => {
    opaqueModule = undefined;
  });
  const opaque = await opaqueModule;
  await opaque.ready;
  return opaque;
}
