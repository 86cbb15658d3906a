/**
 * "The server never sees an encryptedValues plaintext": write random secrets through the
 * SDK, then scan everything the server stores — the SQLite file with its WAL and every
 * other file in the data folder, or a text dump of every PostgreSQL table — for the
 * secrets raw, in base64 (every alignment, standard and URL alphabets) and in hex.
 * A plaintext field written alongside must be found (the scan itself works).
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { testBackends } from '@coffer/storage';
import { CofferRecord } from '../src/index.js';
import { dumpFiles, dumpPostgres, needles } from './helpers/scan.js';
import { newAccount, startTestServer } from './helpers/server.js';

const marker = (): string => `coffer-${randomBytes(18).toString('hex')}`;

describe.each(testBackends().map((b) => [b.name, b] as const))('%s: no encryptedValues plaintext at rest', (_name, backend) => {
  it('finds neither the secrets nor their encodings, but does find the plaintext field', async () => {
    const database = await backend.provision();
    const server = await startTestServer({ dataDir: database.dataDir, ...(database.databaseUrl === undefined ? {} : { databaseUrl: database.databaseUrl }) });
    const secrets = [marker(), marker(), marker()];
    const visible = marker();
    try {
      const { client } = await newAccount(server.url);
      const db = client.container('com.example.scan').privateDatabase;
      (await db.saveRecordZones('scan')).throwIfErrors();
      const r = new CofferRecord({ recordType: 'Scan', recordName: 'scan-1', zoneID: { zoneName: 'scan' } });
      r.encryptedValues.secret = secrets[0]!;
      r.encryptedValues.list = [secrets[1]!, 'other'];
      r.encryptedValues.bytes = new TextEncoder().encode(secrets[2]);
      r.fields.visible = visible;
      (await db.saveRecords(r)).throwIfErrors();
      // Update too: the change history must not keep plaintext either.
      r.encryptedValues.secret = `${secrets[0]!}-v2`;
      (await db.saveRecords(r)).throwIfErrors();
      const back = (await db.fetchRecords('scan-1', { zoneID: { zoneName: 'scan' } })).records[0]!;
      expect(back.encryptedValues.secret).toBe(`${secrets[0]!}-v2`);

      const files = dumpFiles(database.dataDir);
      let haystack = files.text;
      if (database.databaseUrl !== undefined) haystack += `\n${await dumpPostgres(database.databaseUrl)}`;
      else expect(files.files.some((f) => f.endsWith('-wal'))).toBe(true);

      expect(haystack.includes(visible)).toBe(true);
      for (const secret of secrets) {
        for (const needle of needles(secret)) expect(haystack.includes(needle), `found ${needle}`).toBe(false);
      }
    } finally {
      await server.close();
      await database.drop();
    }
  });
});
