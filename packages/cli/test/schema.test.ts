/** `coffer schema promote` against the data folder of a running server. */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer } from '@coffer/server';
import { CofferClient, CofferRecord, memoryKeychains } from '@coffer/sdk';
import { runCoffer, tempDir } from './helpers.js';

const data = tempDir('coffer-cli-schema-');
let url: string;
let close: () => Promise<void>;
beforeAll(async () => {
  const server = await startServer({ port: 0, dataDir: data });
  url = server.url;
  close = () => server.close();
});
afterAll(async () => {
  await close();
});

describe('coffer schema promote', () => {
  it('copies the development schema to production, which then accepts the type', async () => {
    const client = new CofferClient({ serverUrl: url, keychains: memoryKeychains() });
    await client.register(`schema-${randomBytes(5).toString('hex')}@example.com`, 'a long and happy passphrase');
    const container = 'com.example.promote';
    const dev = client.container(container).privateDatabase;
    (await dev.saveRecordZones('z')).throwIfErrors();
    const record = (): CofferRecord => {
      const r = new CofferRecord({ recordType: 'Promo', zoneID: { zoneName: 'z' } });
      r.fields.title = 'plain';
      r.encryptedValues.secret = 'encrypted';
      return r;
    };
    (await dev.saveRecords(record())).throwIfErrors();

    const prod = client.container(container, { environment: 'production' }).privateDatabase;
    (await prod.saveRecordZones('z')).throwIfErrors();
    const before = await prod.saveRecords(record());
    expect(before.hasErrors).toBe(true);

    const result = await runCoffer(['schema', 'promote', '--container', container, '--data', data]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const summary = JSON.parse(result.stdout) as { container: string; addedTypes: string[]; addedFields: { recordType: string; fieldName: string }[] };
    expect(summary.container).toBe(container);
    expect(summary.addedTypes).toContain('Promo');
    expect(summary.addedFields).toEqual(expect.arrayContaining([{ recordType: 'Promo', fieldName: 'title' }, { recordType: 'Promo', fieldName: 'secret' }]));

    (await prod.saveRecords(record())).throwIfErrors();
  });

  it('needs --container', async () => {
    const result = await runCoffer(['schema', 'promote', '--data', data]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--container/);
  });
});
