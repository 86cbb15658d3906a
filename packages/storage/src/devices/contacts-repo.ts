/**
 * Recovery contacts: who an owner chose (and whether they accepted), and the owner's
 * contact set — k-of-n shares of a recovery secret, each share sealed to the contact's
 * devices, plus the keychain key wrapped by that secret. The server can open none of it,
 * and no single share (nor fewer than k) reveals the secret.
 */
import { num, scrubDeleted, type DevicesContext } from './db.js';

export type ContactRelationState = 'invited' | 'accepted' | 'declined';

export interface StoredContact {
  owner: string;
  contact: string;
  state: ContactRelationState;
  createdAt: number;
}

export interface StoredContactSet {
  setId: string;
  threshold: number;
  salt: string;
  wrappedKeychainKey: string;
  signerPublicKey: string;
  updatedAt: number;
}

export interface StoredSealedShare {
  deviceId: string;
  sealedShare: string;
}

export interface ContactsRepository {
  /** Inserts an invitation, or re-invites a declined contact; returns the relation now stored. */
  invite(owner: string, contact: string, maxContacts: number): Promise<StoredContact | null>;
  list(owner: string): Promise<StoredContact[]>;
  /** Relations where `contact` is the one chosen (the contact-side view). */
  listAsContact(contact: string): Promise<StoredContact[]>;
  get(owner: string, contact: string): Promise<StoredContact | null>;
  /** Contact side: only an existing invitation or relation changes state. */
  respond(owner: string, contact: string, state: 'accepted' | 'declined'): Promise<boolean>;
  /** Removes the relation, its share and its open recovery requests. */
  remove(owner: string, contact: string): Promise<boolean>;

  putSet(owner: string, set: Omit<StoredContactSet, 'updatedAt'>, shares: readonly { contact: string; sealedShares: readonly StoredSealedShare[] }[]): Promise<void>;
  getSet(owner: string): Promise<StoredContactSet | null>;
  deleteSet(owner: string): Promise<boolean>;
  /** Contacts the stored set holds a share for. */
  shareHolders(owner: string): Promise<string[]>;
  /** The owner's share for one contact, sealed to each of that contact's devices. */
  sharesFor(owner: string, contact: string): Promise<StoredSealedShare[]>;
}

type ContactRow = { owner: string; contact: string; state: string; created_at: number | string };
const toContact = (r: ContactRow): StoredContact => ({ owner: r.owner, contact: r.contact, state: r.state as ContactRelationState, createdAt: num(r.created_at) });

export function createContactsRepository(ctx: DevicesContext): ContactsRepository {
  const { db, now } = ctx;
  return {
    async invite(owner, contact, maxContacts) {
      return db.transaction().execute(async (trx) => {
        const existing = await trx.selectFrom('recovery_contacts').selectAll().where('owner', '=', owner).where('contact', '=', contact).executeTakeFirst();
        if (existing) {
          if (existing.state === 'declined') {
            await trx.updateTable('recovery_contacts').set({ state: 'invited' }).where('owner', '=', owner).where('contact', '=', contact).execute();
            return { ...toContact(existing), state: 'invited' as const };
          }
          return toContact(existing);
        }
        const count = await trx.selectFrom('recovery_contacts').select((eb) => eb.fn.countAll<number | string>().as('n')).where('owner', '=', owner).executeTakeFirstOrThrow();
        if (num(count.n) >= maxContacts) return null;
        const row = { owner, contact, state: 'invited', created_at: now() };
        await trx.insertInto('recovery_contacts').values(row).execute();
        return toContact(row);
      });
    },
    async list(owner) {
      return (await db.selectFrom('recovery_contacts').selectAll().where('owner', '=', owner).orderBy('created_at').orderBy('contact').execute()).map(toContact);
    },
    async listAsContact(contact) {
      return (await db.selectFrom('recovery_contacts').selectAll().where('contact', '=', contact).orderBy('created_at').orderBy('owner').execute()).map(toContact);
    },
    async get(owner, contact) {
      const row = await db.selectFrom('recovery_contacts').selectAll().where('owner', '=', owner).where('contact', '=', contact).executeTakeFirst();
      return row ? toContact(row) : null;
    },
    async respond(owner, contact, state) {
      const result = await db.updateTable('recovery_contacts').set({ state }).where('owner', '=', owner).where('contact', '=', contact).executeTakeFirst();
      if (state === 'declined') {
        // A contact who declines keeps nothing of the owner's: their share goes too.
        await db.deleteFrom('recovery_contact_shares').where('owner', '=', owner).where('contact', '=', contact).execute();
      }
      return Number(result.numUpdatedRows) > 0;
    },
    async remove(owner, contact) {
      return db.transaction().execute(async (trx) => {
        const result = await trx.deleteFrom('recovery_contacts').where('owner', '=', owner).where('contact', '=', contact).executeTakeFirst();
        await trx.deleteFrom('recovery_contact_shares').where('owner', '=', owner).where('contact', '=', contact).execute();
        await trx.deleteFrom('recovery_contact_requests').where('owner', '=', owner).where('contact', '=', contact).execute();
        return Number(result.numDeletedRows) > 0;
      });
    },

    async putSet(owner, set, shares) {
      const at = now();
      await db.transaction().execute(async (trx) => {
        const values = { set_id: set.setId, threshold: set.threshold, salt: set.salt, wrapped_keychain_key: set.wrappedKeychainKey, signer_public_key: set.signerPublicKey, updated_at: at };
        await trx.insertInto('recovery_contact_sets').values({ owner, ...values }).onConflict((oc) => oc.column('owner').doUpdateSet(values)).execute();
        await trx.deleteFrom('recovery_contact_shares').where('owner', '=', owner).execute();
        const rows = shares.flatMap((s) => s.sealedShares.map((d) => ({ owner, contact: s.contact, device_id: d.deviceId, sealed_share: d.sealedShare })));
        if (rows.length > 0) await trx.insertInto('recovery_contact_shares').values(rows).execute();
        // Requests made under the old set would release shares of a secret that no longer applies.
        await trx.deleteFrom('recovery_contact_requests').where('owner', '=', owner).execute();
      });
      await scrubDeleted(ctx);
    },
    async getSet(owner) {
      const row = await db.selectFrom('recovery_contact_sets').selectAll().where('owner', '=', owner).executeTakeFirst();
      if (!row) return null;
      return { setId: row.set_id, threshold: num(row.threshold), salt: row.salt, wrappedKeychainKey: row.wrapped_keychain_key, signerPublicKey: row.signer_public_key, updatedAt: num(row.updated_at) };
    },
    async deleteSet(owner) {
      const deleted = await db.transaction().execute(async (trx) => {
        const result = await trx.deleteFrom('recovery_contact_sets').where('owner', '=', owner).executeTakeFirst();
        await trx.deleteFrom('recovery_contact_shares').where('owner', '=', owner).execute();
        await trx.deleteFrom('recovery_contact_requests').where('owner', '=', owner).execute();
        return Number(result.numDeletedRows) > 0;
      });
      await scrubDeleted(ctx);
      return deleted;
    },
    async shareHolders(owner) {
      const rows = await db.selectFrom('recovery_contact_shares').select('contact').distinct().where('owner', '=', owner).orderBy('contact').execute();
      return rows.map((r) => r.contact);
    },
    async sharesFor(owner, contact) {
      const rows = await db.selectFrom('recovery_contact_shares').select(['device_id', 'sealed_share']).where('owner', '=', owner).where('contact', '=', contact).orderBy('device_id').execute();
      return rows.map((r) => ({ deviceId: r.device_id, sealedShare: r.sealed_share }));
    },
  };
}
