/**
 * The whole database as one Kysely type, merged from each area's table interfaces.
 * A new area adds its `…Tables` interface to the `extends` list and a migration to
 * migrations/index.ts.
 */
import type { AccountsTables } from './accounts/index.js';
import type { RecordTables } from './records/record-tables.js';

export interface DatabaseSchema extends RecordTables, AccountsTables {}
