/** A container (`iCloud.com.example.app`-style id) and its three databases in one environment. */
import type { Environment, UsersCallerResponse } from '@coffer/protocol';
import { Database } from './database.js';
import { DatabaseContext, type AccountAccess } from './database-context.js';
import type { Transport } from './transport/http.js';
import { databasePath } from './paths.js';

export interface ContainerOptions {
  /** `development` (default; the schema learns new fields on save) or `production`. */
  environment?: Environment;
}

export class Container {
  readonly containerIdentifier: string;
  readonly environment: Environment;
  /** The signed-in user's private database (encrypted fields allowed). */
  readonly privateDatabase: Database;
  /** Zones other users shared with the signed-in user. */
  readonly sharedDatabase: Database;
  /** The container's public database (no encrypted fields). */
  readonly publicDatabase: Database;

  /** @internal */
  constructor(
    private readonly transport: Transport,
    containerIdentifier: string,
    account: AccountAccess,
    options: ContainerOptions = {},
  ) {
    this.containerIdentifier = containerIdentifier;
    this.environment = options.environment ?? 'development';
    const make = (scope: 'private' | 'shared' | 'public'): Database =>
      new Database(new DatabaseContext(transport, containerIdentifier, this.environment, scope, account));
    this.privateDatabase = make('private');
    this.sharedDatabase = make('shared');
    this.publicDatabase = make('public');
  }

  /** CloudKit JS name of {@link Container.privateDatabase}. */
  get privateCloudDatabase(): Database {
    return this.privateDatabase;
  }
  /** CloudKit JS name of {@link Container.sharedDatabase}. */
  get sharedCloudDatabase(): Database {
    return this.sharedDatabase;
  }
  /** CloudKit JS name of {@link Container.publicDatabase}. */
  get publicCloudDatabase(): Database {
    return this.publicDatabase;
  }

  /** The signed-in user as the server sees them (`users/caller`), including the protection mode. */
  fetchCurrentUserIdentity(): Promise<UsersCallerResponse> {
    return this.transport.get<UsersCallerResponse>(databasePath(this.containerIdentifier, this.environment, 'private', 'users/caller'));
  }
}
