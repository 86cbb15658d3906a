/**
 * Response JSON. INT64 values beyond 2^53 cannot be JS numbers, yet CloudKit sends INT64
 * as JSON numbers unless the request asked for `numbersAsStrings`. Such values are
 * wrapped in RawInteger and spliced into the JSON text as bare digits, so a client with
 * a big-number-aware parser reads them exactly.
 */
import { randomBytes } from 'node:crypto';

// A per-process random marker; a client string would have to contain these 128 random bits to collide.
const MARKER = `\u0001raw${randomBytes(16).toString('hex')}:`;
const MARKER_PATTERN = new RegExp(`"${MARKER.replace('\u0001', '\\\\u0001')}(-?\\d+)"`, 'g');

/** Set by RawInteger.toJSON while toJson's JSON.stringify runs (synchronous, so never shared between calls). */
let spliced = false;

export class RawInteger {
  constructor(readonly digits: string) {
    if (!/^-?\d+$/.test(digits)) throw new Error('RawInteger needs decimal digits');
  }

  /**
   * JSON.stringify calls this natively — no replacer function, which would run for every
   * key of a response (a 200-record batch has thousands) and dominated serialisation.
   */
  toJSON(): string {
    spliced = true;
    return `${MARKER}${this.digits}`;
  }
}

export function toJson(payload: unknown): string {
  spliced = false;
  const text = JSON.stringify(payload);
  const found = spliced;
  spliced = false;
  return found ? text.replace(MARKER_PATTERN, '$1') : text;
}
