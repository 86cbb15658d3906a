/**
 * `coffer schema promote`: copies a container's development schema to production.
 * Additive only — it adds record types, fields and queryable indexes and never changes or
 * removes one; if
 * a field differs between the environments (type or encryption), nothing is promoted.
 */
import type { PromoteResult, Store } from '@coffer/storage';

export class SchemaPromoteError extends Error {
  readonly code = 'SCHEMA_CONFLICT';
  constructor(readonly conflicts: PromoteResult['conflicts']) {
    super(
      `schema promote refused: ${conflicts
        .map((c) => `${c.recordType}.${c.fieldName} is ${describe(c.production)} in production but ${describe(c.development)} in development`)
        .join('; ')}`,
    );
    this.name = 'SchemaPromoteError';
  }
}

const describe = (f: { fieldType: string; encrypted: boolean }) => `${f.encrypted ? 'encrypted ' : ''}${f.fieldType}`;

/**
 * Returns what was added; throws SchemaPromoteError (and changes nothing) on a conflict.
 * Fields that became queryable get their production index built from the records already
 * there before this returns.
 */
export async function promoteSchema(store: Store, container: string): Promise<Omit<PromoteResult, 'conflicts'>> {
  const result = await store.schema.promote(container);
  if (result.conflicts.length > 0) throw new SchemaPromoteError(result.conflicts);
  for (const { recordType, fieldName } of result.addedIndexes) {
    await store.records.backfillIndex({ container, environment: 'production', recordType, fieldName });
  }
  return { addedTypes: result.addedTypes, addedFields: result.addedFields, addedIndexes: result.addedIndexes };
}
