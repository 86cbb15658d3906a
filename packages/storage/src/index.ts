// @coffer/storage — public API. Filled in by its issue.
export {};
