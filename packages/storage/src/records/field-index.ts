/**
 * What a record contributes to the query index (record_fields). Only plaintext values
 * of comparable types are indexed; each value goes to the column whose SQL comparison
 * matches CloudKit's (numbers numerically, strings by code point).
 */
import type { DialectKind } from '../dialect/dialect-kind.js';
import type { IndexEntry, StoredFields } from './record-types.js';

/** The index column a field type compares in, or null for types that are not queryable. */
export type IndexColumn = 'text' | 'int' | 'real';

export function indexColumnOf(fieldType: string): IndexColumn | null {
  switch (fieldType.replace(/_LIST$/, '')) {
    case 'STRING':
    case 'BYTES':
    case 'REFERENCE':
    case 'ASSETID':
      return 'text';
    case 'INT64':
    case 'TIMESTAMP':
      return 'int';
    case 'DOUBLE':
      return 'real';
    default:
      return null;
  }
}

function entryFor(fieldName: string, position: number, column: IndexColumn, value: unknown): IndexEntry | null {
  if (column === 'text') {
    if (typeof value === 'string') return { fieldName, position, text: value };
    // REFERENCE values index their recordName.
    if (typeof value === 'object' && value !== null && 'recordName' in value && typeof value.recordName === 'string') {
      return { fieldName, position, text: value.recordName };
    }
    return null;
  }
  if (column === 'int') {
    if (typeof value === 'string' || (typeof value === 'number' && Number.isInteger(value))) return { fieldName, position, int: String(value) };
    return null;
  }
  return typeof value === 'number' ? { fieldName, position, real: value } : null;
}

export function indexEntriesOf(fields: StoredFields): IndexEntry[] {
  const entries: IndexEntry[] = [];
  for (const [fieldName, field] of Object.entries(fields)) {
    if (field.encrypted) continue;
    const column = indexColumnOf(field.type);
    if (column === null) continue;
    if (field.type.endsWith('_LIST')) {
      if (!Array.isArray(field.value)) continue;
      field.value.forEach((element: unknown, position) => {
        const entry = entryFor(fieldName, position, column, element);
        if (entry) entries.push(entry);
      });
    } else {
      const entry = entryFor(fieldName, 0, column, field.value);
      if (entry) entries.push(entry);
    }
  }
  return entries;
}

/**
 * An INT64 parameter as each driver binds a 64-bit integer exactly: better-sqlite3 takes
 * a BigInt, pg takes the decimal string (a JS number would lose precision above 2^53).
 */
export function int64Param(kind: DialectKind, decimal: string): bigint | string {
  return kind === 'sqlite' ? BigInt(decimal) : decimal;
}
