import { mkdtemp, readdir, rm, writeFile, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileBlobStore, openBlobStore, S3BlobStore } from '@coffer/blobs';
import { startTestS3, testBlobStores, type TestS3 } from '@coffer/blobs/testing';
import { blobStoreContract } from './blob-store-contract.js';

let s3: TestS3 | undefined;
beforeAll(async () => {
  s3 = await startTestS3();
});
afterAll(async () => {
  await s3?.stop();
});

for (const adapter of testBlobStores(() => s3!)) blobStoreContract(adapter);

describe('FileBlobStore specifics', () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'coffer-blobs-file-'));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('shards by the first character and leaves no temporaries', async () => {
    const store = new FileBlobStore({ root });
    await store.put('abcdef', new Uint8Array([1, 2, 3]));
    expect(await readdir(join(root, 'a'))).toEqual(['abcdef']);
  });

  it('removes stale temporaries only', async () => {
    const store = new FileBlobStore({ root });
    await store.put('xyz123', new Uint8Array([1]));
    const stale = join(root, 'x', '.tmp-stale');
    const fresh = join(root, 'x', '.tmp-fresh');
    await writeFile(stale, 'partial');
    await writeFile(fresh, 'partial');
    const old = new Date(Date.now() - 3_600_000);
    await utimes(stale, old, old);
    expect(await store.removeStaleTemporaries(60_000)).toBe(1);
    expect((await readdir(join(root, 'x'))).sort()).toEqual(['.tmp-fresh', 'xyz123']);
    expect((await store.list({ prefix: 'xy' })).items.map((i) => i.id)).toEqual(['xyz123']);
  });
});

describe('openBlobStore', () => {
  it('defaults to files under dataDir and parses s3 URLs', async () => {
    const file = openBlobStore({ dataDir: '/tmp/coffer-x' });
    if (!(file instanceof FileBlobStore)) throw new Error('expected a FileBlobStore');
    expect(file.root).toBe('/tmp/coffer-x/blobs');
    const remote = openBlobStore({ dataDir: '/unused', url: 's3://my-bucket/some/prefix?endpoint=http://127.0.0.1:9000' });
    if (!(remote instanceof S3BlobStore)) throw new Error('expected an S3BlobStore');
    expect(remote.bucket).toBe('my-bucket');
    expect(remote.keyPrefix).toBe('some/prefix/');
    await remote.close();
    expect(() => openBlobStore({ dataDir: '/x', url: 'ftp://x' })).toThrow(TypeError);
  });
});
