/** The record area's repositories, as part of the Store. */
import type { Kysely } from 'kysely';
import type { DatabaseSchema } from './database-schema.js';
import type { DialectKind } from './dialect/dialect-kind.js';
import { createDatabasesRepository, type DatabasesRepository } from './databases/database-repository.js';
import { createServiceKeysRepository, type ServiceKeysRepository } from './keys/service-key-repository.js';
import { createMetaRepository, type MetaRepository } from './meta/meta-repository.js';
import { createRecordsRepository, type RecordsRepository } from './records/record-repository.js';
import { createSchemaRepository, type SchemaRepository } from './schema/schema-repository.js';
import { createUsageRepository, type UsageRepository } from './usage/usage-repository.js';
import { createZonesRepository, type ZonesRepository } from './zones/zone-repository.js';

export interface CloudStore {
  readonly databases: DatabasesRepository;
  readonly zones: ZonesRepository;
  readonly records: RecordsRepository;
  readonly schema: SchemaRepository;
  readonly usage: UsageRepository;
  readonly serviceKeys: ServiceKeysRepository;
  readonly meta: MetaRepository;
}

export function createCloudStore(db: Kysely<DatabaseSchema>, kind: DialectKind): CloudStore {
  return {
    databases: createDatabasesRepository(db, kind),
    zones: createZonesRepository(db, kind),
    records: createRecordsRepository(db, kind),
    schema: createSchemaRepository(db),
    usage: createUsageRepository(db),
    serviceKeys: createServiceKeysRepository(db),
    meta: createMetaRepository(db),
  };
}
