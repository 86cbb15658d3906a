/** All vector files against the node:crypto backend (what `#primitives` resolves to in Node). */
import { describe } from 'vitest';
import { vectorSuite } from './vector-suite.js';

describe('vectors on the node backend', () => {
  vectorSuite('node');
});
