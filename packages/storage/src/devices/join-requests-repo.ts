/**
 * Join requests: a new device (signed in to the account) asks to be added; a trusted
 * device approves (storing the keychain key sealed to the new device) or denies.
 * Requests expire; expiry is computed from `expires_at` at read time, so no sweeper is
 * needed for correctness (expired rows are pruned when new requests are made).
 */
import { num, type DevicesContext } from './db.js';

export type StoredJoinState = 'pending' | 'approved' | 'denied' | 'expired';

export interface StoredJoinRequest {
  requestId: string;
  owner: string;
  publicIdentity: string;
  state: StoredJoinState;
  sealedKeychainKey: string | null;
  commitment: string | null;
  approverNonce: string | null;
  deviceNonce: string | null;
  createdAt: number;
  expiresAt: number;
}

export type JoinDecision =
  | { ok: true; request: StoredJoinRequest }
  | { ok: false; reason: 'not-found' | 'not-pending'; request?: StoredJoinRequest };

export interface JoinRequestsRepository {
  /** Creates a pending request unless the account already has `maxPending` unexpired pending ones (then null). */
  create(request: { requestId: string; owner: string; publicIdentity: string; commitment?: string; ttlMs: number }, maxPending: number): Promise<StoredJoinRequest | null>;
  /** The owner's request (another account's id reads as absent). */
  get(owner: string, requestId: string): Promise<StoredJoinRequest | null>;
  /** Unexpired pending requests, oldest first. */
  pending(owner: string): Promise<StoredJoinRequest[]>;
  /**
   * Approves a pending, unexpired request; when `copy` is given also stores that device's
   * keychain-key copy, in the same transaction.
   */
  approve(owner: string, requestId: string, sealedKeychainKey: string, copy?: { deviceId: string; keychainKeyId: string }): Promise<JoinDecision>;
  deny(owner: string, requestId: string): Promise<JoinDecision>;
  /** Sets one nonce of a pending, unexpired request; each can be set once. */
  setNonce(owner: string, requestId: string, which: 'approver' | 'device', nonce: string): Promise<JoinDecision>;
}

type Row = {
  request_id: string; owner: string; public_identity: string; state: string; sealed_keychain_key: string | null;
  commitment: string | null; approver_nonce: string | null; device_nonce: string | null; created_at: number | string; expires_at: number | string;
};

export function createJoinRequestsRepository({ db, now }: DevicesContext): JoinRequestsRepository {
  const toRequest = (r: Row): StoredJoinRequest => {
    const expiresAt = num(r.expires_at);
    const state = r.state === 'pending' && expiresAt <= now() ? 'expired' : (r.state as StoredJoinState);
    return {
      requestId: r.request_id, owner: r.owner, publicIdentity: r.public_identity, state, sealedKeychainKey: r.sealed_keychain_key,
      commitment: r.commitment, approverNonce: r.approver_nonce, deviceNonce: r.device_nonce, createdAt: num(r.created_at), expiresAt,
    };
  };
  const get = async (owner: string, requestId: string) => {
    const row = await db.selectFrom('device_join_requests').selectAll().where('owner', '=', owner).where('request_id', '=', requestId).executeTakeFirst();
    return row ? toRequest(row) : null;
  };

  async function decide(owner: string, requestId: string, state: 'approved' | 'denied', sealed: string | null, copy?: { deviceId: string; keychainKeyId: string }): Promise<JoinDecision> {
    return db.transaction().execute(async (trx): Promise<JoinDecision> => {
      const at = now();
      // The state and expiry conditions in the WHERE make the decision race-free: one decision wins.
      const result = await trx
        .updateTable('device_join_requests')
        .set({ state, sealed_keychain_key: sealed })
        .where('owner', '=', owner)
        .where('request_id', '=', requestId)
        .where('state', '=', 'pending')
        .where('expires_at', '>', at)
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) === 0) {
        const row = await trx.selectFrom('device_join_requests').selectAll().where('owner', '=', owner).where('request_id', '=', requestId).executeTakeFirst();
        return row ? { ok: false, reason: 'not-pending', request: toRequest(row) } : { ok: false, reason: 'not-found' };
      }
      if (copy && sealed !== null) {
        await trx
          .insertInto('device_keychain_copies')
          .values({ owner, device_id: copy.deviceId, keychain_key_id: copy.keychainKeyId, sealed_key: sealed, updated_at: at })
          .onConflict((oc) => oc.columns(['owner', 'device_id']).doUpdateSet({ keychain_key_id: copy.keychainKeyId, sealed_key: sealed, updated_at: at }))
          .execute();
      }
      const row = await trx.selectFrom('device_join_requests').selectAll().where('request_id', '=', requestId).executeTakeFirstOrThrow();
      return { ok: true, request: toRequest(row) };
    });
  }

  return {
    async create({ requestId, owner, publicIdentity, commitment, ttlMs }, maxPending) {
      const at = now();
      return db.transaction().execute(async (trx) => {
        // Pruning old undecided requests keeps the table bounded without a background job.
        await trx.deleteFrom('device_join_requests').where('owner', '=', owner).where('expires_at', '<=', at - ttlMs).execute();
        const open = await trx
          .selectFrom('device_join_requests')
          .select((eb) => eb.fn.countAll<number | string>().as('n'))
          .where('owner', '=', owner)
          .where('state', '=', 'pending')
          .where('expires_at', '>', at)
          .executeTakeFirstOrThrow();
        if (num(open.n) >= maxPending) return null;
        const row = {
          request_id: requestId, owner, public_identity: publicIdentity, state: 'pending', sealed_keychain_key: null,
          commitment: commitment ?? null, approver_nonce: null, device_nonce: null, created_at: at, expires_at: at + ttlMs,
        };
        await trx.insertInto('device_join_requests').values(row).execute();
        return toRequest(row);
      });
    },
    get,
    async pending(owner) {
      const rows = await db
        .selectFrom('device_join_requests')
        .selectAll()
        .where('owner', '=', owner)
        .where('state', '=', 'pending')
        .where('expires_at', '>', now())
        .orderBy('created_at')
        .orderBy('request_id')
        .execute();
      return rows.map(toRequest);
    },
    approve: (owner, requestId, sealed, copy) => decide(owner, requestId, 'approved', sealed, copy),
    deny: (owner, requestId) => decide(owner, requestId, 'denied', null),
    async setNonce(owner, requestId, which, nonce) {
      const column = which === 'approver' ? 'approver_nonce' : 'device_nonce';
      const result = await db
        .updateTable('device_join_requests')
        .set({ [column]: nonce })
        .where('owner', '=', owner)
        .where('request_id', '=', requestId)
        .where('state', '=', 'pending')
        .where('expires_at', '>', now())
        .where(column, 'is', null)
        .executeTakeFirst();
      const request = await get(owner, requestId);
      if (Number(result.numUpdatedRows) > 0 && request) return { ok: true, request };
      return request ? { ok: false, reason: 'not-pending', request } : { ok: false, reason: 'not-found' };
    },
  };
}
