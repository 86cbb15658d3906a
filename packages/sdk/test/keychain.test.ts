/** The file keychain: per-account files, 0600, atomic and serialized writes, versioned document. */
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateKey } from '@coffer/crypto';
import { FileKeychain, cofferHome, memoryKeychains } from '../src/index.js';
import { tempHome } from './helpers/server.js';

describe('FileKeychain', () => {
  it('persists the keychain key and service keys across instances, mode 0600', async () => {
    const home = tempHome();
    const a = FileKeychain.forAccount(home, '_user/../odd name');
    // A server-chosen name never escapes the keychains folder.
    expect(dirname(a.path)).toBe(join(home, 'keychains'));
    expect(basename(a.path)).toBe('_user_.._odd_name.json');
    expect(await a.exists()).toBe(false);
    const keychainKey = generateKey('keychain');
    await a.setKeychainKey(keychainKey);
    const keys = Array.from({ length: 8 }, () => generateKey('service'));
    // Concurrent writes are serialized: none is lost.
    await Promise.all(keys.map((key, i) => a.putServiceKey({ category: i % 2 === 0 ? 'app:x' : 'drive', key })));
    expect(statSync(a.path).mode & 0o777).toBe(0o600);

    const b = FileKeychain.forAccount(home, '_user/../odd name');
    expect((await b.getKeychainKey())?.bytes).toEqual(keychainKey.bytes);
    expect((await b.listServiceKeys('app:x')).length).toBe(4);
    expect((await b.getServiceKey(keys[3]!.id))?.category).toBe('drive');
    expect(JSON.parse(readFileSync(a.path, 'utf8'))).toMatchObject({ version: 1, userRecordName: '_user/../odd name' });
  });

  it('refuses a document of an unknown version', async () => {
    const home = tempHome();
    const kc = FileKeychain.forAccount(home, 'u');
    await kc.setKeychainKey(generateKey('keychain'));
    writeFileSync(kc.path, JSON.stringify({ version: 99, userRecordName: 'u', serviceKeys: [] }));
    await expect(FileKeychain.forAccount(home, 'u').getKeychainKey()).rejects.toThrow(/unknown document version/);
  });

  it('cofferHome honours $COFFER_HOME, else ~/.coffer', () => {
    expect(cofferHome({ COFFER_HOME: '/x/y' })).toBe('/x/y');
    expect(cofferHome({ HOME: '/home/ann' })).toBe('/home/ann/.coffer');
  });

  it('memory keychains are per account', async () => {
    const factory = memoryKeychains();
    await factory('a').setKeychainKey(generateKey('keychain'));
    expect(await factory('a').getKeychainKey()).toBeDefined();
    expect(await factory('b').getKeychainKey()).toBeUndefined();
  });
});
