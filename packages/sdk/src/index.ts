// @coffer/sdk — public API. Filled in by its issue.
export {};
