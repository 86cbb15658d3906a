/**
 * All vector files against the @noble backend that browsers get: `#primitives` is
 * redirected to primitives-web.ts for this file only, so every format module above it
 * runs unchanged on the other implementation.
 */
import { describe, vi } from 'vitest';
import { vectorSuite } from './vector-suite.js';

vi.mock('#primitives', async () => await import('../src/primitives-web.js'));

describe('vectors on the web (@noble) backend', () => {
  vectorSuite('web');
});
