/**
 * Queryable fields. Writes index only fields the schema marks queryable (CloudKit's
 * QUERYABLE/SORTABLE indexes), which keeps writes cheap: a record pays for the fields
 * apps actually filter or sort on. In development, the first query on a field makes it
 * queryable and builds its index from the records already saved; production gets
 * indexes only from `coffer schema promote`, and refuses queries on other fields.
 */
import { SystemQueryFields, isFieldType, type QueryFilter, type QuerySort } from '@coffer/protocol';
import { indexColumnOf, type ContainerSchema } from '@coffer/storage';
import { badRequest } from '../http/cloud-error.js';
import type { RequestTarget } from '../http/request-target.js';
import type { ApiContext } from '../routes/api-context.js';

const SYSTEM_FIELDS = new Set<string>(Object.values(SystemQueryFields));

/** Makes sure every field the query filters or sorts on is queryable (development) or refuses (production). */
export async function ensureQueryable(ctx: ApiContext, target: RequestTarget, recordType: string, schema: ContainerSchema, filters: readonly QueryFilter[], sorts: readonly QuerySort[]): Promise<void> {
  const names = new Set([...filters.map((f) => f.fieldName), ...sorts.map((s) => s.fieldName)]);
  for (const fieldName of names) {
    if (SYSTEM_FIELDS.has(fieldName)) continue;
    const field = schema.get(recordType)?.fields.get(fieldName);
    // Unknown, encrypted and unindexable fields are refused by the planner with their own reasons.
    if (!field || field.encrypted || field.indexed === true || !isFieldType(field.fieldType) || indexColumnOf(field.fieldType) === null) continue;
    if (target.environment === 'production') {
      throw badRequest(
        `field ${recordType}.${fieldName} is not queryable in production; query it in development (which indexes it) and run \`coffer schema promote\``,
      );
    }
    if (await ctx.store.schema.markIndexed(target.container, target.environment, recordType, fieldName)) {
      await ctx.store.records.backfillIndex({ container: target.container, environment: target.environment, recordType, fieldName });
    }
    field.indexed = true;
  }
}
