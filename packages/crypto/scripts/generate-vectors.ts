/**
 * `npm run vectors`: writes packages/crypto/test/vectors/*.json from fixed inputs
 * (scripts/vector-builders.ts). Output is deterministic; a change in any file is a format
 * change and needs a PROTOCOL.md "Changes" entry.
 */
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  buildChunkVectors, buildDeviceLogVectors, buildFieldVectors, buildPaddingVectors, buildRecoveryVectors,
  buildSealedKeyVectors, buildSubkeyVectors, buildWrappedKeyVectors,
} from './vector-builders.js';

const dir = join(dirname(fileURLToPath(import.meta.url)), '..', 'test', 'vectors');
const files: Record<string, unknown> = {
  'wrapped-key.json': buildWrappedKeyVectors(),
  'field-envelope.json': buildFieldVectors(),
  'chunk.json': buildChunkVectors(),
  'sealed-key.json': await buildSealedKeyVectors(),
  'recovery-key.json': buildRecoveryVectors(),
  'device-log.json': buildDeviceLogVectors(),
  'padding.json': buildPaddingVectors(),
  'subkeys.json': buildSubkeyVectors(),
};
for (const [name, content] of Object.entries(files)) {
  writeFileSync(join(dir, name), `${JSON.stringify(content, null, 2)}\n`);
  process.stdout.write(`wrote test/vectors/${name}\n`);
}
