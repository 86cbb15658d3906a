/**
 * `coffer drive put|get|ls|rm|mv` end to end with the real bin against a local server:
 * files and folders (empty ones too) go up and come back byte for byte, listings show
 * names (encrypted on the server), moves and removals behave like a file system.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer } from '@coffer/server';
import { runCoffer, tempDir } from './helpers.js';

const home = tempDir('coffer-cli-drive-home-');
const env = { COFFER_HOME: home };
let close: () => Promise<void>;

beforeAll(async () => {
  const server = await startServer({ port: 0, dataDir: tempDir('coffer-cli-drive-data-'), assets: { gcIntervalMs: 0 } });
  close = () => server.close();
  const created = await runCoffer(['account', 'create', '--server', server.url, '--email', `cli-drive-${randomBytes(4).toString('hex')}@example.com`, '--password-stdin'], { input: 'correct horse battery staple', env });
  expect(created.code).toBe(0);
});
afterAll(async () => {
  await close();
});

interface Listed {
  name: string;
  path: string;
  kind: 'file' | 'folder';
  size: number;
}

async function ls(path?: string): Promise<Listed[]> {
  const result = await runCoffer(['drive', 'ls', ...(path === undefined ? [] : [path]), '--json'], { env });
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout) as Listed[];
}

describe('coffer drive', () => {
  const local = tempDir('coffer-cli-drive-local-');
  const photo = randomBytes(1_500_000);
  beforeAll(() => {
    mkdirSync(join(local, 'album/empty'), { recursive: true });
    writeFileSync(join(local, 'album/cat.jpg'), photo);
    writeFileSync(join(local, 'album/caption.txt'), 'a cat');
    writeFileSync(join(local, 'report.pdf'), 'quarterly numbers');
  });

  it('put a file and a folder, then ls', async () => {
    const file = await runCoffer(['drive', 'put', join(local, 'report.pdf')], { env });
    expect(file.stderr).toBe('');
    expect(file.stdout).toMatch(/uploaded 1 file .* to \/report\.pdf/);
    const folder = await runCoffer(['drive', 'put', join(local, 'album'), '/Photos/'], { env });
    expect(folder.code).toBe(0);
    expect(folder.stdout).toMatch(/uploaded 2 files .* to \/Photos\/album/);
    expect((await ls()).map((i) => `${i.kind}:${i.name}`)).toEqual(['folder:Photos', 'file:report.pdf']);
    expect((await ls('/Photos/album')).map((i) => `${i.kind}:${i.name}:${i.size}`)).toEqual(['folder:empty:0', 'file:caption.txt:5', `file:cat.jpg:${photo.length}`]);
    const plain = await runCoffer(['drive', 'ls', '/Photos/album'], { env });
    expect(plain.stdout).toMatch(/empty\/\n/);
    expect(plain.stdout).toMatch(/1\.5 MB .* cat\.jpg/);
  });

  it('get a file and a folder back, byte for byte', async () => {
    const out = tempDir('coffer-cli-drive-out-');
    const got = await runCoffer(['drive', 'get', '/Photos/album/cat.jpg', join(out, 'kitty.jpg')], { env });
    expect(got.stderr).toBe('');
    expect(got.code).toBe(0);
    expect(Buffer.compare(readFileSync(join(out, 'kitty.jpg')), photo)).toBe(0);
    expect(Math.round(statSync(join(out, 'kitty.jpg')).mtimeMs / 1000)).toBe(Math.round(statSync(join(local, 'album/cat.jpg')).mtimeMs / 1000));

    const tree = await runCoffer(['drive', 'get', '/Photos', out], { env });
    expect(tree.code).toBe(0);
    expect(readdirSync(join(out, 'Photos/album')).sort()).toEqual(['caption.txt', 'cat.jpg', 'empty']);
    expect(readFileSync(join(out, 'Photos/album/caption.txt'), 'utf8')).toBe('a cat');
  });

  it('mv renames and moves into folders; rm needs -r for a folder', async () => {
    expect((await runCoffer(['drive', 'mv', '/report.pdf', '/Q1.pdf'], { env })).stdout).toMatch(/moved \/report\.pdf to \/Q1\.pdf/);
    expect((await runCoffer(['drive', 'mv', '/Q1.pdf', '/Photos'], { env })).stdout).toMatch(/to \/Photos\/Q1\.pdf/);
    expect((await ls('/Photos')).map((i) => i.name)).toEqual(['album', 'Q1.pdf']);

    const refused = await runCoffer(['drive', 'rm', '/Photos'], { env });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/not empty/);
    expect((await runCoffer(['drive', 'rm', '/Photos/Q1.pdf'], { env })).code).toBe(0);
    const removed = await runCoffer(['drive', 'rm', '-r', '/Photos'], { env });
    expect(removed.code).toBe(0);
    expect(removed.stdout).toMatch(/removed \/Photos and 4 items in it/);
    expect(await ls()).toEqual([]);
  });

  it('explains what does not exist', async () => {
    const missing = await runCoffer(['drive', 'get', '/nope'], { env });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/no such file or folder/);
    const mv = await runCoffer(['drive', 'mv', '/nope', '/x'], { env });
    expect(mv.code).toBe(1);
    expect(mv.stderr).toMatch(/no such file or folder/);
  });
});
