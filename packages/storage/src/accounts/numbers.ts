/** pg returns BIGINT columns as strings (to avoid precision loss); our values are ms timestamps and counters, well within 2^53. */
export function toNumber(value: number | string | bigint): number {
  return typeof value === 'number' ? value : Number(value);
}

export function toNumberOrNull(value: number | string | bigint | null): number | null {
  return value === null ? null : toNumber(value);
}
