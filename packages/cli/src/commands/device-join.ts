/**
 * `coffer device join`: makes this $COFFER_HOME a trusted device of the signed-in account
 * (sign in first with `coffer login`). Exactly one way:
 *   --approval            show a six-digit code; approve it on a trusted device
 *   --recovery-key KEY    the 28-character recovery key ("-" reads it from stdin)
 *   --passcode CODE       the escrow passcode ("-" reads it from stdin; 10 guesses in total)
 *   --contact EMAIL[,…]   recovery contacts: type the code each one tells you (stdin)
 */
import { stringOption } from '../args.js';
import { explain, makeClient, parseServerUrl } from '../client.js';
import { CliError, UsageError } from '../errors.js';
import { readSecretFromStdin, writeLine } from '../io.js';
import type { Command, CommandContext, CommandGroup } from '../router.js';
import { loadSession, saveSession } from '../state.js';
import { attempt, deviceClient, LineReader, seconds } from './devices.js';

/** `--email` (with --password-stdin): sign in on this $COFFER_HOME first, like `coffer login`. */
async function signInFirst(ctx: CommandContext): Promise<void> {
  const email = stringOption(ctx.args, 'email');
  if (email === undefined) return;
  if (ctx.args.values['password-stdin'] !== true) throw new UsageError('with --email, pass the password on standard input with --password-stdin', ctx.commandPath);
  const saved = await loadSession(ctx.home).catch(() => undefined);
  const serverUrl = parseServerUrl(stringOption(ctx.args, 'server') ?? ctx.io.env.COFFER_SERVER ?? saved?.serverUrl, ctx.commandPath);
  const password = await readSecretFromStdin(ctx.io.stdin, 'password').catch((error: unknown) => {
    throw new UsageError((error as Error).message, ctx.commandPath);
  });
  const totpCode = stringOption(ctx.args, 'totp');
  const session = await makeClient(ctx.home, serverUrl).signIn(email, password, totpCode === undefined ? {} : { totpCode }).catch((error: unknown) => {
    throw explain(error, serverUrl);
  });
  await saveSession(ctx.home, { version: 1, serverUrl, email, userRecordName: session.userRecordName, sessionToken: session.sessionToken });
}

async function secretOption(ctx: CommandContext, name: string, what: string): Promise<string> {
  const value = stringOption(ctx.args, name)!;
  if (value !== '-') return value;
  try {
    return await readSecretFromStdin(ctx.io.stdin, what);
  } catch (error) {
    throw new UsageError((error as Error).message, ctx.commandPath);
  }
}

const join: Command = {
  kind: 'command',
  name: 'join',
  summary: 'join this device to the signed-in account (approval or recovery)',
  details: 'Sign in on this device first (coffer login). Use exactly one of --approval, --recovery-key, --passcode, --contact.\nAfter joining, this device holds the keychain key and can decrypt the account\'s data.',
  options: {
    approval: { type: 'boolean', description: 'ask a trusted device to approve (shows the code to compare)' },
    'recovery-key': { type: 'string', placeholder: 'KEY', description: 'join with the recovery key ("-": read from stdin)' },
    passcode: { type: 'string', placeholder: 'PASSCODE', description: 'join with the escrow passcode ("-": read from stdin)' },
    contact: { type: 'string', placeholder: 'EMAIL[,EMAIL…]', description: 'join with recovery contacts; type each contact\'s code on stdin' },
    name: { type: 'string', placeholder: 'NAME', description: 'this device\'s name in the device list', default: 'Coffer CLI' },
    timeout: { type: 'string', placeholder: 'SECONDS', description: 'how long to wait for approval or contacts (default 600)' },
    server: { type: 'string', placeholder: 'URL', description: 'with --email: the Coffer server (or $COFFER_SERVER)' },
    email: { type: 'string', placeholder: 'EMAIL', description: 'sign in first (instead of a separate coffer login)' },
    'password-stdin': { type: 'boolean', description: 'with --email: read the password from standard input' },
    totp: { type: 'string', placeholder: 'CODE', description: 'with --email: the current TOTP code' },
  },
  async run(ctx) {
    const ways = ['approval', 'recovery-key', 'passcode', 'contact'].filter((w) => ctx.args.values[w] !== undefined && ctx.args.values[w] !== false);
    if (ways.length !== 1) throw new UsageError('use exactly one of --approval, --recovery-key, --passcode, --contact', ctx.commandPath);
    if (ctx.args.values['password-stdin'] === true && (stringOption(ctx.args, 'passcode') === '-' || stringOption(ctx.args, 'recovery-key') === '-')) {
      throw new UsageError('standard input carries the password; pass the passcode or recovery key as the option value', ctx.commandPath);
    }
    await signInFirst(ctx);
    const { client, saved } = await deviceClient(ctx);
    const name = stringOption(ctx.args, 'name')!;
    const timeoutMs = seconds(ctx, 'timeout', 600) * 1000;
    if (await attempt(saved, () => client.devices.isTrusted())) {
      await attempt(saved, () => client.devices.resume());
      writeLine(ctx.io.stdout, 'this device is already trusted');
      return 0;
    }
    switch (ways[0]) {
      case 'approval': {
        const ticket = await attempt(saved, () => client.devices.requestJoin(name));
        writeLine(ctx.io.stderr, `coffer: join requested; on a trusted device run: coffer devices approve   (the request expires at ${new Date(ticket.expiresAt).toISOString()})`);
        await attempt(saved, () => client.devices.waitForApproval(ticket.requestId, {
          pollMs: 500,
          timeoutMs,
          onCode: (code) => {
            writeLine(ctx.io.stdout, `code: ${code}`);
            writeLine(ctx.io.stderr, `coffer: the trusted device shows a code too; approve there only if it is ${code}: coffer devices approve --code ${code}`);
          },
        }));
        break;
      }
      case 'recovery-key': {
        const key = await secretOption(ctx, 'recovery-key', 'recovery key');
        await attempt(saved, () => client.recovery.joinWithRecoveryKey(key, name));
        break;
      }
      case 'passcode': {
        const passcode = await secretOption(ctx, 'passcode', 'passcode');
        await attempt(saved, () => client.recovery.joinWithPasscode(passcode, name));
        break;
      }
      case 'contact': {
        const wanted = stringOption(ctx.args, 'contact')!.split(',').map((e) => e.trim().toLowerCase()).filter((e) => e !== '');
        const contacts = (await attempt(saved, () => client.recovery.listContacts())).contacts;
        const chosen = wanted.map((email) => {
          const c = contacts.find((x) => x.contactEmail.toLowerCase() === email);
          if (c === undefined) throw new CliError(`${email} is not one of this account's recovery contacts`);
          return c;
        });
        const lines = new LineReader(ctx.io);
        try {
          await attempt(saved, () => client.recovery.joinWithContacts({
            pollMs: 500,
            timeoutMs,
            contacts: chosen.map((c) => c.contactUserRecordName),
            askCode: async ({ contactUserRecordName }) => {
              const email = chosen.find((c) => c.contactUserRecordName === contactUserRecordName)?.contactEmail ?? contactUserRecordName;
              writeLine(ctx.io.stdout, `ask ${email} for the code their device shows, and type it:`);
              const line = await lines.next();
              if (line === undefined) throw new CliError(`no code for ${email} on standard input`);
              return line.trim();
            },
          }, name));
        } finally {
          lines.close();
        }
        break;
      }
      default:
        throw new UsageError('use exactly one of --approval, --recovery-key, --passcode, --contact', ctx.commandPath);
    }
    writeLine(ctx.io.stdout, `joined: this device (${client.devices.currentDeviceId ?? '?'}) is trusted and holds the keychain key`);
    return 0;
  },
};

export const deviceGroup: CommandGroup = {
  kind: 'group',
  name: 'device',
  summary: 'this device: join the signed-in account',
  commands: [join],
};
