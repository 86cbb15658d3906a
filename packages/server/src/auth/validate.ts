/**
 * Request-body validation for the auth routes: every failure is a BAD_REQUEST whose
 * reason names the field. Values are never echoed back (they may be secrets), and
 * unknown extra fields are ignored for forward compatibility.
 */
import { badRequest } from './errors.js';

export type JsonObject = Record<string, unknown>;

export function requireObject(body: unknown): JsonObject {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw badRequest('request body must be a JSON object');
  }
  return body as JsonObject;
}

export interface StringRule {
  maxLength: number;
  /** Checked after the length; the reason says "is not a valid <what>". */
  pattern?: RegExp;
  what?: string;
}

export function requireString(body: JsonObject, field: string, rule: StringRule): string {
  const value = body[field];
  if (value === undefined || value === null) throw badRequest(`missing field "${field}"`);
  return checkString(value, field, rule);
}

export function optionalString(body: JsonObject, field: string, rule: StringRule): string | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  return checkString(value, field, rule);
}

function checkString(value: unknown, field: string, rule: StringRule): string {
  if (typeof value !== 'string') throw badRequest(`field "${field}" must be a string`);
  if (value.length === 0) throw badRequest(`field "${field}" must not be empty`);
  if (value.length > rule.maxLength) throw badRequest(`field "${field}" is longer than ${rule.maxLength} characters`);
  if (rule.pattern && !rule.pattern.test(value)) throw badRequest(`field "${field}" is not a valid ${rule.what ?? 'value'}`);
  return value;
}

/** OPAQUE messages are base64url (the library's encoding). */
export const BASE64URL = /^[A-Za-z0-9_-]+$/;

/**
 * CloudKit container identifiers (`iCloud.com.example.app`): ASCII letters, digits, dot,
 * dash, underscore; they appear in URL paths, so nothing else.
 */
export const CONTAINER_ID = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
