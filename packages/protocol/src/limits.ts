/** Published limits (CloudKit Web Services "Data Size Limits"), enforced by the server. */
export const Limits = {
  operationsPerRequest: 200,
  recordsPerResponse: 200,
  /** Bytes of one record's fields, excluding assets. */
  recordBytes: 1_000_000,
  /** Largest accepted request body. */
  requestBytes: 12 * 1024 * 1024,
  nameLength: 255,
  fieldNameLength: 255,
  fieldsPerRecord: 1024,
} as const;
