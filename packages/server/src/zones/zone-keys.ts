/**
 * Zone keys (Coffer extension) are append-only: an update may add versions but never
 * change or drop one, because records still carry record keys wrapped by old versions.
 */
import type { WrappedZoneKeyWire } from '@coffer/protocol';
import { CloudError } from '../http/cloud-error.js';

export function mergeZoneKeys(current: unknown, incoming: readonly WrappedZoneKeyWire[]): WrappedZoneKeyWire[] | CloudError {
  const keys = Array.isArray(current) ? [...(current as WrappedZoneKeyWire[])] : [];
  for (const key of incoming) {
    const existing = keys.find((k) => k.version === key.version);
    if (!existing) {
      keys.push(key);
      continue;
    }
    if (existing.serviceKeyId !== key.serviceKeyId || existing.wrappedKey !== key.wrappedKey) {
      return new CloudError('CONFLICT', `zone key version ${key.version} already exists with other content; zone keys are append-only (add a new version)`);
    }
  }
  return keys.sort((a, b) => a.version - b.version);
}
