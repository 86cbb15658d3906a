/**
 * "The server store contains no file content, no file name, and no raw SHA-256 of any
 * uploaded file or chunk": upload assets and Drive files with known content and names,
 * then scan everything the server stored — the SQLite file (and WAL) and blob folder, or
 * every PostgreSQL table plus the blob folder — for each secret raw, in hex and in every
 * base64 alignment. A plaintext field written beside them must be found (the scan works).
 */
import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createChunker } from '@coffer/assets';
import { deriveAssetSecrets } from '@coffer/crypto';
import { testBackends } from '@coffer/storage';
import { CofferRecord, closeAssetEngines, Drive } from '../src/index.js';
import { assetAccount, randomData, startAssetServer } from './assets-helpers.js';
import { dumpFiles, dumpPostgres, needles } from './helpers/scan.js';

const marker = (): string => `coffer-${randomBytes(12).toString('hex')}`;
const sha256 = (bytes: Uint8Array): Buffer => createHash('sha256').update(bytes).digest();

describe.each(testBackends().map((b) => [b.name, b] as const))('%s: no file content, names or content hashes at rest', (_name, backend) => {
  it('finds none of them, but finds the plaintext field', async () => {
    const database = await backend.provision();
    const server = await startAssetServer({ dataDir: database.dataDir, ...(database.databaseUrl === undefined ? {} : { databaseUrl: database.databaseUrl }) });
    try {
      const { client } = await assetAccount(server.url);
      const db = client.container('com.example.scan').privateDatabase;
      (await db.saveRecordZones('scan')).throwIfErrors();
      const random = randomData(6 * 1024 * 1024 + 123);
      const text = new TextEncoder().encode(`${marker()} a text file whose words must not reach the server ${marker()}\n`.repeat(50));
      const names = [`${marker()}.jpg`, `${marker()}.txt`, `${marker()}-folder`, `${marker()}.pdf`];
      const visible = marker();

      const record = new CofferRecord({ recordType: 'Scan', zoneID: { zoneName: 'scan' } });
      record.fields.photo = await db.uploadAsset(random, { fileName: names[0]!, contentType: 'image/jpeg' });
      record.fields.note = await db.uploadAsset(text, { fileName: names[1]!, contentType: 'text/plain' });
      record.fields.visible = visible;
      (await db.saveRecords(record)).throwIfErrors();
      const drive = new Drive(client);
      await drive.put(`/${names[2]!}/${names[3]!}`, text);

      // The chunks exactly as the client cut them (its secret chunker), to hash each one.
      const chunker = createChunker(deriveAssetSecrets(await client.devices.currentKeychainKey()));
      const digests: Uint8Array[] = [sha256(random), sha256(text)];
      for (const data of [random, text]) {
        let offset = 0;
        for (const length of chunker.chunkLengths(data)) {
          digests.push(sha256(data.subarray(offset, offset + length)));
          offset += length;
        }
      }
      expect(digests.length).toBeGreaterThan(4);
      const content = [random.subarray(0, 32), random.subarray(3_000_000, 3_000_032), random.subarray(random.length - 32), text.subarray(0, 40)];

      let haystack = dumpFiles(database.dataDir).text;
      if (database.databaseUrl !== undefined) haystack += `\n${await dumpPostgres(database.databaseUrl)}`;
      expect(haystack.includes(visible)).toBe(true);
      for (const name of names) for (const needle of needles(name)) expect(haystack.includes(needle), `file name ${name} as ${needle}`).toBe(false);
      for (const piece of content) for (const needle of needles(piece)) expect(haystack.includes(needle), 'file content').toBe(false);
      for (const digest of digests) for (const needle of needles(digest)) expect(haystack.includes(needle), 'a content SHA-256').toBe(false);
    } finally {
      await closeAssetEngines();
      await server.close();
      await database.drop();
    }
  });
});
