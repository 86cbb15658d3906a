/**
 * CloudKit filterBy/sortBy → storage QuerySpec, checked against the schema. What the
 * server cannot answer is refused with a reason: encrypted fields (it cannot read them),
 * LOCATION/ASSET fields (not indexed; NEAR is not supported), comparators that do not fit
 * the field (LIST_CONTAINS on a scalar, BEGINS_WITH on a number, …).
 */
import { SystemQueryFields, isFieldType, type FieldType, type QueryFilter, type QuerySort } from '@coffer/protocol';
import { indexColumnOf, type ContainerSchema, type QueryFilterSpec, type QueryOperand, type QuerySortSpec, type QueryValue } from '@coffer/storage';
import { badRequest } from '../http/cloud-error.js';
import { ValueError, isListType, normalizeValue, scalarTypeOf } from './value-codec.js';

interface ResolvedOperand {
  operand: QueryOperand;
  /** The type values are compared as (scalar). */
  valueType: FieldType;
  list: boolean;
}

function resolveOperand(schema: ContainerSchema, recordType: string, fieldName: string, use: 'filter' | 'sort'): ResolvedOperand {
  if (fieldName === SystemQueryFields.recordName) return { operand: { source: 'system', column: 'recordName' }, valueType: 'REFERENCE', list: false };
  if (fieldName === SystemQueryFields.createdAt) return { operand: { source: 'system', column: 'createdAt' }, valueType: 'TIMESTAMP', list: false };
  if (fieldName === SystemQueryFields.modifiedAt) return { operand: { source: 'system', column: 'modifiedAt' }, valueType: 'TIMESTAMP', list: false };
  const field = schema.get(recordType)?.fields.get(fieldName);
  const verb = use === 'filter' ? 'queried' : 'sorted on';
  if (!field) throw badRequest(`field ${fieldName} is not in the schema of record type ${recordType}`);
  if (field.encrypted) {
    throw badRequest(`field ${fieldName} is encrypted and cannot be ${verb}: the server cannot read encrypted fields, so they have no index`);
  }
  const type = field.fieldType as FieldType;
  const column = indexColumnOf(type);
  if (column === null) throw badRequest(`field ${fieldName} of type ${type} cannot be ${verb}`);
  const list = isListType(type);
  return { operand: { source: 'field', fieldName, column, list }, valueType: scalarTypeOf(type), list };
}

function queryValue(resolved: ResolvedOperand, raw: unknown, fieldName: string): QueryValue {
  if (resolved.operand.source === 'system' && resolved.operand.column === 'recordName' && typeof raw === 'string') return raw;
  let value: unknown;
  try {
    value = normalizeValue(resolved.valueType, raw);
  } catch (error) {
    if (error instanceof ValueError) throw badRequest(`filter on ${fieldName}: ${error.message}`);
    throw error;
  }
  if (typeof value === 'object' && value !== null && 'recordName' in value) return (value as { recordName: string }).recordName;
  if (typeof value === 'string' || typeof value === 'number') return value;
  throw badRequest(`filter on ${fieldName}: this value cannot be compared`);
}

export function planFilter(schema: ContainerSchema, recordType: string, filter: QueryFilter): QueryFilterSpec {
  const { comparator, fieldName } = filter;
  const resolved = resolveOperand(schema, recordType, fieldName, 'filter');
  const given = filter.fieldValue.type;
  if (given !== undefined) {
    if (!isFieldType(given)) throw badRequest(`filter on ${fieldName}: unknown type ${String(given).slice(0, 40)}`);
    if (scalarTypeOf(given) !== resolved.valueType) throw badRequest(`filter on ${fieldName}: the field is ${resolved.valueType}, the value is ${given}`);
  }
  if (resolved.list !== (comparator === 'LIST_CONTAINS')) {
    throw badRequest(
      resolved.list
        ? `field ${fieldName} is a list; filter it with LIST_CONTAINS`
        : `LIST_CONTAINS needs a list field; ${fieldName} is a single ${resolved.valueType}`,
    );
  }
  if (comparator === 'BEGINS_WITH' && resolved.valueType !== 'STRING' && !(resolved.operand.source === 'system' && resolved.operand.column === 'recordName')) {
    throw badRequest(`BEGINS_WITH needs a STRING field; ${fieldName} is ${resolved.valueType}`);
  }
  const raw = filter.fieldValue.value;
  let values: QueryValue[];
  if (comparator === 'IN' || comparator === 'NOT_IN') {
    if (!Array.isArray(raw) || raw.length === 0 || raw.length > 200) throw badRequest(`${comparator} on ${fieldName} needs a list of 1–200 values`);
    values = raw.map((v) => queryValue(resolved, v, fieldName));
  } else {
    values = [queryValue(resolved, raw, fieldName)];
  }
  return { operand: resolved.operand, comparator, values };
}

export function planSort(schema: ContainerSchema, recordType: string, sort: QuerySort): QuerySortSpec {
  const resolved = resolveOperand(schema, recordType, sort.fieldName, 'sort');
  if (resolved.list) throw badRequest(`field ${sort.fieldName} is a list and cannot be sorted on`);
  return { operand: resolved.operand, ascending: sort.ascending !== false };
}
