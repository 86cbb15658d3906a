/**
 * Recovery requests to contacts: a new device of the owner asks one contact; the contact's
 * device posts a challenge (and shows a code out of band); the new device posts a proof;
 * the contact's device either rejects the proof (costing one of a few attempts) or
 * releases the share re-sealed to the new device. Every transition is a conditional
 * UPDATE on the current state, so concurrent calls cannot skip a step.
 */
import { num, type DevicesContext } from './db.js';

export type StoredContactRequestState = 'pending' | 'challenged' | 'proved' | 'released' | 'denied' | 'expired';

export interface StoredContactRequest {
  requestId: string;
  owner: string;
  contact: string;
  publicIdentity: string;
  state: StoredContactRequestState;
  challenge: string | null;
  proof: string | null;
  proofAttemptsLeft: number;
  releasedShare: string | null;
  createdAt: number;
  expiresAt: number;
}

export type Transition = { ok: true; request: StoredContactRequest } | { ok: false; request: StoredContactRequest | null };

/** Which side asks: the owner's devices see their requests, the contact's devices the ones addressed to them. */
export type RequestSide = { owner: string } | { contact: string };

export interface ContactRequestsRepository {
  /** Creates a request; an open request of the same owner to the same contact is replaced. */
  create(request: { requestId: string; owner: string; contact: string; publicIdentity: string; ttlMs: number; proofAttempts: number }): Promise<StoredContactRequest>;
  get(side: RequestSide, requestId: string): Promise<StoredContactRequest | null>;
  /** Open (pending/challenged/proved, unexpired) requests addressed to `contact`. */
  openForContact(contact: string): Promise<StoredContactRequest[]>;
  challenge(contact: string, requestId: string, challenge: string): Promise<Transition>;
  /** Owner side; needs state challenged and attempts left (each proof spends one). */
  prove(owner: string, requestId: string, proof: string): Promise<Transition>;
  /** Contact side; back to challenged, or denied when no attempts are left. */
  rejectProof(contact: string, requestId: string): Promise<Transition>;
  release(contact: string, requestId: string, releasedShare: string): Promise<Transition>;
  deny(contact: string, requestId: string): Promise<Transition>;
}

type Row = {
  request_id: string; owner: string; contact: string; public_identity: string; state: string; challenge: string | null; proof: string | null;
  proof_attempts_left: number | string; released_share: string | null; created_at: number | string; expires_at: number | string;
};

const OPEN_STATES = ['pending', 'challenged', 'proved'];

export function createContactRequestsRepository({ db, now }: DevicesContext): ContactRequestsRepository {
  const toRequest = (r: Row): StoredContactRequest => {
    const expiresAt = num(r.expires_at);
    const open = OPEN_STATES.includes(r.state);
    return {
      requestId: r.request_id,
      owner: r.owner,
      contact: r.contact,
      publicIdentity: r.public_identity,
      state: open && expiresAt <= now() ? 'expired' : (r.state as StoredContactRequestState),
      challenge: r.challenge,
      proof: r.proof,
      proofAttemptsLeft: num(r.proof_attempts_left),
      releasedShare: r.released_share,
      createdAt: num(r.created_at),
      expiresAt,
    };
  };

  const get = async (side: RequestSide, requestId: string): Promise<StoredContactRequest | null> => {
    let q = db.selectFrom('recovery_contact_requests').selectAll().where('request_id', '=', requestId);
    q = 'owner' in side ? q.where('owner', '=', side.owner) : q.where('contact', '=', side.contact);
    const row = await q.executeTakeFirst();
    return row ? toRequest(row) : null;
  };

  /** One conditional update; `from` are the states it may leave, always only while unexpired. */
  async function transition(side: RequestSide, requestId: string, from: string[], set: Partial<Row>, extra?: { minAttempts?: number }): Promise<Transition> {
    let q = db
      .updateTable('recovery_contact_requests')
      .set(set)
      .where('request_id', '=', requestId)
      .where('state', 'in', from)
      .where('expires_at', '>', now());
    q = 'owner' in side ? q.where('owner', '=', side.owner) : q.where('contact', '=', side.contact);
    if (extra?.minAttempts !== undefined) q = q.where('proof_attempts_left', '>=', extra.minAttempts);
    const result = await q.executeTakeFirst();
    const request = await get(side, requestId);
    return Number(result.numUpdatedRows) > 0 && request ? { ok: true, request } : { ok: false, request };
  }

  return {
    async create({ requestId, owner, contact, publicIdentity, ttlMs, proofAttempts }) {
      const at = now();
      const row = {
        request_id: requestId, owner, contact, public_identity: publicIdentity, state: 'pending', challenge: null, proof: null,
        proof_attempts_left: proofAttempts, released_share: null, created_at: at, expires_at: at + ttlMs,
      };
      await db.transaction().execute(async (trx) => {
        await trx.deleteFrom('recovery_contact_requests').where('owner', '=', owner).where('contact', '=', contact).execute();
        await trx.insertInto('recovery_contact_requests').values(row).execute();
      });
      return toRequest(row);
    },
    get,
    async openForContact(contact) {
      const rows = await db
        .selectFrom('recovery_contact_requests')
        .selectAll()
        .where('contact', '=', contact)
        .where('state', 'in', OPEN_STATES)
        .where('expires_at', '>', now())
        .orderBy('created_at')
        .orderBy('request_id')
        .execute();
      return rows.map(toRequest);
    },
    // A new challenge invalidates any proof made against the previous one.
    challenge: (contact, requestId, challenge) =>
      transition({ contact }, requestId, ['pending', 'challenged', 'proved'], { state: 'challenged', challenge, proof: null }),
    async prove(owner, requestId, proof) {
      const current = await get({ owner }, requestId);
      if (!current || current.state !== 'challenged') return { ok: false, request: current };
      // Spending the attempt is part of the same conditional update, so parallel proofs cannot share one.
      return transition({ owner }, requestId, ['challenged'], { state: 'proved', proof, proof_attempts_left: current.proofAttemptsLeft - 1 }, { minAttempts: 1 });
    },
    async rejectProof(contact, requestId) {
      const current = await get({ contact }, requestId);
      if (!current || current.state !== 'proved') return { ok: false, request: current };
      const next = current.proofAttemptsLeft > 0 ? 'challenged' : 'denied';
      return transition({ contact }, requestId, ['proved'], { state: next, proof: null });
    },
    release: (contact, requestId, releasedShare) => transition({ contact }, requestId, ['proved'], { state: 'released', released_share: releasedShare }),
    deny: (contact, requestId) => transition({ contact }, requestId, OPEN_STATES, { state: 'denied', proof: null, challenge: null }),
  };
}
