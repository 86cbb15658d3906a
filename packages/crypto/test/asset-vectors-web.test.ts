/**
 * The Assets vectors on the @noble backend that browsers get: `#primitives` is redirected
 * to primitives-web.ts for this file's module graph, then the node suite runs unchanged.
 */
import { expect, it, vi } from 'vitest';
import { primitivesBackend } from '@coffer/crypto';
import './asset-vectors.test.js';

vi.mock('#primitives', async () => await import('../src/primitives-web.js'));

it('runs on the web backend', () => {
  expect(primitivesBackend).toBe('web');
});
