/**
 * Request-body checks for the devices/protection/recovery endpoints. Each returns the
 * value or throws BAD_REQUEST naming the member and the rule — never quoting the value
 * (bodies carry sealed keys and proofs). Unknown members are refused, so a typo in a
 * client is an error instead of a silently ignored field.
 */
import { badRequest } from '../http/cloud-error.js';

export type Body = Record<string, unknown>;

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Device ids and ids the server mints (request, enrollment): 32 lower-case hex. */
export const HEX_ID = /^[0-9a-f]{32}$/;
/** Client-chosen key and set ids: printable ASCII. */
export const PRINTABLE_ID = /^[\x21-\x7E]{1,128}$/;
/** Account ids as the auth module mints them. */
export const USER_RECORD_NAME = /^_[0-9a-f]{32}$/;

export function only(body: Body, allowed: readonly string[]): Body {
  for (const key of Object.keys(body)) {
    // The member's name is not quoted: it is client input, and reasons never echo the body.
    if (!allowed.includes(key)) throw badRequest(`unknown member in the request body; this endpoint accepts ${allowed.length === 0 ? 'no members' : allowed.join(', ')}`);
  }
  return body;
}

export function str(body: Body, name: string, pattern: RegExp, what: string): string {
  const value = body[name];
  if (typeof value !== 'string') throw badRequest(`member "${name}" is required and must be a string (${what})`);
  if (!pattern.test(value)) throw badRequest(`member "${name}" must be ${what}`);
  return value;
}

export function optStr(body: Body, name: string, pattern: RegExp, what: string): string | undefined {
  return body[name] === undefined ? undefined : str(body, name, pattern, what);
}

/** Standard base64 whose decoded length is within [min, max] bytes; returns the string as sent. */
export function b64(body: Body, name: string, min: number, max: number): string {
  return b64Value(body[name], `member "${name}"`, min, max);
}

export function b64Value(value: unknown, label: string, min: number, max: number): string {
  if (typeof value !== 'string') throw badRequest(`${label} is required and must be a base64 string`);
  // Check the length before decoding so an oversized value costs no work.
  if (value.length > Math.ceil(max / 3) * 4 || !BASE64.test(value)) {
    throw badRequest(`${label} must be standard base64 of ${min === max ? `${min}` : `${min}..${max}`} bytes`);
  }
  const bytes = Buffer.from(value, 'base64').length;
  if (bytes < min || bytes > max) throw badRequest(`${label} must be standard base64 of ${min === max ? `${min}` : `${min}..${max}`} bytes`);
  return value;
}

export function decodeB64(value: string): Buffer {
  return Buffer.from(value, 'base64');
}

export function int(body: Body, name: string, min: number, max: number): number {
  const value = body[name];
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw badRequest(`member "${name}" is required and must be an integer in ${min}..${max}`);
  }
  return value;
}

export function arr(body: Body, name: string, min: number, max: number): unknown[] {
  const value = body[name];
  if (!Array.isArray(value)) throw badRequest(`member "${name}" is required and must be an array`);
  if (value.length < min || value.length > max) throw badRequest(`member "${name}" must have ${min}..${max} items`);
  return value;
}

export function obj(value: unknown, label: string): Body {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw badRequest(`${label} must be an object`);
  return value as Body;
}

export function unique(values: readonly string[], label: string): void {
  if (new Set(values).size !== values.length) throw badRequest(`${label} must not repeat`);
}
