/** Ids an encryptor remembers per session before it starts over (bounds memory; forgetting only costs a re-encryption). */
export const SESSION_MEMORY = 200_000;

/**
 * The chunk ids one encryptor has produced in its current session (see encryptOrSkip).
 * One session at a time: a request of another session starts over, which is always
 * correct — at worst a repeat is encrypted again.
 */
export class SessionIds {
  #session: number | undefined;
  readonly #ids = new Set<string>();

  /** True if `id` was already seen in `session`; records it otherwise. */
  repeated(session: number, id: Uint8Array): boolean {
    if (session !== this.#session || this.#ids.size >= SESSION_MEMORY) {
      this.#session = session;
      this.#ids.clear();
    }
    const key = Buffer.from(id.buffer, id.byteOffset, id.byteLength).toString('latin1');
    if (this.#ids.has(key)) return true;
    this.#ids.add(key);
    return false;
  }
}
