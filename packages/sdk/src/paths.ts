/** URL paths of the record API: `/database/1/{container}/{environment}/{database}/{operation}`. */
import type { DatabaseScope, Environment } from '@coffer/protocol';

export function databasePath(container: string, environment: Environment, scope: DatabaseScope, operation: string): string {
  return `/database/1/${encodeURIComponent(container)}/${environment}/${scope}/${operation}`;
}

/** `GET` the server's escrow public key (Standard protection). */
export const ESCROW_PUBLIC_KEY_PATH = '/escrow/1/public-key';
