/**
 * Trusted devices: `coffer devices list|approve|deny|remove`. Also the helpers the other
 * issue-4 command files share (a client with this home's device state and a progress
 * line on stderr, one-line error messages for refusals, reading lines from stdin).
 */
import { createInterface, type Interface } from 'node:readline';
import {
  CofferClient,
  CofferError,
  DeviceError,
  fileDeviceStates,
  fileKeychains,
  type PendingJoin,
} from '@coffer/sdk';
import { stringOption } from '../args.js';
import { explain } from '../client.js';
import { CliError, UsageError } from '../errors.js';
import { writeLine, type CliIO } from '../io.js';
import type { Command, CommandContext, CommandGroup } from '../router.js';
import { requireSession, type SavedSession } from '../state.js';

/** A signed-in client for this $COFFER_HOME, with progress on stderr for long key work. */
export async function deviceClient(ctx: CommandContext): Promise<{ client: CofferClient; saved: SavedSession }> {
  const saved = await requireSession(ctx.home);
  let last = 0;
  const client = new CofferClient({
    serverUrl: saved.serverUrl,
    keychains: fileKeychains(ctx.home),
    deviceStates: fileDeviceStates(ctx.home),
    session: { sessionToken: saved.sessionToken, userRecordName: saved.userRecordName },
    onProgress: (done, total, what) => {
      const now = Date.now();
      if (done !== total && now - last < 250) return;
      last = now;
      const width = 24;
      const filled = total === 0 ? width : Math.round((done / total) * width);
      ctx.io.stderr.write(`\r${what} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}${done === total ? '\n' : ''}`);
    },
  });
  return { client, saved };
}

/** Runs SDK work, turning refusals and server errors into one-line CLI errors. */
export async function attempt<T>(saved: { serverUrl: string }, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof CliError) throw error;
    if (error instanceof DeviceError) throw new CliError(`refused: ${error.message}`);
    if (error instanceof CofferError) throw explain(error, saved.serverUrl);
    throw error;
  }
}

/** Reads lines from stdin one at a time (for codes typed by the user). */
export class LineReader {
  private readonly rl: Interface;
  private readonly lines: string[] = [];
  private waiting: ((line: string | undefined) => void) | undefined;
  private closed = false;

  constructor(io: CliIO) {
    this.rl = createInterface({ input: io.stdin, terminal: false });
    this.rl.on('line', (line) => {
      if (this.waiting) {
        const w = this.waiting;
        this.waiting = undefined;
        w(line);
      } else this.lines.push(line);
    });
    this.rl.on('close', () => {
      this.closed = true;
      this.waiting?.(undefined);
    });
  }

  next(): Promise<string | undefined> {
    const line = this.lines.shift();
    if (line !== undefined) return Promise.resolve(line);
    if (this.closed) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      this.waiting = resolve;
    });
  }

  close(): void {
    this.rl.close();
  }
}

export function seconds(ctx: CommandContext, name: string, fallback: number): number {
  const text = stringOption(ctx.args, name);
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value < 0) throw new UsageError(`--${name} must be a number of seconds`, ctx.commandPath);
  return value;
}

const list: Command = {
  kind: 'command',
  name: 'list',
  summary: 'list the trusted devices (from the verified device log)',
  options: { json: { type: 'boolean', description: 'one JSON line: {"devices":[{"id","name","current"}]}' } },
  async run(ctx) {
    const { client, saved } = await deviceClient(ctx);
    const devices = await attempt(saved, () => client.devices.list());
    if (ctx.args.values.json === true) {
      writeLine(ctx.io.stdout, JSON.stringify({ devices }));
      return 0;
    }
    for (const d of devices) writeLine(ctx.io.stdout, `${d.current ? '*' : ' '} ${d.id}  ${d.name}${d.current ? '  (this device)' : ''}`);
    return 0;
  },
};

const approve: Command = {
  kind: 'command',
  name: 'approve',
  summary: 'approve a new device that shows the same six-digit code',
  details: [
    'On the new device run `coffer device join --approval`; here run `coffer devices approve`: this device answers',
    'the request and both devices show the same six-digit code. On a terminal you are asked to compare them;',
    'without a terminal (or with --yes) the only pending request is approved once its code is shown — compare',
    'it with the new device\'s afterwards (`coffer devices remove` undoes a wrong approval). With --code NNNNNN',
    'only the request showing that code is approved.',
  ].join('\n'),
  options: {
    code: { type: 'string', placeholder: 'NNNNNN', description: 'the code the new device shows' },
    yes: { type: 'boolean', description: 'approve the only ready request without asking (the default without a terminal)' },
    wait: { type: 'string', placeholder: 'SECONDS', description: 'wait this long for a request and its code (default 30)' },
  },
  async run(ctx) {
    const { client, saved } = await deviceClient(ctx);
    const code = stringOption(ctx.args, 'code');
    const waitMs = seconds(ctx, 'wait', 30) * 1000;
    if (code !== undefined) {
      if (!/^[0-9]{6}$/.test(code)) throw new UsageError('--code must be six digits', ctx.commandPath);
      const approved = await attempt(saved, () => client.devices.approveJoinByCode(code, { waitMs, pollMs: 500 }));
      writeLine(ctx.io.stdout, `approved ${approved.name} (${approved.id}); it now has the keychain key`);
      return 0;
    }
    const deadline = Date.now() + waitMs;
    let ready: PendingJoin[] = [];
    for (;;) {
      const pending = await attempt(saved, () => client.devices.pendingJoins());
      ready = pending.filter((p) => p.state === 'ready');
      if (ready.length > 0 || Date.now() >= deadline) {
        for (const p of pending.filter((x) => x.state !== 'ready')) writeLine(ctx.io.stderr, `coffer: request from ${p.name}: ${p.state}`);
        break;
      }
      await new Promise((r) => setTimeout(r, 500));
    }
    if (ready.length === 0) throw new CliError('no join request with a code yet: run `coffer device join --approval` on the new device (it must be running)');
    for (const p of ready) writeLine(ctx.io.stdout, `${p.code ?? ''}  ${p.name}  (device ${p.deviceId})`);
    const only = ready.length === 1 ? ready[0]! : undefined;
    if (only !== undefined && (ctx.args.values.yes === true || ctx.io.stdin.isTTY !== true)) {
      const approved = await attempt(saved, () => client.devices.approveJoin(only.requestId, only.code));
      writeLine(ctx.io.stdout, `approved ${approved.name} (${approved.id}) showing code ${only.code ?? ''}; it now has the keychain key`);
      return 0;
    }
    if (only !== undefined) {
      ctx.io.stdout.write(`Does the new device show ${only.code ?? ''}? Approve ${only.name}? [y/N] `);
      const lines = new LineReader(ctx.io);
      const answer = (await lines.next())?.trim().toLowerCase();
      lines.close();
      if (answer === 'y' || answer === 'yes') {
        const approved = await attempt(saved, () => client.devices.approveJoin(only.requestId, only.code));
        writeLine(ctx.io.stdout, `approved ${approved.name} (${approved.id}); it now has the keychain key`);
        return 0;
      }
      throw new CliError('not approved');
    }
    writeLine(ctx.io.stderr, 'coffer: compare the code with the one the new device shows, then run: coffer devices approve --code NNNNNN');
    return 1;
  },
};

const deny: Command = {
  kind: 'command',
  name: 'deny',
  summary: 'deny a pending join request',
  options: { code: { type: 'string', placeholder: 'NNNNNN', description: 'the code of the request to deny', required: true } },
  async run(ctx) {
    const { client, saved } = await deviceClient(ctx);
    const code = stringOption(ctx.args, 'code')!;
    const matches = (await attempt(saved, () => client.devices.pendingJoins())).filter((p) => p.code === code);
    if (matches.length === 0) throw new CliError(`no pending join request shows code ${code}`);
    for (const m of matches) await attempt(saved, () => client.devices.denyJoin(m.requestId));
    writeLine(ctx.io.stdout, `denied ${matches.length} request(s)`);
    return 0;
  },
};

const remove: Command = {
  kind: 'command',
  name: 'remove',
  summary: 'remove a device (or mark it lost) and rotate every key it could read',
  details: 'Appends remove-device to the log, rotates the keychain key (sealed anew to the remaining devices and\nrecovery methods), re-wraps every service key and adds new service- and zone-key versions: the removed\ndevice cannot read anything written afterwards. Old data stays readable to the remaining devices.',
  positionals: [{ name: 'DEVICE_ID', description: 'the device id (from coffer devices list)' }],
  options: {
    lost: { type: 'boolean', description: 'the device is lost or stolen (same effect; said in the output)' },
    reencrypt: { type: 'boolean', description: 'also re-encrypt every existing record under new keys (so later updates of old records are closed to the removed device too)' },
  },
  async run(ctx) {
    const { client, saved } = await deviceClient(ctx);
    const id = ctx.args.positionals[0]!;
    const known = await attempt(saved, () => client.devices.list());
    const target = known.find((d) => d.id === id || d.id.startsWith(id));
    if (target === undefined) throw new CliError(`no trusted device ${id}`);
    const report = await attempt(saved, () => client.devices.removeDevice(target.id));
    writeLine(ctx.io.stdout, `${ctx.args.values.lost === true ? 'marked lost and removed' : 'removed'} ${target.name} (${target.id}); rotated the keychain key, re-wrapped ${report.rewrapped} service key(s), made ${report.newServiceKeys} new service key(s) and re-keyed ${report.zonesRekeyed} zone(s)`);
    if (report.unopenable.length > 0) writeLine(ctx.io.stderr, `coffer: ${report.unopenable.length} service key(s) could not be opened on this device and were left as they are`);
    if (ctx.args.values.reencrypt === true) {
      const count = await attempt(saved, () => client.protection.reencryptOldData());
      writeLine(ctx.io.stdout, `re-encrypted ${count} record(s) under the new keys`);
    }
    return 0;
  },
};

export const devicesGroup: CommandGroup = {
  kind: 'group',
  name: 'devices',
  summary: 'trusted devices of the signed-in account',
  commands: [list, approve, deny, remove],
};
