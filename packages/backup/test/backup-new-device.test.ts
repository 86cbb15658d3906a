/**
 * "Restore works on a new device once it is trusted": a snapshot made on one device is
 * restored on a second device of the account after that device joins by approval (it gets
 * the keychain key, hence the backup category's service key, zone and record keys).
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { CofferClient, closeAssetEngines, memoryDeviceStates, memoryKeychains } from '@coffer/sdk';
import { Backup } from '../src/index.js';
import { expectSameTree, startTestServer, tempDir, type TestServer } from './helpers.js';

const PASSWORD = 'correct horse battery staple';
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await closeAssetEngines();
  await server.close();
});

const device = (name: string): CofferClient =>
  new CofferClient({ serverUrl: server.url, keychains: memoryKeychains(), deviceStates: memoryDeviceStates(), deviceName: name, retry: { sleep: () => Promise.resolve() } });

it('a second device restores a snapshot of the first once it has joined', async () => {
  const email = `backup-new-device-${randomBytes(5).toString('hex')}@example.com`;
  const laptop = device('laptop');
  await laptop.register(email, PASSWORD);
  const source = tempDir();
  mkdirSync(join(source, 'photos/empty'), { recursive: true });
  writeFileSync(join(source, 'photos/cat.jpg'), randomBytes(2 * 1024 * 1024));
  symlinkSync('photos/cat.jpg', join(source, 'favourite'));
  const { snapshot } = await new Backup(laptop, { deviceName: 'laptop' }).create(source);

  const phone = device('phone');
  await phone.signIn(email, PASSWORD);
  const ticket = await phone.devices.requestJoin();
  let shown: (code: string) => void = () => undefined;
  const code = new Promise<string>((resolve) => {
    shown = resolve;
  });
  const waiting = phone.devices.waitForApproval(ticket.requestId, { pollMs: 20, timeoutMs: 20_000, onCode: shown });
  waiting.catch(() => undefined);
  await laptop.devices.pendingJoins();
  await laptop.devices.approveJoinByCode(await code, { waitMs: 5000, pollMs: 20 });
  await waiting;

  const onPhone = new Backup(phone);
  const [listed] = await onPhone.list();
  expect(listed).toMatchObject({ id: snapshot.id, device: 'laptop', root: source, files: 1 });
  const target = tempDir();
  await onPhone.restore(snapshot.id, target);
  expectSameTree(source, target);
});
