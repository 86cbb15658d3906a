// @coffer/server — public API. Filled in by its issue.
export {};
