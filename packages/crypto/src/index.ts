// @coffer/crypto — public API. Filled in by its issue.
export {};
