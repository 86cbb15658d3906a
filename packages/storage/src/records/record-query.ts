/**
 * Compiles a QuerySpec to one SQL statement that runs unchanged on SQLite and PostgreSQL.
 *
 * Filters are `id in` / `id not in` probes into record_fields, whose (zone, type, field,
 * value) indexes serve them; sorts LEFT JOIN the field's scalar row. Paging is keyset
 * (seek) based on the sort keys plus the row id, so pages neither skip nor repeat records
 * that stay unchanged while a client pages, however deep it goes. NULL (a record without
 * the field) sorts last ascending and first descending.
 */
import { sql, type Kysely, type RawBuilder, type Selectable } from 'kysely';
import { TEXT_INDEX_PREFIX } from '../migrations/0001-records.js';
import type { DatabaseSchema } from '../database-schema.js';
import type { DialectKind } from '../dialect/dialect-kind.js';
import { int64Param } from './field-index.js';
import type { QueryFilterSpec, QueryOperand, QueryPage, QuerySortSpec, QuerySpec, QueryValue } from './query-types.js';
import type { RecordsTable } from './record-tables.js';
import { toStoredRecord } from './record-rows.js';

type Cond = RawBuilder<unknown>;

const SYSTEM_COLUMNS = { recordName: 'record_name', createdAt: 'created_at', modifiedAt: 'modified_at' } as const;
const VALUE_COLUMNS = { text: 'v_text', int: 'v_int', real: 'v_real' } as const;

const codePoints = (s: string) => Array.from(s);

export async function runQuery(db: Kysely<DatabaseSchema>, kind: DialectKind, zoneId: number, spec: QuerySpec): Promise<QueryPage> {
  const param = (operand: QueryOperand, value: QueryValue): unknown =>
    operand.source === 'field' && operand.column === 'int' ? int64Param(kind, String(value)) : value;

  const conditions: Cond[] = [sql`r.zone_id = ${zoneId}`, sql`r.record_type = ${spec.recordType}`, sql`r.deleted = 0`];
  for (const filter of spec.filters) conditions.push(filterCondition(filter, zoneId, spec.recordType, param));

  const joins: Cond[] = [];
  const keyExprs: Cond[] = [];
  spec.sorts.forEach((sort, i) => {
    if (sort.operand.source === 'system') {
      keyExprs.push(sql.ref(`r.${SYSTEM_COLUMNS[sort.operand.column]}`));
      return;
    }
    const alias = `s${i}`;
    joins.push(
      sql`left join record_fields ${sql.id(alias)} on ${sql.ref(`${alias}.record_id`)} = r.id and ${sql.ref(`${alias}.field_name`)} = ${sort.operand.fieldName} and ${sql.ref(`${alias}.position`)} = 0`,
    );
    keyExprs.push(sql.ref(`${alias}.${VALUE_COLUMNS[sort.operand.column]}`));
  });

  if (spec.after) conditions.push(afterCondition(spec.sorts, keyExprs, spec.after.keys, spec.after.id, param));

  const order: Cond[] = [];
  spec.sorts.forEach((sort, i) => {
    const key = keyExprs[i]!;
    order.push(sort.ascending ? sql`(${key} is null) asc, ${key} asc` : sql`(${key} is null) desc, ${key} desc`);
  });
  order.push(sql`r.id asc`);

  // INT64 keys travel as text so the cursor keeps all 64 bits.
  const keySelects = spec.sorts.map((sort, i) =>
    sort.operand.source === 'field' && sort.operand.column === 'int' ? sql`cast(${keyExprs[i]!} as text) as ${sql.id(`k${i}`)}` : sql`${keyExprs[i]!} as ${sql.id(`k${i}`)}`,
  );

  const query = sql<Selectable<RecordsTable> & Record<string, string | number | null>>`
    select r.*${keySelects.length > 0 ? sql`, ${sql.join(keySelects)}` : sql``}
    from records r ${sql.join(joins, sql` `)}
    where ${sql.join(conditions, sql` and `)}
    order by ${sql.join(order)}
    limit ${spec.limit + 1}`;
  const { rows } = await query.execute(db);

  const page = rows.slice(0, spec.limit);
  const last = page.at(-1);
  const next =
    rows.length > spec.limit && last
      ? { keys: spec.sorts.map((_, i) => last[`k${i}`] ?? null), id: last.id }
      : null;
  return { records: page.map(toStoredRecord), next };
}

function filterCondition(filter: QueryFilterSpec, zoneId: number, recordType: string, param: (o: QueryOperand, v: QueryValue) => unknown): Cond {
  const { operand, comparator, values } = filter;
  const first = values[0]!;
  if (operand.source === 'system') {
    const col = sql.ref(`r.${SYSTEM_COLUMNS[operand.column]}`);
    return compare(col, comparator, values, (v) => v, first);
  }
  const col = sql.ref(`f.${VALUE_COLUMNS[operand.column]}`);
  // An uncorrelated `r.id in (…)` semi-join: both engines evaluate the probe once through
  // the (zone, type, field, value) index. A correlated EXISTS would rescan that index
  // range for every candidate record — quadratic in the zone's size.
  const probe = (cond: Cond) =>
    sql`r.id in (select f.record_id from record_fields f where f.zone_id = ${zoneId} and f.record_type = ${recordType} and f.field_name = ${operand.fieldName} and ${col} is not null${operand.list ? sql`` : sql` and f.position = 0`} and ${cond})`;
  const p = (v: QueryValue) => param(operand, v);

  // Equality on text also compares the indexed prefix so the expression index is used.
  const textPrefix = (v: QueryValue) => codePoints(String(v)).slice(0, TEXT_INDEX_PREFIX).join('');
  const prefixed = operand.column === 'text';
  switch (comparator) {
    case 'EQUALS':
    case 'LIST_CONTAINS':
      return probe(prefixed ? sql`substr(f.v_text, 1, ${sql.lit(TEXT_INDEX_PREFIX)}) = ${textPrefix(first)} and ${col} = ${p(first)}` : sql`${col} = ${p(first)}`);
    case 'NOT_EQUALS':
      return sql`not ${probe(sql`${col} = ${p(first)}`)}`;
    case 'IN':
      return probe(
        prefixed
          ? sql`substr(f.v_text, 1, ${sql.lit(TEXT_INDEX_PREFIX)}) in (${sql.join(values.map(textPrefix))}) and ${col} in (${sql.join(values.map(p))})`
          : sql`${col} in (${sql.join(values.map(p))})`,
      );
    case 'NOT_IN':
      return sql`not ${probe(sql`${col} in (${sql.join(values.map(p))})`)}`;
    default:
      return probe(compare(col, comparator, values, p, first));
  }
}

function compare(col: Cond, comparator: QueryFilterSpec['comparator'], values: QueryValue[], p: (v: QueryValue) => unknown, first: QueryValue): Cond {
  switch (comparator) {
    case 'EQUALS':
    case 'LIST_CONTAINS':
      return sql`${col} = ${p(first)}`;
    case 'NOT_EQUALS':
      return sql`${col} <> ${p(first)}`;
    case 'LESS_THAN':
      return sql`${col} < ${p(first)}`;
    case 'LESS_THAN_OR_EQUALS':
      return sql`${col} <= ${p(first)}`;
    case 'GREATER_THAN':
      return sql`${col} > ${p(first)}`;
    case 'GREATER_THAN_OR_EQUALS':
      return sql`${col} >= ${p(first)}`;
    case 'IN':
      return sql`${col} in (${sql.join(values.map(p))})`;
    case 'NOT_IN':
      return sql`${col} not in (${sql.join(values.map(p))})`;
    case 'BEGINS_WITH': {
      const prefix = String(first);
      // substr counts code points on both engines, like Array.from does.
      return sql`substr(${col}, 1, ${codePoints(prefix).length}) = ${prefix}`;
    }
  }
}

/**
 * The seek condition "strictly after the cursor in sort order", expanded per key:
 * (k0 after c0) or (k0 = c0 and k1 after c1) or … or (all equal and id > cursor id).
 * Each key's "after" and "equal" fold the cursor's NULL-ness in as constants.
 */
function afterCondition(
  sorts: QuerySortSpec[],
  keys: Cond[],
  cursor: (string | number | null)[],
  id: number,
  param: (o: QueryOperand, v: QueryValue) => unknown,
): Cond {
  const alternatives: Cond[] = [];
  const equalSoFar: Cond[] = [];
  sorts.forEach((sort, i) => {
    const key = keys[i]!;
    const c = cursor[i] ?? null;
    let after: Cond;
    let equal: Cond;
    if (c === null) {
      after = sort.ascending ? sql`1 = 0` : sql`${key} is not null`;
      equal = sql`${key} is null`;
    } else {
      const v = param(sort.operand, c);
      after = sort.ascending ? sql`(${key} is null or ${key} > ${v})` : sql`${key} < ${v}`;
      equal = sql`${key} = ${v}`;
    }
    alternatives.push(equalSoFar.length > 0 ? sql`(${sql.join([...equalSoFar, after], sql` and `)})` : after);
    equalSoFar.push(equal);
  });
  const idAfter = sql`r.id > ${id}`;
  alternatives.push(equalSoFar.length > 0 ? sql`(${sql.join([...equalSoFar, idAfter], sql` and `)})` : idAfter);
  return sql`(${sql.join(alternatives, sql` or `)})`;
}
