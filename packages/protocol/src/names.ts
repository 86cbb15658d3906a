/**
 * Which names the record API accepts (server validates, SDKs may pre-check). All are
 * ASCII and at most Limits.nameLength (255) characters, as in CloudKit.
 */
export const NamePatterns = {
  /** e.g. `iCloud.com.example.app`. */
  container: /^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$/,
  /** Custom zones; a leading `_` is reserved (`_defaultZone`). */
  zoneName: /^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$/,
  /** Printable ASCII (spaces allowed, as in CloudKit's "Mei Chen" examples); default a UUID. */
  recordName: /^[\x20-\x7E]{1,255}$/,
  /** A letter, then letters, digits or `_`. */
  recordType: /^[A-Za-z][A-Za-z0-9_]{0,254}$/,
  /** A letter, then letters, digits or `_`. Names starting `___` are system fields (queries only). */
  fieldName: /^[A-Za-z][A-Za-z0-9_]{0,254}$/,
} as const;

export type NameKind = keyof typeof NamePatterns;

export function isValidName(kind: NameKind, value: unknown): value is string {
  return typeof value === 'string' && NamePatterns[kind].test(value);
}

/** System fields that records/query may filter and sort on (CloudKit's names). */
export const SystemQueryFields = {
  recordName: '___recordID',
  createdAt: '___createTime',
  modifiedAt: '___modTime',
} as const;
