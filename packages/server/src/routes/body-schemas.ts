/**
 * JSON Schemas of the request bodies (Fastify validates them before a handler runs; a
 * violation is a top-level BAD_REQUEST naming the path and rule). They check structure
 * only down to each record: a record's own content (names, field types, values) is
 * checked by the record codec so one bad record fails alone, as CloudKit does.
 */
import { DatabaseScopes, Environments, Limits, NamePatterns, OperationTypes, ZoneOperationTypes, Comparators } from '@coffer/protocol';

const src = (re: RegExp) => re.source;

export const paramsSchema = {
  type: 'object',
  required: ['container', 'environment', 'database'],
  properties: {
    container: { type: 'string', maxLength: Limits.nameLength, pattern: src(NamePatterns.container) },
    environment: { type: 'string', enum: [...Environments] },
    database: { type: 'string', enum: [...DatabaseScopes] },
  },
} as const;

const zoneName = { type: 'string', minLength: 1, maxLength: Limits.nameLength };
export const zoneIdSchema = {
  type: 'object',
  required: ['zoneName'],
  additionalProperties: false,
  properties: { zoneName, ownerRecordName: { type: 'string', maxLength: Limits.nameLength } },
} as const;

const desiredKeys = { type: 'array', maxItems: Limits.fieldsPerRecord, items: { type: 'string', maxLength: Limits.fieldNameLength } } as const;
const resultsLimit = { type: 'integer', minimum: 1 } as const;
const syncToken = { type: 'string', maxLength: 4096 } as const;
const recordObject = { type: 'object' } as const;

export const recordsModifySchema = {
  type: 'object',
  required: ['operations'],
  additionalProperties: false,
  properties: {
    operations: {
      type: 'array',
      minItems: 1,
      maxItems: Limits.operationsPerRequest,
      items: {
        type: 'object',
        required: ['operationType', 'record'],
        additionalProperties: false,
        properties: { operationType: { type: 'string', enum: [...OperationTypes] }, record: recordObject, desiredKeys },
      },
    },
    zoneID: zoneIdSchema,
    atomic: { type: 'boolean' },
    numbersAsStrings: { type: 'boolean' },
    desiredKeys,
  },
} as const;

export const recordsLookupSchema = {
  type: 'object',
  required: ['records'],
  additionalProperties: false,
  properties: {
    records: {
      type: 'array',
      minItems: 1,
      maxItems: Limits.recordsPerResponse,
      items: { type: 'object', required: ['recordName'], properties: { recordName: { type: 'string' } } },
    },
    zoneID: zoneIdSchema,
    desiredKeys,
    numbersAsStrings: { type: 'boolean' },
  },
} as const;

const fieldValue = {
  type: 'object',
  required: ['value'],
  additionalProperties: false,
  properties: { value: {}, type: { type: 'string' } },
} as const;

export const recordsQuerySchema = {
  type: 'object',
  required: ['query'],
  additionalProperties: false,
  properties: {
    zoneID: zoneIdSchema,
    resultsLimit,
    query: {
      type: 'object',
      required: ['recordType'],
      additionalProperties: false,
      properties: {
        recordType: { type: 'string', minLength: 1, maxLength: Limits.nameLength },
        filterBy: {
          type: 'array',
          maxItems: 64,
          items: {
            type: 'object',
            required: ['comparator', 'fieldName', 'fieldValue'],
            additionalProperties: false,
            properties: {
              comparator: { type: 'string', enum: [...Comparators] },
              fieldName: { type: 'string', minLength: 1, maxLength: Limits.fieldNameLength },
              fieldValue,
            },
          },
        },
        sortBy: {
          type: 'array',
          maxItems: 8,
          items: {
            type: 'object',
            required: ['fieldName'],
            additionalProperties: false,
            properties: { fieldName: { type: 'string', minLength: 1, maxLength: Limits.fieldNameLength }, ascending: { type: 'boolean' } },
          },
        },
      },
    },
    desiredKeys,
    continuationMarker: { type: 'string', maxLength: 8192 },
    numbersAsStrings: { type: 'boolean' },
  },
} as const;

export const recordsChangesSchema = {
  type: 'object',
  required: ['zoneID'],
  additionalProperties: false,
  properties: { zoneID: zoneIdSchema, syncToken, resultsLimit, desiredKeys, numbersAsStrings: { type: 'boolean' } },
} as const;

export const zonesLookupSchema = {
  type: 'object',
  required: ['zones'],
  additionalProperties: false,
  properties: { zones: { type: 'array', minItems: 1, maxItems: Limits.operationsPerRequest, items: zoneIdSchema } },
} as const;

const wrappedZoneKey = {
  type: 'object',
  required: ['version', 'serviceKeyId', 'wrappedKey'],
  additionalProperties: false,
  properties: {
    version: { type: 'integer', minimum: 1 },
    serviceKeyId: { type: 'string', minLength: 1, maxLength: 128 },
    wrappedKey: { type: 'string', minLength: 1, maxLength: 4096, pattern: '^[A-Za-z0-9+/_-]*={0,2}$' },
  },
} as const;

export const zonesModifySchema = {
  type: 'object',
  required: ['operations'],
  additionalProperties: false,
  properties: {
    operations: {
      type: 'array',
      minItems: 1,
      maxItems: Limits.operationsPerRequest,
      items: {
        type: 'object',
        required: ['operationType', 'zone'],
        additionalProperties: false,
        properties: {
          operationType: { type: 'string', enum: [...ZoneOperationTypes] },
          zone: {
            type: 'object',
            required: ['zoneID'],
            additionalProperties: false,
            properties: {
              zoneID: zoneIdSchema,
              atomic: { type: 'boolean' },
              syncToken: { type: 'string' },
              zoneKeys: { type: 'array', maxItems: 64, items: wrappedZoneKey },
            },
          },
        },
      },
    },
  },
} as const;

export const zonesChangesSchema = {
  type: 'object',
  additionalProperties: false,
  properties: { syncToken, resultsLimit },
} as const;

export const zoneChangesSchema = {
  type: 'object',
  required: ['zones'],
  additionalProperties: false,
  properties: {
    zones: {
      type: 'array',
      minItems: 1,
      maxItems: Limits.operationsPerRequest,
      items: {
        type: 'object',
        required: ['zoneID'],
        additionalProperties: false,
        properties: { zoneID: zoneIdSchema, syncToken, resultsLimit, desiredKeys },
      },
    },
    numbersAsStrings: { type: 'boolean' },
  },
} as const;

const base64 = (maxLength: number) => ({ type: 'string', minLength: 1, maxLength, pattern: '^[A-Za-z0-9+/]*={0,2}$' }) as const;

/** keys/service/modify takes one ServiceKeyUpload (protocol keys.ts). */
export const serviceKeysModifySchema = {
  type: 'object',
  required: ['keyId', 'version', 'wrappedByKeychain'],
  additionalProperties: false,
  properties: {
    keyId: { type: 'string', minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9._:-]+$' },
    version: { type: 'integer', minimum: 1 },
    category: { type: 'string', minLength: 1, maxLength: 300, pattern: '^[A-Za-z0-9][A-Za-z0-9._:-]*$' },
    wrappedByKeychain: base64(8192),
    escrowSealed: base64(8192),
  },
} as const;

export const serviceKeysLookupSchema = { type: 'object', additionalProperties: false, properties: {} } as const;

export const serviceKeyRecoverSchema = {
  type: 'object',
  required: ['keyId'],
  additionalProperties: false,
  properties: { keyId: { type: 'string', minLength: 1, maxLength: 128 } },
} as const;
