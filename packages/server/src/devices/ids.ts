/** Server-minted ids: 128 random bits, hex — unguessable, so another account's ids cannot be probed. */
import { randomBytes } from 'node:crypto';

export function newId(): string {
  return randomBytes(16).toString('hex');
}
