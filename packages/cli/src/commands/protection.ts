/**
 * `coffer protection status|enable-adp|disable-adp|reencrypt`: the account switch between
 * Standard data protection and Advanced Data Protection, decided by a signed entry in the
 * device log (the server cannot flip it; `status` refuses if the server disagrees).
 */
import { writeLine } from '../io.js';
import type { Command, CommandGroup } from '../router.js';
import { attempt, deviceClient } from './devices.js';

const MODE_TITLE = { standard: 'Standard data protection', advanced: 'Advanced Data Protection' } as const;

const status: Command = {
  kind: 'command',
  name: 'status',
  summary: 'show the protection mode and, per data category, its encryption and where its keys are stored',
  details: 'With --json: one line {"mode":"standard"|"advanced","categories":[{"id","title","encryption","keyStorage"}]}.',
  options: { json: { type: 'boolean', description: 'print one JSON line' } },
  async run(ctx) {
    const { client, saved } = await deviceClient(ctx);
    const s = await attempt(saved, () => client.protection.status());
    if (ctx.args.values.json === true) {
      writeLine(ctx.io.stdout, JSON.stringify({ mode: s.mode, categories: s.categories }));
      return 0;
    }
    const rows: [string, string, string][] = [['Data category', 'Encryption', 'Key storage'], ...s.categories.map((c): [string, string, string] => [c.title, c.encryption, c.keyStorage])];
    const w0 = Math.max(...rows.map((r) => r[0].length));
    const w1 = Math.max(...rows.map((r) => r[1].length));
    writeLine(ctx.io.stdout, `${MODE_TITLE[s.mode]} (${s.mode})`);
    writeLine(ctx.io.stdout, '');
    rows.forEach((r, i) => {
      writeLine(ctx.io.stdout, `${r[0].padEnd(w0)}  ${r[1].padEnd(w1)}  ${r[2]}`);
      if (i === 0) writeLine(ctx.io.stdout, `${'-'.repeat(w0)}  ${'-'.repeat(w1)}  ${'-'.repeat(11)}`);
    });
    return 0;
  },
};

const enable: Command = {
  kind: 'command',
  name: 'enable-adp',
  summary: 'turn on Advanced Data Protection (needs a recovery key or recovery contact)',
  details: 'Appends a signed adp-on entry to the device log; the server deletes its escrowed keys; every service key\nthe server could have held gets a new version and every zone a new key, so keys the server saw protect\nnothing written afterwards. Existing data stays readable with the old keys: see coffer protection reencrypt.',
  options: {},
  async run(ctx) {
    const { client, saved } = await deviceClient(ctx);
    const report = await attempt(saved, () => client.protection.enableAdp());
    writeLine(ctx.io.stdout, `Advanced Data Protection is on: the server deleted its escrowed keys; ${report.newServiceKeys} service key(s) rotated, ${report.zonesRekeyed} zone(s) re-keyed`);
    return 0;
  },
};

const disable: Command = {
  kind: 'command',
  name: 'disable-adp',
  summary: 'turn off Advanced Data Protection (keys are escrowed to the server again)',
  options: {},
  async run(ctx) {
    const { client, saved } = await deviceClient(ctx);
    const report = await attempt(saved, () => client.protection.disableAdp());
    writeLine(ctx.io.stdout, `Standard data protection is on: ${report.escrowed} service key(s) escrowed to the server again`);
    return 0;
  },
};

const reencrypt: Command = {
  kind: 'command',
  name: 'reencrypt',
  summary: 're-encrypt existing records under the newest keys (after enabling ADP or removing a device)',
  options: {},
  async run(ctx) {
    const { client, saved } = await deviceClient(ctx);
    const count = await attempt(saved, () => client.protection.reencryptOldData());
    writeLine(ctx.io.stdout, `re-encrypted ${count} record(s) under the newest zone keys`);
    return 0;
  },
};

export const protectionGroup: CommandGroup = {
  kind: 'group',
  name: 'protection',
  summary: 'Standard data protection vs Advanced Data Protection',
  commands: [status, enable, disable, reencrypt],
};
