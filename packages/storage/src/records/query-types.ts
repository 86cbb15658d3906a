/**
 * records/query in storage terms. The server resolves CloudKit's filterBy/sortBy against
 * the schema into these (which column a field compares in, whether it is a list) and
 * refuses what cannot be answered (encrypted fields, LOCATION, unknown fields).
 */
import type { IndexColumn } from './field-index.js';
import type { StoredRecord } from './record-types.js';

export const QueryComparators = [
  'EQUALS', 'NOT_EQUALS', 'LESS_THAN', 'LESS_THAN_OR_EQUALS', 'GREATER_THAN', 'GREATER_THAN_OR_EQUALS',
  'IN', 'NOT_IN', 'BEGINS_WITH', 'LIST_CONTAINS',
] as const;
export type QueryComparator = (typeof QueryComparators)[number];

/** What a filter or sort looks at: an indexed field, or a column of the record itself. */
export type QueryOperand =
  | { source: 'field'; fieldName: string; column: IndexColumn; list: boolean }
  | { source: 'system'; column: 'recordName' | 'createdAt' | 'modifiedAt' };

/** Text columns take strings, int columns decimal strings (exact INT64), real columns numbers; system times are ms. */
export type QueryValue = string | number;

export interface QueryFilterSpec {
  operand: QueryOperand;
  comparator: QueryComparator;
  /** One value, or the candidates of IN / NOT_IN. */
  values: QueryValue[];
}

export interface QuerySortSpec {
  operand: QueryOperand;
  ascending: boolean;
}

/** Where the previous page ended: the sort keys of its last record and that record's row id. */
export interface QueryCursor {
  keys: (string | number | null)[];
  id: number;
}

export interface QuerySpec {
  recordType: string;
  filters: QueryFilterSpec[];
  sorts: QuerySortSpec[];
  limit: number;
  after?: QueryCursor;
}

export interface QueryPage {
  records: StoredRecord[];
  /** Set when more records match: pass it back as `after` for the next page. */
  next: QueryCursor | null;
}
