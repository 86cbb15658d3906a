// Worker-thread entry of the chunk crypto pool (crypto-pool.ts) when it runs from the
// TypeScript sources (vitest, `node --import tsx`, the `coffer` launcher's tsx fallback).
// A worker starts with a fresh module loader, so this plain-JS shim registers tsx in the
// worker before loading the real code — 0.4–0.8 s of CPU per worker. The `coffer` bundle
// (packages/cli/scripts/bundle.js) does not use this file: it emits its own prebuilt
// crypto-worker.js next to the bundled pool, which `new URL('./crypto-worker.js',
// import.meta.url)` then names, and which starts in ~70 ms of CPU.
import { register } from 'tsx/esm/api';

register();
await import('./crypto-worker-main.ts');
