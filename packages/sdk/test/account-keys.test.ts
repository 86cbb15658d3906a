/** Accounts (OPAQUE), sessions, and the device keychain and service keys. */
import { readFileSync, statSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AuthenticationFailedError,
  CofferError,
  CofferRecord,
  FileKeychain,
  InvalidFieldError,
  NotSignedInError,
  appCategory,
  fileKeychains,
  type KeychainDocument,
} from '../src/index.js';
import { PASSWORD, newAccount, newClient, rawPost, startTestServer, tempHome, uniqueEmail, type TestServer } from './helpers/server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server.close();
});

describe('accounts', () => {
  it('registers, signs out, signs in again', async () => {
    const email = uniqueEmail();
    const client = newClient(server.url);
    const session = await client.register(email, PASSWORD);
    expect(session.sessionToken).toBeTypeOf('string');
    expect(session.userRecordName).toBeTypeOf('string');
    const identity = await client.container('com.example.acct').fetchCurrentUserIdentity();
    expect(identity.userRecordName).toBe(session.userRecordName);
    expect(identity.protectionMode).toBe('standard');

    await client.signOut();
    expect(client.session).toBeUndefined();
    expect(() => client.container('com.example.acct').privateDatabase.newRecordsBatch()).not.toThrow();
    await expect(client.container('com.example.acct').privateDatabase.saveRecords(new CofferRecord({ recordType: 'T' }))).rejects.toBeInstanceOf(NotSignedInError);

    const again = await client.signIn(email, PASSWORD);
    expect(again.userRecordName).toBe(session.userRecordName);
    expect(again.sessionToken).not.toBe(session.sessionToken);
  });

  it('a wrong password is AuthenticationFailedError, an unknown email too', async () => {
    const { email } = await newAccount(server.url);
    await expect(newClient(server.url).signIn(email, 'wrong password')).rejects.toBeInstanceOf(AuthenticationFailedError);
    await expect(newClient(server.url).signIn(uniqueEmail('nobody'), PASSWORD)).rejects.toBeInstanceOf(AuthenticationFailedError);
  });

  it('a revoked session is refused by the server with a typed error', async () => {
    const { client } = await newAccount(server.url);
    const stale = { ...client.session! };
    await client.signOut();
    const ghost = newClient(server.url);
    ghost.useSession(stale);
    const error = await ghost.container('com.example.acct').privateDatabase.fetchAllRecordZones().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CofferError);
    expect(['AUTHENTICATION_FAILED', 'AUTHENTICATION_REQUIRED']).toContain((error as CofferError).serverErrorCode);
  });
});

describe('keys', () => {
  it('first use creates a service key: kept in the keychain file (0600), uploaded wrapped and escrowed', async () => {
    const home = tempHome();
    const { client } = await newAccount(server.url, fileKeychains(home));
    const user = client.session!.userRecordName;
    const db = client.container('com.example.keys').privateDatabase;
    (await db.saveRecordZones('kz')).throwIfErrors();
    const r = new CofferRecord({ recordType: 'K', recordName: 'k1', zoneID: { zoneName: 'kz' } });
    r.encryptedValues.s = 'secret in kz';
    (await db.saveRecords(r)).throwIfErrors();
    expect((await db.fetchRecords('k1', { zoneID: { zoneName: 'kz' } })).records[0]!.encryptedValues.s).toBe('secret in kz');

    const file = (FileKeychain.forAccount(home, user)).path;
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const doc = JSON.parse(readFileSync(file, 'utf8')) as KeychainDocument;
    expect(doc.version).toBe(1);
    expect(doc.keychainKey).toMatch(/^coffer-key-v1:keychain:/);
    expect(doc.serviceKeys.map((k) => k.category)).toEqual([appCategory('com.example.keys')]);

    const { json } = await rawPost(server.url, '/database/1/com.example.keys/development/private/keys/service/lookup', {}, { authorization: `Bearer ${client.session!.sessionToken}`, 'x-coffer-client': 'sdk' });
    const keys = (json as { serviceKeys: { keyId: string; category: string; escrowed: boolean; wrappedByKeychain?: string }[] }).serviceKeys;
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatchObject({ category: 'app:com.example.keys', escrowed: true });
    expect(keys[0]!.wrappedByKeychain).toBeTypeOf('string');

    // A new client on the same device reuses the keychain file: no second service key.
    const sameDevice = newClient(server.url, fileKeychains(home));
    sameDevice.useSession(client.session);
    expect((await sameDevice.container('com.example.keys').privateDatabase.fetchRecords('k1', { zoneID: { zoneName: 'kz' } })).records[0]!.encryptedValues.s).toBe('secret in kz');
    const after = await rawPost(server.url, '/database/1/com.example.keys/development/private/keys/service/lookup', {}, { authorization: `Bearer ${client.session!.sessionToken}` });
    expect((after.json as { serviceKeys: unknown[] }).serviceKeys).toHaveLength(1);
  });

  it('the default zone: keys the server attached for a plain client are used by the SDK', async () => {
    const { client } = await newAccount(server.url);
    const headers = { authorization: `Bearer ${client.session!.sessionToken}` };
    const plain = await rawPost(server.url, '/database/1/com.example.dz/development/private/records/modify', {
      operations: [{ operationType: 'create', record: { recordType: 'D', recordName: 'd1', fields: { s: { value: 'from the web', type: 'STRING', isEncrypted: true } } } }],
    }, headers);
    expect(plain.status).toBe(200);
    const db = client.container('com.example.dz').privateDatabase;
    expect((await db.fetchRecords('d1')).throwIfErrors().records[0]!.encryptedValues.s).toBe('from the web');
    const r = new CofferRecord({ recordType: 'D', recordName: 'd2' });
    r.encryptedValues.s = 'from the SDK';
    (await db.saveRecords(r)).throwIfErrors();
    expect((await db.fetchRecords('d2')).throwIfErrors().records[0]!.encryptedValues.s).toBe('from the SDK');
  });

  it('concurrent first uses on one client share one service key', async () => {
    const { client } = await newAccount(server.url);
    const db = client.container('com.example.race').privateDatabase;
    const results = await Promise.all(['z1', 'z2', 'z3'].map((z) => db.saveRecordZones(z)));
    for (const r of results) r.throwIfErrors();
    const { json } = await rawPost(server.url, '/database/1/com.example.race/development/private/keys/service/lookup', {}, { authorization: `Bearer ${client.session!.sessionToken}` });
    expect((json as { serviceKeys: unknown[] }).serviceKeys).toHaveLength(1);
  });

  it('refuses encrypted fields in the public database before sending', async () => {
    const { client } = await newAccount(server.url);
    const r = new CofferRecord({ recordType: 'Pub' });
    r.encryptedValues.s = 'x';
    await expect(client.container('com.example.pub').publicDatabase.saveRecords(r)).rejects.toBeInstanceOf(InvalidFieldError);
  });
});
