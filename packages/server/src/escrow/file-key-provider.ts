/**
 * The file-backed escrow key: `<dataDir>/escrow.key` by default (path configurable),
 * mode 0600, created on the first start of a fresh deployment.
 *
 * Format: a header line, `public:<base64>`, `private:<base64>`. Loading checks the
 * header, both lengths, and that the private key really opens a box sealed to the public
 * key (a self-test), so a corrupt or mismatched file stops the server at startup with a
 * clear error rather than failing every plain-client read later. The key id is recorded
 * in the database on first use (auth/key-files.ts), so starting against the same
 * database with a missing or different file is refused too.
 */
import { join } from 'node:path';
import {
  Labels,
  fromBase64,
  generateKey,
  generateX25519KeyPair,
  openSealedKey,
  sealKeyTo,
  sha256,
  toBase64,
  toHex,
  utf8Encode,
  constantTimeEqual,
  concatBytes,
  type KeyKind,
  type SymmetricKey,
  type X25519KeyPair,
} from '@coffer/crypto';
import type { ServerKeyIdsRepository } from '@coffer/storage';
import { KeyFileError, loadKeyFile } from '../auth/key-files.js';
import type { EscrowKeyProvider } from './key-provider.js';

const HEADER = 'coffer-escrow-key-v1';

export function escrowKeyIdOf(publicKey: Uint8Array): string {
  return toHex(sha256(concatBytes(utf8Encode('coffer escrow key id\0'), publicKey))).slice(0, 32);
}

export function formatEscrowKeyFile(pair: X25519KeyPair): string {
  return `${HEADER}\npublic:${toBase64(pair.publicKey)}\nprivate:${toBase64(pair.privateKey)}\n`;
}

export function parseEscrowKeyFile(contents: string): X25519KeyPair {
  const lines = contents.trimEnd().split('\n');
  if (lines.length !== 3 || lines[0] !== HEADER) throw new Error(`expected "${HEADER}", a public and a private line`);
  const [, publicLine, privateLine] = lines as [string, string, string];
  if (!publicLine.startsWith('public:') || !privateLine.startsWith('private:')) throw new Error('expected public: and private: lines');
  const publicKey = fromBase64(publicLine.slice('public:'.length));
  const privateKey = fromBase64(privateLine.slice('private:'.length));
  if (publicKey.length !== 32 || privateKey.length !== 32) throw new Error('keys must be 32 bytes');
  return { publicKey, privateKey };
}

export class FileEscrowKeyProvider implements EscrowKeyProvider {
  readonly keyId: string;
  readonly publicKey: Uint8Array;
  readonly #privateKey: Uint8Array;

  private constructor(pair: X25519KeyPair) {
    this.publicKey = pair.publicKey;
    this.#privateKey = pair.privateKey;
    this.keyId = escrowKeyIdOf(pair.publicKey);
  }

  /**
   * Loads the key file (creating it on a fresh deployment) and self-tests it.
   * @throws KeyFileError with the path and what to do, for a missing (on a used
   *   database), unreadable-by-others, corrupt or mismatched file.
   */
  static async load(options: { path: string; keyIds: ServerKeyIdsRepository; now: number }): Promise<FileEscrowKeyProvider> {
    const pair = await loadKeyFile<X25519KeyPair>(
      {
        name: 'escrow',
        path: options.path,
        label: 'escrow key',
        create: () => formatEscrowKeyFile(generateX25519KeyPair()),
        parse: parseEscrowKeyFile,
        fingerprint: (p) => escrowKeyIdOf(p.publicKey),
      },
      options.keyIds,
      options.now,
    );
    const provider = new FileEscrowKeyProvider(pair);
    await provider.selfTest(options.path);
    return provider;
  }

  static defaultPath(dataDir: string): string {
    return join(dataDir, 'escrow.key');
  }

  async open(sealed: Uint8Array, expectedKind: KeyKind): Promise<SymmetricKey> {
    return openSealedKey(this.#privateKey, sealed, Labels.escrow, expectedKind);
  }

  async seal(key: SymmetricKey): Promise<Uint8Array> {
    return sealKeyTo(this.publicKey, key, Labels.escrow);
  }

  /** Proves the private half matches the public half (the file stores both). */
  private async selfTest(path: string): Promise<void> {
    const probe = generateKey('service');
    try {
      const opened = await this.open(await this.seal(probe), 'service');
      if (!constantTimeEqual(opened.bytes, probe.bytes)) throw new Error('mismatch');
    } catch {
      throw new KeyFileError(`escrow key file ${path} is corrupt (its private key does not match its public key); restore it from backup`);
    }
  }
}
