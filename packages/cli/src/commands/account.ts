/**
 * Accounts: `coffer account create|whoami`, and the top-level `coffer login` /
 * `coffer logout`. Passwords are read from standard input only (`--password-stdin`),
 * never from flags, which would leave them in shell history and `ps` output.
 */
import type { OptionTable } from '../args.js';
import { stringOption } from '../args.js';
import { explain, makeClient, parseServerUrl } from '../client.js';
import { CliError, UsageError } from '../errors.js';
import { readSecretFromStdin, writeLine } from '../io.js';
import type { Command, CommandContext, CommandGroup } from '../router.js';
import { clearSession, loadSession, requireSession, saveSession } from '../state.js';

const credentialOptions: OptionTable = {
  server: { type: 'string', placeholder: 'URL', description: 'the Coffer server, e.g. http://127.0.0.1:8080 (or $COFFER_SERVER)' },
  email: { type: 'string', placeholder: 'EMAIL', description: 'account email', required: true },
  'password-stdin': { type: 'boolean', description: 'read the password from standard input (the only way to pass it)' },
};

async function credentials(ctx: CommandContext): Promise<{ serverUrl: string; email: string; password: string }> {
  const saved = await loadSession(ctx.home).catch(() => undefined);
  const serverUrl = parseServerUrl(stringOption(ctx.args, 'server') ?? ctx.io.env.COFFER_SERVER ?? saved?.serverUrl, ctx.commandPath);
  const email = stringOption(ctx.args, 'email')!;
  if (ctx.args.values['password-stdin'] !== true) {
    throw new UsageError('pass the password on standard input with --password-stdin (passwords are never taken from flags)', ctx.commandPath);
  }
  let password: string;
  try {
    password = await readSecretFromStdin(ctx.io.stdin, 'password');
  } catch (error) {
    throw new UsageError((error as Error).message, ctx.commandPath);
  }
  return { serverUrl, email, password };
}

/** Prints the one JSON line scripts rely on and saves the session under $COFFER_HOME. */
async function finishSignIn(ctx: CommandContext, serverUrl: string, email: string, session: { sessionToken: string; userRecordName: string }): Promise<void> {
  await saveSession(ctx.home, { version: 1, serverUrl, email, userRecordName: session.userRecordName, sessionToken: session.sessionToken });
  writeLine(ctx.io.stdout, JSON.stringify({ sessionToken: session.sessionToken, userRecordName: session.userRecordName }));
}

const create: Command = {
  kind: 'command',
  name: 'create',
  summary: 'create an account, sign in and set up this device\'s keychain',
  details: 'Prints one JSON line: {"sessionToken": "…", "userRecordName": "…"}.\nExample: printf %s "$PW" | coffer account create --server http://127.0.0.1:8080 --email ann@example.com --password-stdin',
  options: credentialOptions,
  async run(ctx) {
    const { serverUrl, email, password } = await credentials(ctx);
    const client = makeClient(ctx.home, serverUrl);
    const session = await client.register(email, password).catch((error: unknown) => {
      throw explain(error, serverUrl);
    });
    await finishSignIn(ctx, serverUrl, email, session);
    return 0;
  },
};

export const login: Command = {
  kind: 'command',
  name: 'login',
  summary: 'sign in to an existing account',
  details: 'Prints one JSON line: {"sessionToken": "…", "userRecordName": "…"}.',
  options: { ...credentialOptions, totp: { type: 'string', placeholder: 'CODE', description: 'the current TOTP code, if the account has two-factor sign-in' } },
  async run(ctx) {
    const { serverUrl, email, password } = await credentials(ctx);
    const totpCode = stringOption(ctx.args, 'totp');
    const client = makeClient(ctx.home, serverUrl);
    const session = await client.signIn(email, password, totpCode === undefined ? {} : { totpCode }).catch((error: unknown) => {
      throw explain(error, serverUrl);
    });
    await finishSignIn(ctx, serverUrl, email, session);
    return 0;
  },
};

export const logout: Command = {
  kind: 'command',
  name: 'logout',
  summary: 'end the session (the device keychain stays)',
  options: {},
  async run(ctx) {
    const saved = await loadSession(ctx.home);
    if (saved === undefined) {
      writeLine(ctx.io.stderr, 'coffer: not signed in');
      return 0;
    }
    const client = makeClient(ctx.home, saved.serverUrl, saved);
    try {
      await client.signOut();
    } catch (error) {
      // An expired session or an unreachable server must not keep the token on disk.
      writeLine(ctx.io.stderr, `coffer: the server did not confirm the sign-out (${explain(error, saved.serverUrl).message}); forgetting the session anyway`);
    }
    await clearSession(ctx.home);
    writeLine(ctx.io.stdout, `signed out of ${saved.email}`);
    return 0;
  },
};

const whoami: Command = {
  kind: 'command',
  name: 'whoami',
  summary: 'show the signed-in account (asks the server; --offline to skip)',
  details: 'Prints one JSON line with server, email, userRecordName and (online) protectionMode.',
  options: {
    offline: { type: 'boolean', description: 'print the saved session without asking the server' },
    container: { type: 'string', placeholder: 'ID', description: 'container to ask users/caller through', default: 'coffer' },
  },
  async run(ctx) {
    const saved = await requireSession(ctx.home);
    const out: Record<string, string> = { server: saved.serverUrl, email: saved.email, userRecordName: saved.userRecordName };
    if (ctx.args.values.offline !== true) {
      const client = makeClient(ctx.home, saved.serverUrl, saved);
      const identity = await client.container(stringOption(ctx.args, 'container')!).fetchCurrentUserIdentity().catch((error: unknown) => {
        throw explain(error, saved.serverUrl);
      });
      if (identity.userRecordName !== saved.userRecordName) throw new CliError('the server reports another user for this session; run coffer login again');
      out.protectionMode = identity.protectionMode;
    }
    writeLine(ctx.io.stdout, JSON.stringify(out));
    return 0;
  },
};

export const accountGroup: CommandGroup = {
  kind: 'group',
  name: 'account',
  summary: 'create and inspect accounts',
  commands: [create, { ...login, summary: 'same as coffer login' }, whoami],
};
