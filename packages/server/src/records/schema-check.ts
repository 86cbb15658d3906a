/**
 * The schema rules of a write:
 * - development learns new record types and fields just-in-time; production refuses them
 *   (they arrive through `coffer schema promote`);
 * - a field keeps its type, and is plaintext or encrypted forever;
 * - the public database takes no encrypted fields.
 */
import type { Environment, DatabaseScope } from '@coffer/protocol';
import type { ContainerSchema, SchemaField } from '@coffer/storage';
import type { DecodedField } from './field-decode.js';
import { isEncryptedField } from './field-decode.js';
import { recordBadRequest } from './record-error.js';

/** Fields first seen in this request, per record type (development only). */
export type PendingSchema = Map<string, Map<string, SchemaField>>;

export interface SchemaCheckContext {
  environment: Environment;
  scope: DatabaseScope;
  schema: ContainerSchema;
  /** Collects new fields; null after learning, when everything must already be known. */
  pending: PendingSchema | null;
}

const describe = (encrypted: boolean) => (encrypted ? 'encrypted' : 'plaintext');

export function checkRecordSchema(ctx: SchemaCheckContext, recordType: string, fields: Record<string, DecodedField>): void {
  const known = ctx.schema.get(recordType);
  if (!known && ctx.environment === 'production') {
    throw recordBadRequest(`record type ${recordType} is not in the production schema; save it in development and run \`coffer schema promote\``);
  }
  for (const [name, field] of Object.entries(fields)) {
    if (field.kind === 'remove') continue;
    const encrypted = isEncryptedField(field);
    if (encrypted && ctx.scope === 'public') {
      throw recordBadRequest(`field ${name} is encrypted; encrypted fields are not allowed in the public database (anyone with access can read it)`);
    }
    const declared = known?.fields.get(name) ?? ctx.pending?.get(recordType)?.get(name);
    if (declared) {
      if (declared.fieldType !== field.type) {
        throw recordBadRequest(`field ${recordType}.${name} has type ${declared.fieldType} in the schema; cannot write a ${field.type}`);
      }
      if (declared.encrypted !== encrypted) {
        throw recordBadRequest(
          `field ${recordType}.${name} is ${describe(declared.encrypted)} in the schema and cannot be written ${describe(encrypted)}: a field is plaintext or encrypted forever`,
        );
      }
      continue;
    }
    if (ctx.environment === 'production') {
      throw recordBadRequest(`field ${recordType}.${name} is not in the production schema; save it in development and run \`coffer schema promote\``);
    }
    if (ctx.pending === null) throw recordBadRequest(`field ${recordType}.${name} could not be added to the schema`);
    let forType = ctx.pending.get(recordType);
    if (!forType) {
      forType = new Map<string, SchemaField>();
      ctx.pending.set(recordType, forType);
    }
    forType.set(name, { fieldName: name, fieldType: field.type, encrypted });
  }
}
