/**
 * Account endpoints under `/auth/1/…`. Passwords never reach the server: registration
 * and sign-in run OPAQUE (RFC 9807, via @serenity-kit/opaque); the server stores only the
 * OPAQUE registration record. Sessions are bearer tokens (`Authorization: Bearer <token>`
 * or CloudKit's `ckWebAuthToken` query parameter).
 */
export interface RegisterStartRequest { email: string; registrationRequest: string }
export interface RegisterStartResponse { registrationResponse: string }
export interface RegisterFinishRequest { email: string; registrationRecord: string }

export interface LoginStartRequest { email: string; startLoginRequest: string }
export interface LoginStartResponse { loginId: string; loginResponse: string }
export interface LoginFinishRequest { loginId: string; finishLoginRequest: string; totpCode?: string }

export interface SessionResponse { sessionToken: string; userRecordName: string }

/**
 * `reason` values of AUTHENTICATION_FAILED from login/finish and totp/confirm with a fixed
 * meaning, so clients can branch (prompt for a code) without parsing prose.
 */
export const AuthReasons = {
  /** The account has TOTP on and the request carried no `totpCode`; the same loginId may be retried with one. */
  totpRequired: 'totpRequired',
  /** The TOTP code is wrong (counts toward the TOTP throttle). */
  totpInvalid: 'totpInvalid',
  /** The TOTP code was already used; wait for the next one. */
  totpReplayed: 'totpReplayed',
} as const;

/** Body of logout, totp/confirm and other acknowledgements. */
export type AuthOkResponse = Record<string, never>;

export interface TotpSetupResponse { secret: string; otpauthUrl: string }
export interface TotpConfirmRequest { code: string }

export interface ApiTokenCreateRequest { container: string }
export interface ApiTokenCreateResponse { apiToken: string; tokenId: string }

export const AuthPaths = {
  registerStart: '/auth/1/register/start',
  registerFinish: '/auth/1/register/finish',
  loginStart: '/auth/1/login/start',
  loginFinish: '/auth/1/login/finish',
  logout: '/auth/1/logout',
  totpSetup: '/auth/1/totp/setup',
  totpConfirm: '/auth/1/totp/confirm',
  apiTokenCreate: '/auth/1/tokens/create',
} as const;
