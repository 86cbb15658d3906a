/**
 * Builds SDK clients for commands and turns SDK errors into one-line CLI messages.
 * The CLI is an ordinary SDK user: it keeps its keychains under `$COFFER_HOME`.
 */
import {
  AuthenticationFailedError,
  CofferClient,
  CofferError,
  ExistsError,
  NetworkError,
  fileDeviceStates,
  fileKeychains,
  type Session,
} from '@coffer/sdk';
import { AuthReasons } from '@coffer/protocol';
import { CliError, UsageError } from './errors.js';

export function makeClient(home: string, serverUrl: string, session?: Session): CofferClient {
  return new CofferClient({ serverUrl, keychains: fileKeychains(home), deviceStates: fileDeviceStates(home), ...(session === undefined ? {} : { session }) });
}

/** Checks a `--server` value: an http(s) URL, returned without a trailing slash. */
export function parseServerUrl(text: string | undefined, commandPath: string): string {
  if (text === undefined || text === '') {
    throw new UsageError('missing --server URL (or set $COFFER_SERVER)', commandPath);
  }
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`--server must be a URL like http://127.0.0.1:8080, got ${JSON.stringify(text)}`, commandPath);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError('--server must be an http:// or https:// URL', commandPath);
  return url.toString().replace(/\/+$/, '');
}

/** An SDK failure as a CLI error whose message a person can act on. */
export function explain(error: unknown, serverUrl: string): CliError {
  if (error instanceof NetworkError) return new CliError(`cannot reach the Coffer server at ${serverUrl}: ${error.message}`);
  if (error instanceof AuthenticationFailedError) {
    switch (error.reason) {
      case AuthReasons.totpRequired:
        return new CliError('this account has two-factor sign-in: pass --totp CODE');
      case AuthReasons.totpInvalid:
        return new CliError('the TOTP code is wrong');
      case AuthReasons.totpReplayed:
        return new CliError('that TOTP code was already used; wait for the next one');
      default:
        return new CliError(`sign-in failed: ${error.reason}`);
    }
  }
  if (error instanceof ExistsError) return new CliError(`already exists: ${error.reason}`);
  if (error instanceof CofferError) return new CliError(error.serverErrorCode === undefined ? error.message : `${error.serverErrorCode}: ${error.reason}`);
  if (error instanceof Error) return new CliError(error.message);
  return new CliError(String(error));
}
