/**
 * Service keys on both storage backends: the first device uploads the key wrapped by its
 * keychain key and sealed to the escrow key; a second device (another keychain) gets it
 * back through keys/service/recover; and the server's store — files and every table —
 * holds neither the raw service key nor the raw keychain key in any encoding.
 */
import { describe, expect, it } from 'vitest';
import { testBackends } from '@coffer/storage';
import { CofferRecord, fileKeychains, memoryKeychains } from '../src/index.js';
import { dumpFiles, dumpPostgres, needles } from './helpers/scan.js';
import { PASSWORD, newAccount, newClient, rawPost, startTestServer, tempHome } from './helpers/server.js';

describe.each(testBackends().map((b) => [b.name, b] as const))('%s: service keys', (_name, backend) => {
  it('are uploaded wrapped and escrowed, recovered by a second device, never stored raw', async () => {
    const database = await backend.provision();
    const server = await startTestServer({ dataDir: database.dataDir, ...(database.databaseUrl === undefined ? {} : { databaseUrl: database.databaseUrl }) });
    try {
      const home = tempHome();
      const { client, email } = await newAccount(server.url, fileKeychains(home));
      const db = client.container('com.example.kb').privateDatabase;
      (await db.saveRecordZones('z')).throwIfErrors();
      const r = new CofferRecord({ recordType: 'K', recordName: 'k', zoneID: { zoneName: 'z' } });
      r.encryptedValues.s = 'both backends';
      (await db.saveRecords(r)).throwIfErrors();

      const lookup = await rawPost(server.url, '/database/1/com.example.kb/development/private/keys/service/lookup', {}, { authorization: `Bearer ${client.session!.sessionToken}` });
      const keys = (lookup.json as { serviceKeys: { keyId: string; category: string; escrowed: boolean; wrappedByKeychain?: string }[] }).serviceKeys;
      expect(keys).toEqual([expect.objectContaining({ category: 'app:com.example.kb', escrowed: true, wrappedByKeychain: expect.any(String) as unknown })]);

      const device2 = newClient(server.url, memoryKeychains());
      await device2.signIn(email, PASSWORD);
      expect((await device2.container('com.example.kb').privateDatabase.fetchRecords('k', { zoneID: { zoneName: 'z' } })).throwIfErrors().records[0]!.encryptedValues.s).toBe('both backends');
      const recovered = await device2.keychain().getServiceKey(keys[0]!.keyId);
      expect(recovered?.category).toBe('app:com.example.kb');

      const keychain = client.keychain();
      const serviceKey = (await keychain.getServiceKey(keys[0]!.keyId))!.key;
      const keychainKey = (await keychain.getKeychainKey())!;
      expect(recovered!.key.bytes).toEqual(serviceKey.bytes);

      let haystack = dumpFiles(database.dataDir).text;
      if (database.databaseUrl !== undefined) haystack += `\n${await dumpPostgres(database.databaseUrl)}`;
      for (const secret of [serviceKey.bytes, keychainKey.bytes]) {
        for (const needle of needles(secret)) expect(haystack.includes(needle)).toBe(false);
      }
    } finally {
      await server.close();
      await database.drop();
    }
  });
});
