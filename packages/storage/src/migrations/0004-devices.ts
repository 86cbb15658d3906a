/**
 * 0004-devices: the device log, join requests, per-device keychain-key copies, the
 * keychain items blob, recovery-key records, recovery contacts (relations, the k-of-n
 * share set, recovery requests), passcode escrow and keychain-reset bookkeeping.
 * Portable DDL only (text/bigint/integer). packages/storage/src/devices/schema.ts says
 * what each column holds and what is never stored.
 */
import type { Kysely, Migration } from 'kysely';

export const migration0004Devices: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('device_account_state')
      .addColumn('owner', 'text', (c) => c.primaryKey())
      .addColumn('log_length', 'bigint', (c) => c.notNull())
      .addColumn('reset_generation', 'bigint', (c) => c.notNull())
      .addColumn('reset_at', 'bigint')
      .execute();

    await db.schema
      .createTable('device_log')
      .addColumn('owner', 'text', (c) => c.notNull())
      .addColumn('seq', 'bigint', (c) => c.notNull())
      .addColumn('entry', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('device_log_pk', ['owner', 'seq'])
      .execute();

    await db.schema
      .createTable('device_join_requests')
      .addColumn('request_id', 'text', (c) => c.primaryKey())
      .addColumn('owner', 'text', (c) => c.notNull())
      .addColumn('public_identity', 'text', (c) => c.notNull())
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('sealed_keychain_key', 'text')
      .addColumn('commitment', 'text')
      .addColumn('approver_nonce', 'text')
      .addColumn('device_nonce', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('device_join_requests_owner').on('device_join_requests').columns(['owner', 'state']).execute();

    await db.schema
      .createTable('device_keychain_copies')
      .addColumn('owner', 'text', (c) => c.notNull())
      .addColumn('device_id', 'text', (c) => c.notNull())
      .addColumn('keychain_key_id', 'text', (c) => c.notNull())
      .addColumn('sealed_key', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('device_keychain_copies_pk', ['owner', 'device_id'])
      .execute();

    await db.schema
      .createTable('keychain_items')
      .addColumn('owner', 'text', (c) => c.primaryKey())
      .addColumn('version', 'bigint', (c) => c.notNull())
      .addColumn('keychain_key_id', 'text', (c) => c.notNull())
      .addColumn('blob', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('recovery_keys')
      .addColumn('owner', 'text', (c) => c.primaryKey())
      .addColumn('recovery_key_id', 'text', (c) => c.notNull())
      .addColumn('salt', 'text', (c) => c.notNull())
      .addColumn('wrapped_keychain_key', 'text', (c) => c.notNull())
      .addColumn('signer_public_key', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('recovery_contacts')
      .addColumn('owner', 'text', (c) => c.notNull())
      .addColumn('contact', 'text', (c) => c.notNull())
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('recovery_contacts_pk', ['owner', 'contact'])
      .execute();
    await db.schema.createIndex('recovery_contacts_contact').on('recovery_contacts').column('contact').execute();

    await db.schema
      .createTable('recovery_contact_sets')
      .addColumn('owner', 'text', (c) => c.primaryKey())
      .addColumn('set_id', 'text', (c) => c.notNull())
      .addColumn('threshold', 'integer', (c) => c.notNull())
      .addColumn('salt', 'text', (c) => c.notNull())
      .addColumn('wrapped_keychain_key', 'text', (c) => c.notNull())
      .addColumn('signer_public_key', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('recovery_contact_shares')
      .addColumn('owner', 'text', (c) => c.notNull())
      .addColumn('contact', 'text', (c) => c.notNull())
      .addColumn('device_id', 'text', (c) => c.notNull())
      .addColumn('sealed_share', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('recovery_contact_shares_pk', ['owner', 'contact', 'device_id'])
      .execute();

    await db.schema
      .createTable('recovery_contact_requests')
      .addColumn('request_id', 'text', (c) => c.primaryKey())
      .addColumn('owner', 'text', (c) => c.notNull())
      .addColumn('contact', 'text', (c) => c.notNull())
      .addColumn('public_identity', 'text', (c) => c.notNull())
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('challenge', 'text')
      .addColumn('proof', 'text')
      .addColumn('proof_attempts_left', 'integer', (c) => c.notNull())
      .addColumn('released_share', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('recovery_contact_requests_owner').on('recovery_contact_requests').columns(['owner', 'contact']).execute();
    await db.schema.createIndex('recovery_contact_requests_contact').on('recovery_contact_requests').column('contact').execute();

    await db.schema
      .createTable('passcode_escrow')
      .addColumn('owner', 'text', (c) => c.primaryKey())
      .addColumn('enrollment_id', 'text', (c) => c.notNull())
      .addColumn('wrapped_keychain_key', 'text', (c) => c.notNull())
      .addColumn('verifier', 'text', (c) => c.notNull())
      .addColumn('attempts_left', 'integer', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('passcode_enrollments')
      .addColumn('owner', 'text', (c) => c.primaryKey())
      .addColumn('enrollment_id', 'text', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('retired_service_keys')
      .addColumn('owner', 'text', (c) => c.notNull())
      .addColumn('key_id', 'text', (c) => c.notNull())
      .addColumn('reset_generation', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('retired_service_keys_pk', ['owner', 'key_id'])
      .execute();
  },

  async down(db: Kysely<unknown>): Promise<void> {
    for (const table of [
      'retired_service_keys', 'passcode_enrollments', 'passcode_escrow', 'recovery_contact_requests', 'recovery_contact_shares',
      'recovery_contact_sets', 'recovery_contacts', 'recovery_keys', 'keychain_items', 'device_keychain_copies',
      'device_join_requests', 'device_log', 'device_account_state',
    ]) {
      await db.schema.dropTable(table).ifExists().execute();
    }
  },
};
