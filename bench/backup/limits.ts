/**
 * The machine's limits for this workload, measured in the same run: streamed AES-256-GCM
 * and SHA-256 over 1 MiB pieces on one core (node:crypto, i.e. OpenSSL with AES-NI/SHA-NI
 * where the CPU has them). Coffer does both per byte (and FastCDC), so one core's rate of
 * the two together is the ceiling per core.
 */
import { createCipheriv, createHash, randomBytes } from 'node:crypto';

function rate(run: (piece: Buffer) => void): number {
  const piece = randomBytes(1 << 20);
  for (let i = 0; i < 16; i++) run(piece);
  const started = process.hrtime.bigint();
  let bytes = 0;
  while (process.hrtime.bigint() - started < 700_000_000n) {
    run(piece);
    bytes += piece.length;
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return bytes / seconds / 1e6;
}

export function machineLimits(): { aes256gcmMBps: number; sha256MBps: number } {
  const key = randomBytes(32);
  const aes256gcmMBps = rate((piece) => {
    const cipher = createCipheriv('aes-256-gcm', key, randomBytes(12));
    cipher.update(piece);
    cipher.final();
    cipher.getAuthTag();
  });
  const sha256MBps = rate((piece) => {
    createHash('sha256').update(piece).digest();
  });
  return { aes256gcmMBps, sha256MBps };
}
