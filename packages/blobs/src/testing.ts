/**
 * Test support (import `@coffer/blobs/testing`, never from production code): an
 * S3-compatible server on loopback (s3rver, pure npm, no Docker or downloads), a
 * temporary file store, and the adapter list the contract suite runs against.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { BlobStore } from './blob-store.js';
import { FileBlobStore } from './file-blob-store.js';
import { S3BlobStore, type S3BlobStoreOptions } from './s3-blob-store.js';

// The SDK warns once per process that future versions need Node 22; tests run on 20.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const serverScript = fileURLToPath(new URL('../scripts/test-s3-server.js', import.meta.url));

export interface TestS3 {
  endpoint: string;
  /** Options for an {@link S3BlobStore} on a bucket of this server (create it with `ensureBucket`). */
  storeOptions(bucket: string): S3BlobStoreOptions;
  stop(): Promise<void>;
}

/**
 * Starts an S3-compatible server (s3rver, patched for atomic writes; see
 * scripts/test-s3-server.js) in a child process on 127.0.0.1 with an ephemeral port and
 * a temporary directory. The child exits by itself if this process dies.
 */
export async function startTestS3(): Promise<TestS3> {
  const directory = await mkdtemp(join(tmpdir(), 'coffer-s3rver-'));
  const child = spawn(process.execPath, ['--openssl-legacy-provider', serverScript, directory], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => { resolve(); }));
  const port = await new Promise<number>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout });
    const timer = setTimeout(() => { reject(new Error('test S3 server did not start within 20 s')); }, 20_000);
    lines.once('line', (line) => {
      clearTimeout(timer);
      resolve((JSON.parse(line) as { port: number }).port);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`test S3 server exited with ${String(code)}`));
    });
  });
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    endpoint,
    storeOptions: (bucket) => ({
      bucket, endpoint, region: 'us-east-1', forcePathStyle: true,
      // s3rver's fixed development credentials.
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    }),
    async stop() {
      child.stdin.end();
      child.kill('SIGTERM');
      await exited;
      await rm(directory, { recursive: true, force: true });
    },
  };
}

export interface TestBlobStore {
  readonly name: string;
  open(): Promise<{ store: BlobStore; cleanup(): Promise<void> }>;
}

let bucketCounter = 0;

/** The file adapter on a temporary directory and the S3 adapter on `s3` (one bucket per open). */
export function testBlobStores(s3: () => TestS3): TestBlobStore[] {
  return [
    {
      name: 'file',
      async open() {
        const root = await mkdtemp(join(tmpdir(), 'coffer-blobs-'));
        const store = new FileBlobStore({ root });
        return { store, cleanup: () => rm(root, { recursive: true, force: true }) };
      },
    },
    {
      name: 's3',
      async open() {
        bucketCounter += 1;
        const store = new S3BlobStore({ ...s3().storeOptions(`coffer-test-${process.pid}-${bucketCounter}`), partSize: 5 * 1024 * 1024 });
        await store.ensureBucket();
        return { store, cleanup: () => store.close() };
      },
    },
  ];
}
