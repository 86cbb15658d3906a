/**
 * Recovery methods: `coffer recovery-key create`, `coffer recovery-contact
 * add|remove|list|accept|respond`, `coffer recovery-passcode set|status`.
 */
import { stringOption } from '../args.js';
import { CliError, UsageError } from '../errors.js';
import { readSecretFromStdin, writeLine } from '../io.js';
import type { Command, CommandContext, CommandGroup } from '../router.js';
import { attempt, deviceClient, seconds } from './devices.js';

const createKey: Command = {
  kind: 'command',
  name: 'create',
  summary: 'create (or regenerate) the recovery key and print it once',
  details: 'Prints the 28-character key on standard output. Write it down: it is shown only now. Regenerating\ninvalidates the previous key.',
  options: {},
  async run(ctx) {
    const { client, saved } = await deviceClient(ctx);
    const key = await attempt(saved, () => client.recovery.createRecoveryKey());
    writeLine(ctx.io.stdout, key);
    writeLine(ctx.io.stderr, 'coffer: this is your recovery key; it is shown only once. Keep it somewhere safe: with it, a new device can join without any other device.');
    return 0;
  },
};

export const recoveryKeyGroup: CommandGroup = {
  kind: 'group',
  name: 'recovery-key',
  summary: 'the account recovery key',
  commands: [createKey],
};

function threshold(ctx: CommandContext): number | undefined {
  const text = stringOption(ctx.args, 'threshold');
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new UsageError('--threshold must be a positive integer', ctx.commandPath);
  return n;
}

const add: Command = {
  kind: 'command',
  name: 'add',
  summary: 'invite another Coffer account as a recovery contact; include accepted contacts in the recovery set',
  details: 'The contact accepts with `coffer recovery-contact accept` on their device; run add (or sync) again\nafterwards to seal their share. --threshold K requires K contacts to recover (default 1).',
  options: {
    email: { type: 'string', placeholder: 'EMAIL', description: 'the contact\'s account email', required: true },
    threshold: { type: 'string', placeholder: 'K', description: 'contacts needed to recover (default: current, or 1)' },
  },
  async run(ctx) {
    const { client, saved } = await deviceClient(ctx);
    const email = stringOption(ctx.args, 'email')!.toLowerCase();
    const existing = (await attempt(saved, () => client.recovery.listContacts())).contacts.find((c) => c.contactEmail.toLowerCase() === email);
    if (existing === undefined) await attempt(saved, () => client.recovery.addContact(email));
    return sync.run(ctx);
  },
};

const sync: Command = {
  kind: 'command',
  name: 'sync',
  summary: 'seal a new recovery set to every accepted contact',
  options: { threshold: { type: 'string', placeholder: 'K', description: 'contacts needed to recover (default: current, or 1)' } },
  async run(ctx) {
    const { client, saved } = await deviceClient(ctx);
    const listed = await attempt(saved, () => client.recovery.listContacts());
    const accepted = listed.contacts.filter((c) => c.state === 'accepted');
    for (const c of listed.contacts.filter((x) => x.state === 'invited')) writeLine(ctx.io.stdout, `${c.contactEmail}: invited (waiting for them to accept)`);
    if (accepted.length === 0) return 0;
    const k = Math.min(threshold(ctx) ?? listed.threshold ?? 1, accepted.length);
    const set = await attempt(saved, () => client.recovery.updateContactSet({ threshold: k }));
    writeLine(ctx.io.stdout, `recovery set: ${set.threshold} of ${set.contacts.length} contact(s) needed to recover`);
    return 0;
  },
};

const remove: Command = {
  kind: 'command',
  name: 'remove',
  summary: 'remove a recovery contact (the recovery set is rebuilt without them)',
  options: {
    email: { type: 'string', placeholder: 'EMAIL', description: 'the contact\'s account email', required: true },
    threshold: { type: 'string', placeholder: 'K', description: 'contacts needed to recover afterwards' },
  },
  async run(ctx) {
    const { client, saved } = await deviceClient(ctx);
    const email = stringOption(ctx.args, 'email')!.toLowerCase();
    const listed = await attempt(saved, () => client.recovery.listContacts());
    const c = listed.contacts.find((x) => x.contactEmail.toLowerCase() === email);
    if (c === undefined) throw new CliError(`${email} is not a recovery contact of this account`);
    await attempt(saved, () => client.recovery.removeContact(c.contactUserRecordName, threshold(ctx) ?? listed.threshold));
    writeLine(ctx.io.stdout, `removed ${email}`);
    return 0;
  },
};

const list: Command = {
  kind: 'command',
  name: 'list',
  summary: 'list recovery contacts (and, with --json, one JSON line)',
  options: { json: { type: 'boolean', description: 'one JSON line: {"contacts":[…],"threshold":K}' } },
  async run(ctx) {
    const { client, saved } = await deviceClient(ctx);
    const listed = await attempt(saved, () => client.recovery.listContacts());
    if (ctx.args.values.json === true) {
      writeLine(ctx.io.stdout, JSON.stringify(listed));
      return 0;
    }
    if (listed.contacts.length === 0) writeLine(ctx.io.stdout, 'no recovery contacts');
    for (const c of listed.contacts) writeLine(ctx.io.stdout, `${c.contactEmail}  ${c.state}${c.hasShare ? '  (holds a share)' : ''}`);
    if (listed.threshold !== undefined) writeLine(ctx.io.stdout, `${listed.threshold} contact(s) needed to recover`);
    return 0;
  },
};

const accept: Command = {
  kind: 'command',
  name: 'accept',
  summary: '(as a contact) accept being someone\'s recovery contact',
  options: { owner: { type: 'string', placeholder: 'EMAIL', description: 'the inviting account (default: the only pending invitation)' } },
  async run(ctx) {
    const { client, saved } = await deviceClient(ctx);
    const owner = stringOption(ctx.args, 'owner')?.toLowerCase();
    const invitations = (await attempt(saved, () => client.recovery.invitations())).invitations.filter((i) => i.state === 'invited' && (owner === undefined || i.ownerEmail.toLowerCase() === owner));
    if (invitations.length !== 1) throw new CliError(invitations.length === 0 ? 'no pending invitation' : 'several pending invitations: pass --owner EMAIL');
    await attempt(saved, () => client.recovery.acceptInvitation(invitations[0]!.ownerUserRecordName));
    writeLine(ctx.io.stdout, `you are now a recovery contact of ${invitations[0]!.ownerEmail}`);
    return 0;
  },
};

const respond: Command = {
  kind: 'command',
  name: 'respond',
  summary: '(as a contact) answer recovery requests: show the code to tell the owner, release the share',
  details: 'Tell the code only to the owner, after making sure it is them (call them). The share is released only\nto the device that proves it was typed there.',
  options: { wait: { type: 'string', placeholder: 'SECONDS', description: 'wait this long for a request and for the owner (default 300)' } },
  async run(ctx) {
    const { client, saved } = await deviceClient(ctx);
    const deadline = Date.now() + seconds(ctx, 'wait', 300) * 1000;
    for (;;) {
      const { prompts, states } = await attempt(saved, () => client.recovery.startContactResponses());
      for (const p of prompts) writeLine(ctx.io.stdout, `${p.ownerEmail} asks to recover on "${p.deviceName}": tell them the code ${p.code}`);
      if (states.size > 0) {
        const released = await attempt(saved, () => client.recovery.finishContactResponses(states, { pollMs: 500, timeoutMs: Math.max(0, deadline - Date.now()) }));
        writeLine(ctx.io.stdout, `released ${released.length} share(s)`);
        return released.length > 0 ? 0 : 1;
      }
      if (Date.now() >= deadline) throw new CliError('no recovery request arrived');
      await new Promise((r) => setTimeout(r, 500));
    }
  },
};

export const recoveryContactGroup: CommandGroup = {
  kind: 'group',
  name: 'recovery-contact',
  summary: 'recovery contacts (other accounts that can help you recover, k of n)',
  commands: [add, remove, list, sync, accept, respond],
};

const setPasscode: Command = {
  kind: 'command',
  name: 'set',
  summary: 'escrow the keychain key under a passcode (read from stdin; 10 guesses, then destroyed)',
  options: { 'passcode-stdin': { type: 'boolean', description: 'read the passcode from standard input (the only way to pass it)' } },
  async run(ctx) {
    if (ctx.args.values['passcode-stdin'] !== true) throw new UsageError('pass the passcode on standard input with --passcode-stdin', ctx.commandPath);
    const passcode = await readSecretFromStdin(ctx.io.stdin, 'passcode').catch((error: unknown) => {
      throw new UsageError((error as Error).message, ctx.commandPath);
    });
    const { client, saved } = await deviceClient(ctx);
    await attempt(saved, () => client.recovery.enrollPasscode(passcode));
    writeLine(ctx.io.stdout, 'passcode escrow set: 10 guesses in total, then it is destroyed');
    return 0;
  },
};

const passcodeStatus: Command = {
  kind: 'command',
  name: 'status',
  summary: 'whether a passcode escrow exists and how many guesses are left',
  options: {},
  async run(ctx) {
    const { client, saved } = await deviceClient(ctx);
    const s = await attempt(saved, () => client.recovery.passcodeStatus());
    writeLine(ctx.io.stdout, JSON.stringify(s));
    return 0;
  },
};

export const recoveryPasscodeGroup: CommandGroup = {
  kind: 'group',
  name: 'recovery-passcode',
  summary: 'passcode escrow of the keychain key',
  commands: [setPasscode, passcodeStatus],
};
