// A loopback S3-compatible server for tests: s3rver (pure npm) in its own process, so
// blob-store tests talk real S3 wire protocol through @aws-sdk/client-s3 — like restic's
// backend suite against a minio it starts. Usage:
//   node --openssl-legacy-provider packages/blobs/scripts/test-s3-server.js <directory>
// Prints `{"port":N}` once listening; exits when stdin closes (its parent died) or on SIGTERM.
//
// Two fixes to s3rver 3.7.1, applied here and nowhere else:
// - it writes objects and multipart parts in place and resolves the PUT before the write
//   stream has flushed, so a GET right after (or a concurrent PUT of the same key) can
//   see a torn object. Real S3 stores objects atomically; we restore that with write to a
//   temporary name + rename, awaited before answering.
// - its ListObjectsV2 continuation token uses DES, which OpenSSL 3 keeps in the legacy
//   provider: hence --openssl-legacy-provider on the command line.
import { Buffer } from 'node:buffer';
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, unlink, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import process from 'node:process';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';

const require = createRequire(import.meta.url);
const S3rver = require('s3rver');
const FilesystemStore = require('s3rver/lib/stores/filesystem');

async function writeAtomically(path, content) {
  await mkdir(dirname(path), { recursive: true });
  const temp = `${path}.tmp-${randomBytes(8).toString('hex')}`;
  const md5 = createHash('md5');
  let size = 0;
  const source = Buffer.isBuffer(content) ? Readable.from([content]) : content;
  try {
    await pipeline(source, new Transform({
      transform(piece, _encoding, callback) {
        md5.update(piece);
        size += piece.length;
        callback(null, piece);
      },
    }), createWriteStream(temp));
    await rename(temp, path);
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw error;
  }
  return [size, md5.digest('hex')];
}

FilesystemStore.prototype.putObject = async function putObject(object) {
  const [size, md5] = await writeAtomically(this.getResourcePath(object.bucket, object.key, 'object'), object.content);
  await this.putMetadata(object.bucket, object.key, object.metadata, md5);
  return { size, md5 };
};

FilesystemStore.prototype.putPart = async function putPart(bucket, uploadId, partNumber, content) {
  const partPath = join(this.getResourcePath(bucket, undefined, 'uploads'), uploadId, partNumber.toString());
  const [size, md5] = await writeAtomically(partPath, content);
  await writeFile(`${partPath}.md5`, md5);
  return { size, md5 };
};

const directory = process.argv[2];
if (directory === undefined) {
  process.stderr.write('usage: test-s3-server.js <directory>\n');
  process.exit(2);
}
const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory });
const address = await server.run();
process.stdout.write(`${JSON.stringify({ port: address.port })}\n`);

async function stop() {
  await server.close().catch(() => undefined);
  process.exit(0);
}
process.on('SIGTERM', () => void stop());
process.stdin.on('end', () => void stop());
process.stdin.on('close', () => void stop());
process.stdin.resume();
