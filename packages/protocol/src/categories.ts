/**
 * The data-category registry: which categories exist and how each is protected under
 * Standard data protection and under Advanced Data Protection (ADP). It mirrors the table
 * in Apple's "iCloud data security overview" (seed 001) with Coffer's names. Both the
 * server (`protection/1/status`, escrow policy) and clients (whether to escrow a service
 * key) read it, so the policy lives in one place.
 *
 * Policies:
 * - `e2e`      end-to-end: keys only on trusted devices (wrapped by the keychain key).
 * - `escrowed` encrypted on the server with keys the server's escrow can also open
 *              (Standard only: the server can help recover and serve web clients).
 * - `server`   never end-to-end: the server must read it to interoperate (mail, CalDAV…).
 */
export type ProtectionMode = 'standard' | 'advanced';

export interface CategoryPolicy {
  standard: 'e2e' | 'escrowed' | 'server';
  advanced: 'e2e' | 'server';
}

export interface DataCategory {
  /** Stable id used on the wire and as `ServiceKeyWire.category`, e.g. `drive`, `app:<container>`. */
  id: string;
  title: string;
  policy: CategoryPolicy;
}

const ALWAYS_E2E: CategoryPolicy = { standard: 'e2e', advanced: 'e2e' };
const E2E_UNDER_ADP: CategoryPolicy = { standard: 'escrowed', advanced: 'e2e' };
const NEVER_E2E: CategoryPolicy = { standard: 'server', advanced: 'server' };

/** Prefix of third-party app containers' categories: `app:<container id>`. */
export const APP_CATEGORY_PREFIX = 'app:';

/** Every built-in category, in the table's order (interop first, then ADP-eligible, then always-E2E). */
export const DataCategories: readonly DataCategory[] = [
  { id: 'mail', title: 'Mail', policy: NEVER_E2E },
  { id: 'contacts', title: 'Contacts', policy: NEVER_E2E },
  { id: 'calendars', title: 'Calendars', policy: NEVER_E2E },
  { id: 'backup', title: 'Device Backup', policy: E2E_UNDER_ADP },
  { id: 'drive', title: 'Drive', policy: E2E_UNDER_ADP },
  { id: 'photos', title: 'Photos', policy: E2E_UNDER_ADP },
  { id: 'notes', title: 'Notes', policy: E2E_UNDER_ADP },
  { id: 'reminders', title: 'Reminders', policy: E2E_UNDER_ADP },
  { id: 'bookmarks', title: 'Bookmarks', policy: E2E_UNDER_ADP },
  { id: 'shortcuts', title: 'Shortcuts', policy: E2E_UNDER_ADP },
  { id: 'voice-memos', title: 'Voice Memos', policy: E2E_UNDER_ADP },
  { id: 'wallet', title: 'Wallet passes', policy: E2E_UNDER_ADP },
  { id: 'freeform', title: 'Freeform', policy: E2E_UNDER_ADP },
  { id: 'app:*', title: 'Third-party app containers (encrypted fields and assets)', policy: E2E_UNDER_ADP },
  { id: 'passwords', title: 'Passwords and Keychain', policy: ALWAYS_E2E },
  { id: 'health', title: 'Health data', policy: ALWAYS_E2E },
  { id: 'journal', title: 'Journal', policy: ALWAYS_E2E },
  { id: 'home', title: 'Home data', policy: ALWAYS_E2E },
  { id: 'messages', title: 'Messages', policy: ALWAYS_E2E },
  { id: 'payments', title: 'Payment information', policy: ALWAYS_E2E },
  { id: 'card-transactions', title: 'Card transactions', policy: ALWAYS_E2E },
  { id: 'maps', title: 'Maps', policy: ALWAYS_E2E },
  { id: 'keyboard', title: 'Keyboard learned vocabulary', policy: ALWAYS_E2E },
  { id: 'safari', title: 'Browser history and tabs', policy: ALWAYS_E2E },
  { id: 'screen-time', title: 'Screen Time', policy: ALWAYS_E2E },
  { id: 'assistant', title: 'Assistant information', policy: ALWAYS_E2E },
  { id: 'wifi', title: 'Wi-Fi passwords', policy: ALWAYS_E2E },
  { id: 'bluetooth', title: 'Bluetooth keys', policy: ALWAYS_E2E },
  { id: 'memoji', title: 'Memoji', policy: ALWAYS_E2E },
];

const byId = new Map(DataCategories.map((c) => [c.id, c]));

/** True for `app:<container>` with a non-empty container id. */
export function isAppCategory(id: string): boolean {
  return id.startsWith(APP_CATEGORY_PREFIX) && id.length > APP_CATEGORY_PREFIX.length;
}

/**
 * The category entry for an id; `app:<anything>` maps to the `app:*` row. Unknown ids
 * return undefined — callers must treat them as the strictest policy (never escrow).
 */
export function findCategory(id: string): DataCategory | undefined {
  return byId.get(isAppCategory(id) ? 'app:*' : id);
}

/**
 * The policy for a category id. Unknown categories are treated as always end-to-end:
 * failing closed means a typo can never cause a key to be escrowed.
 */
export function categoryPolicy(id: string): CategoryPolicy {
  return findCategory(id)?.policy ?? ALWAYS_E2E;
}

/** Whether a service key of this category may be wrapped to the server's escrow key in this mode. */
export function isEscrowAllowed(id: string, mode: ProtectionMode): boolean {
  return mode === 'standard' && categoryPolicy(id).standard === 'escrowed';
}

/** The seed-style table columns, as words people read. */
export type CategoryEncryption = 'end-to-end' | 'in transit & on server';
export type CategoryKeyStorage = 'trusted devices' | 'server';

export interface CategoryStatus {
  id: string;
  title: string;
  encryption: CategoryEncryption;
  keyStorage: CategoryKeyStorage;
}

/** One row of the status table for a mode. */
export function categoryStatus(category: DataCategory, mode: ProtectionMode): CategoryStatus {
  const policy = mode === 'standard' ? category.policy.standard : category.policy.advanced;
  const e2e = policy === 'e2e';
  return {
    id: category.id,
    title: category.title,
    encryption: e2e ? 'end-to-end' : 'in transit & on server',
    keyStorage: e2e ? 'trusted devices' : 'server',
  };
}

/** The whole table for a mode, in registry order. */
export function protectionTable(mode: ProtectionMode): CategoryStatus[] {
  return DataCategories.map((c) => categoryStatus(c, mode));
}

/**
 * Containers of Coffer's own apps (Drive, device Backup): their zones are protected by
 * the built-in category's service key, not by an `app:<container>` one.
 */
export const CategoryContainers = { drive: 'coffer.drive', backup: 'coffer.backup' } as const;

/** The data category whose service key protects a container's private zones. */
export function dataCategoryOfContainer(container: string): string {
  for (const [category, id] of Object.entries(CategoryContainers)) if (id === container) return category;
  return `${APP_CATEGORY_PREFIX}${container}`;
}
