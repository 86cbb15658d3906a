/**
 * A bench client of the Coffer record API: signs up through OPAQUE (as a device does),
 * creates its zone (with a zone key when it encrypts), and builds records with 10 fields,
 * 5 of them encrypted on the client with @coffer/crypto when `encrypted`.
 */
import * as opaque from '@serenity-kit/opaque';
import { encryptField, generateKey, toBase64, wrapKey, type FieldValue, type SymmetricKey } from '@coffer/crypto';
import type { FieldWire, RecordWire } from '@coffer/protocol';

export const ZONE = 'bench';

export class CofferBenchClient {
  private token = '';
  userRecordName = '';
  private zoneKey: SymmetricKey | undefined;

  constructor(
    readonly baseUrl: string,
    readonly container: string,
    readonly encrypted: boolean,
  ) {}

  async post<T>(path: string, body: unknown, headers: Record<string, string> = {}): Promise<T> {
    const response = await fetch(`${this.baseUrl}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(this.token ? { authorization: `Bearer ${this.token}` } : {}), ...headers },
      body: JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${path} → ${response.status} ${text.slice(0, 300)}`);
    return JSON.parse(text) as T;
  }

  db<T>(operation: string, body: unknown): Promise<T> {
    return this.post<T>(`/database/1/${this.container}/development/private/${operation}`, body, { 'x-coffer-client': 'sdk' });
  }

  async signUp(email: string): Promise<void> {
    await opaque.ready;
    const password = `bench password for ${email}`;
    const { clientRegistrationState, registrationRequest } = opaque.client.startRegistration({ password });
    const start = await this.post<{ registrationResponse: string }>('/auth/1/register/start', { email, registrationRequest });
    const { registrationRecord } = opaque.client.finishRegistration({ clientRegistrationState, registrationResponse: start.registrationResponse, password });
    const session = await this.post<{ sessionToken: string; userRecordName: string }>('/auth/1/register/finish', { email, registrationRecord });
    this.token = session.sessionToken;
    this.userRecordName = session.userRecordName;
  }

  async createZone(): Promise<void> {
    const zone: Record<string, unknown> = { zoneID: { zoneName: ZONE } };
    if (this.encrypted) {
      const serviceKey = generateKey('service');
      this.zoneKey = generateKey('zone');
      zone.zoneKeys = [{ version: 1, serviceKeyId: serviceKey.id, wrappedKey: toBase64(wrapKey(serviceKey, this.zoneKey)) }];
    }
    await this.db('zones/modify', { operations: [{ operationType: 'create', zone }] });
  }

  /** 10 fields: f0–f4 always plaintext (f1 INT64 is what queries filter on), f5–f9 encrypted when `encrypted`. */
  record(recordName: string, i: number): RecordWire {
    const text = `value ${i} ${'x'.repeat(24)}`;
    const plain: Record<string, FieldWire> = {
      f0: { value: text, type: 'STRING' },
      f1: { value: i, type: 'INT64' },
      f2: { value: i / 7, type: 'DOUBLE' },
      f3: { value: `tag-${i % 10}`, type: 'STRING' },
      f4: { value: 1_700_000_000_000 + i, type: 'TIMESTAMP' },
    };
    const second: [string, 'STRING' | 'DOUBLE', FieldValue][] = [
      ['f5', 'STRING', `secret ${i} ${'y'.repeat(24)}`],
      ['f6', 'DOUBLE', i * 1.5],
      ['f7', 'STRING', `note ${i}`],
      ['f8', 'DOUBLE', i / 3],
      ['f9', 'STRING', `memo ${'z'.repeat(16)}`],
    ];
    const record: RecordWire = { recordName, recordType: 'BenchItem', fields: plain };
    if (!this.encrypted) {
      for (const [name, type, value] of second) plain[name] = { value: value as string | number, type };
      return record;
    }
    const recordKey = generateKey('record');
    for (const [name, type, value] of second) {
      const ciphertext = encryptField(recordKey, { container: this.container, environment: 'development', database: 'private', zoneName: ZONE, ownerRecordName: this.userRecordName, recordName, fieldName: name, fieldType: type }, value);
      plain[name] = { type, isEncrypted: true, ciphertext: toBase64(ciphertext) };
    }
    record.protectionInfo = { wrappedRecordKey: toBase64(wrapKey(this.zoneKey!, recordKey)), zoneKeyVersion: 1 };
    return record;
  }
}
