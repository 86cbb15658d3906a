/**
 * devices/1/log: opaque storage of real signed entries, served in order, compare-and-append
 * (a stale expectedLength is CONFLICT and writes nothing), header checks, and isolation
 * between accounts. Both storage backends, real HTTP through buildServer.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeLogEntry, generateDeviceIdentity, verifyDeviceLog } from '@coffer/crypto';
import type { DeviceLogAppendResponse, DeviceLogResponse } from '@coffer/protocol';
import { testBackends } from '@coffer/storage';
import { TestLog, append, b64, expectError, openDevicesHarness, randomB64, type DevicesHarness } from './devices-harness.js';

for (const backend of testBackends()) {
  describe(`device log (${backend.name})`, () => {
    let h: DevicesHarness;
    beforeAll(async () => {
      h = await openDevicesHarness(backend);
    });
    afterAll(async () => {
      await h.close();
    });

    it('starts empty, appends real entries and serves them byte-for-byte in order', async () => {
      expect(await h.ok<DeviceLogResponse>('/devices/1/log', undefined, { method: 'GET' })).toEqual({ entries: [] });
      const log = new TestLog();
      const phone = generateDeviceIdentity('phone');
      const sent = [log.genesis(), log.addDevice(phone)];
      const appended = await append(h, sent, 0);
      expect(appended.statusCode).toBe(200);
      expect(appended.json<DeviceLogAppendResponse>()).toEqual({ length: 2 });
      const third = log.removeDevice(phone.id);
      expect((await append(h, [third], 2)).json<DeviceLogAppendResponse>()).toEqual({ length: 3 });

      const { entries } = await h.ok<DeviceLogResponse>('/devices/1/log', undefined, { method: 'GET' });
      expect(entries).toEqual([...sent, third]);
      // What came back is what a client verifies: the chain and signatures still hold.
      const state = verifyDeviceLog(entries.map((e) => decodeLogEntry(new Uint8Array(Buffer.from(e, 'base64')))));
      expect(state.devices.map((d) => d.id)).toEqual([log.first.id]);
    });

    it('refuses a stale expectedLength with CONFLICT and writes nothing', async () => {
      const bob = await h.signUp('bob');
      const log = new TestLog();
      const genesis = log.genesis();
      expect((await append(h, [genesis], 0, bob)).statusCode).toBe(200);
      const stale = log.fork();
      const second = log.addDevice(generateDeviceIdentity('tablet'));
      expect((await append(h, [second], 1, bob)).statusCode).toBe(200);
      // Another device, still at length 1, appends what would be entry 1: refused, nothing written.
      const late = stale.addDevice(generateDeviceIdentity('laptop'));
      expectError(await append(h, [late], 1, bob), 'CONFLICT', /has 2 entries, not 1/);
      expect((await h.ok<DeviceLogResponse>('/devices/1/log', undefined, { method: 'GET', user: bob })).entries).toEqual([genesis, second]);
    });

    it('lets exactly one of two racing appenders win', async () => {
      const carol = await h.signUp('carol');
      const a = new TestLog();
      const b = new TestLog();
      const results = await Promise.all([append(h, [a.genesis()], 0, carol), append(h, [b.genesis()], 0, carol)]);
      expect(results.map((r) => r.statusCode).sort()).toEqual([200, 409]);
      expect((await h.ok<DeviceLogResponse>('/devices/1/log', undefined, { method: 'GET', user: carol })).entries).toHaveLength(1);
    });

    it('checks the v1 header: version, position, length, signer type; the first entry must add a device', async () => {
      const dave = await h.signUp('dave');
      const log = new TestLog();
      const genesis = Buffer.from(log.genesis(), 'base64');
      expectError(await append(h, [randomB64(200)], 0, dave), 'BAD_REQUEST', /not a device log entry v1|seq|kind|length|signer/);
      const wrongVersion = Buffer.from(genesis);
      wrongVersion[0] = 2;
      expectError(await append(h, [b64(wrongVersion)], 0, dave), 'BAD_REQUEST', /not a device log entry v1/);
      expectError(await append(h, [b64(genesis)], 0, dave).then(() => append(h, [b64(genesis)], 1, dave)), 'BAD_REQUEST', /seq 0 but would be entry 1/);
      const truncated = genesis.subarray(0, 100);
      expectError(await append(h, [b64(truncated)], 1, dave), 'BAD_REQUEST', /not a device log entry v1/);

      const other = new TestLog();
      other.genesis();
      const adpFirst = new TestLog();
      const adpEntry = adpFirst.adp(false); // an entry that is not add-device at position 0
      const eve = await h.signUp('eve');
      expectError(await append(h, [adpEntry], 0, eve), 'BAD_REQUEST', /first entry of a device log must add a device/);
    });

    it('refuses malformed bodies with the envelope', async () => {
      const log = new TestLog();
      const entry = log.genesis();
      expectError(await append(h, [], 0), 'BAD_REQUEST', /entries/);
      expectError(await h.api('/devices/1/log/append', { entries: [entry] }), 'BAD_REQUEST', /expectedLength/);
      expectError(await h.api('/devices/1/log/append', { entries: [entry], expectedLength: -1 }), 'BAD_REQUEST', /expectedLength/);
      expectError(await h.api('/devices/1/log/append', { entries: [entry], expectedLength: 1.5 }), 'BAD_REQUEST', /expectedLength/);
      expectError(await h.api('/devices/1/log/append', { entries: 'x', expectedLength: 0 }), 'BAD_REQUEST', /entries/);
      expectError(await h.api('/devices/1/log/append', { entries: ['not base64!'], expectedLength: 0 }), 'BAD_REQUEST', /entries\[0\]/);
      expectError(await h.api('/devices/1/log/append', { entries: [42], expectedLength: 0 }), 'BAD_REQUEST', /entries\[0\]/);
      expectError(await h.api('/devices/1/log/append', { entries: [randomB64(2049)], expectedLength: 0 }), 'BAD_REQUEST', /entries\[0\]/);
      expectError(await h.api('/devices/1/log/append', { entries: Array.from({ length: 65 }, () => entry), expectedLength: 0 }), 'BAD_REQUEST', /1\.\.64/);
      expectError(await h.api('/devices/1/log/append', { entries: [entry], expectedLength: 0, extra: 1 }), 'BAD_REQUEST', /unknown member/);
      expectError(await h.api('/devices/1/log/append', undefined, { raw: '{"entries":' }), 'BAD_REQUEST', /not valid JSON/);
      expectError(await h.api('/devices/1/log/append', undefined, { raw: '[1,2]' }), 'BAD_REQUEST', /JSON object/);
      expectError(await h.api('/devices/1/log/append', undefined, { raw: JSON.stringify({ entries: [randomB64(1500000)], expectedLength: 0 }) }), 'LIMIT_EXCEEDED', /524288 bytes/);
    });

    it('keeps every account\'s log to itself', async () => {
      const frank = await h.signUp('frank');
      expect((await h.ok<DeviceLogResponse>('/devices/1/log', undefined, { method: 'GET', user: frank })).entries).toEqual([]);
      expectError(await h.api('/devices/1/log', undefined, { method: 'GET', user: null }), 'AUTHENTICATION_REQUIRED');
      expectError(await h.api('/devices/1/log', undefined, { method: 'GET', user: { ...frank, token: 'x'.repeat(43) } }), 'AUTHENTICATION_FAILED');
    });
  });
}
