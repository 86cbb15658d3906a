// Worker-thread entry of the chunk crypto pool (crypto-pool.ts). Coffer's packages ship
// TypeScript that tsx compiles on load, and a worker starts with a fresh module loader,
// so this plain-JS shim registers tsx in the worker before loading the real code. It
// works the same under vitest, the `coffer` bin and `node --import tsx`.
import { register } from 'tsx/esm/api';

register();
await import('./crypto-worker-main.ts');
