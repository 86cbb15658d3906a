/**
 * Drive on the SDK: folders and files with encrypted names and tree, put/list/download,
 * rename and move, removal, and the errors a file system would give.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeAssetEngines, Drive, DriveError, type CofferClient } from '../src/index.js';
import { assetAccount, collect, randomData, sha256Hex, startAssetServer, type AssetTestServer } from './assets-helpers.js';

let server: AssetTestServer;
let client: CofferClient;
beforeAll(async () => {
  server = await startAssetServer();
  client = (await assetAccount(server.url)).client;
});
afterAll(async () => {
  await closeAssetEngines();
  await server.close();
});

describe('Drive', () => {
  it('puts, lists, downloads, moves and removes; another Drive object sees the same tree', async () => {
    const drive = new Drive(client);
    expect(await drive.list('/')).toEqual([]);
    const data = randomData(700_000);
    const put = await drive.put('/Docs/2024/report.pdf', data, { modified: new Date(1_700_000_000_000), contentType: 'application/pdf' });
    expect(put.path).toBe('/Docs/2024/report.pdf');
    await drive.mkdir('/Empty');

    const fresh = new Drive(client);
    expect((await fresh.list('/')).map((i) => `${i.kind}:${i.name}`)).toEqual(['folder:Docs', 'folder:Empty']);
    const [file] = await fresh.list('/Docs/2024');
    expect(file).toMatchObject({ name: 'report.pdf', kind: 'file', size: 700_000, path: '/Docs/2024/report.pdf' });
    expect(file!.modified.getTime()).toBe(1_700_000_000_000);
    const download = await fresh.download('/Docs/2024/report.pdf');
    expect(download.contentType).toBe('application/pdf');
    expect(sha256Hex(await collect(download))).toBe(sha256Hex(data));

    // Replace in place, rename, move into a folder.
    const newer = randomData(10);
    await fresh.put('/Docs/2024/report.pdf', newer);
    expect((await fresh.list('/Docs/2024')).length).toBe(1);
    await fresh.move('/Docs/2024/report.pdf', '/Docs/2024/final.pdf');
    await fresh.move('/Docs/2024/final.pdf', '/Empty');
    expect(sha256Hex(await collect(await fresh.download('/Empty/final.pdf')))).toBe(sha256Hex(newer));
    await fresh.move('/Docs', '/Archive');
    expect((await new Drive(client).list('/')).map((i) => i.name)).toEqual(['Archive', 'Empty']);

    await expect(fresh.remove('/Empty')).rejects.toMatchObject({ code: 'NOT_EMPTY' });
    const removed = await fresh.remove('/Empty', { recursive: true });
    expect(removed.map((i) => i.name)).toEqual(['Empty', 'final.pdf']);
    expect((await new Drive(client).list('/')).map((i) => i.name)).toEqual(['Archive']);
  });

  it('refuses what a file system refuses', async () => {
    const drive = new Drive(client);
    await drive.put('/a.txt', randomData(5));
    await drive.mkdir('/dir/sub', { parents: true });
    await expect(drive.move('/dir', '/dir/sub')).rejects.toMatchObject({ code: 'INVALID_PATH' });
    await expect(drive.move('/a.txt', '/dir/sub/../x')).rejects.toBeInstanceOf(DriveError);
    await drive.put('/b.txt', randomData(5));
    await expect(drive.move('/a.txt', '/b.txt')).rejects.toMatchObject({ code: 'EXISTS' });
    await expect(drive.put('/dir', randomData(5))).rejects.toMatchObject({ code: 'IS_A_FOLDER' });
    await expect(drive.mkdir('/a.txt/x', { parents: true })).rejects.toMatchObject({ code: 'NOT_A_FOLDER' });
    await expect(drive.download('/nope')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(drive.list('/nope')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
