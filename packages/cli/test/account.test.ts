/** `coffer account create`, `login`, `whoami`, `logout` against a real server, and bad input. */
import { randomBytes } from 'node:crypto';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer } from '@coffer/server';
import { runCoffer, tempDir } from './helpers.js';

let url: string;
let close: () => Promise<void>;
beforeAll(async () => {
  const server = await startServer({ port: 0, dataDir: tempDir('coffer-cli-srv-') });
  url = server.url;
  close = () => server.close();
});
afterAll(async () => {
  await close();
});

const PASSWORD = 'a long and happy passphrase';
const email = (): string => `cli-${randomBytes(5).toString('hex')}@example.com`;

describe('coffer account create / login / whoami / logout', () => {
  it('creates an account: one JSON line, session and keychain under $COFFER_HOME (0600)', async () => {
    const home = tempDir('coffer-cli-home-');
    const address = email();
    const created = await runCoffer(['account', 'create', '--server', url, '--email', address, '--password-stdin'], { input: `${PASSWORD}\n`, env: { COFFER_HOME: home } });
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);
    const lines = created.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const session = JSON.parse(lines[0]!) as { sessionToken: string; userRecordName: string };
    expect(Object.keys(session).sort()).toEqual(['sessionToken', 'userRecordName']);
    expect(session.sessionToken.length).toBeGreaterThan(10);

    expect(statSync(join(home, 'session.json')).mode & 0o777).toBe(0o600);
    const keychains = readdirSync(join(home, 'keychains'));
    expect(keychains).toHaveLength(1);
    expect(statSync(join(home, 'keychains', keychains[0]!)).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(home, 'keychains', keychains[0]!), 'utf8')).toContain('coffer-key-v1:keychain:');

    const whoami = await runCoffer(['account', 'whoami'], { env: { COFFER_HOME: home } });
    expect(whoami.code).toBe(0);
    expect(JSON.parse(whoami.stdout)).toMatchObject({ email: address, userRecordName: session.userRecordName, protectionMode: 'standard', server: url });

    const login = await runCoffer(['login', '--server', url, '--email', address, '--password-stdin'], { input: PASSWORD, env: { COFFER_HOME: home } });
    expect(login.code).toBe(0);
    const second = JSON.parse(login.stdout) as { sessionToken: string; userRecordName: string };
    expect(second.userRecordName).toBe(session.userRecordName);

    const logout = await runCoffer(['logout'], { env: { COFFER_HOME: home } });
    expect(logout.code).toBe(0);
    const after = await runCoffer(['account', 'whoami'], { env: { COFFER_HOME: home } });
    expect(after.code).toBe(1);
    expect(after.stderr).toMatch(/not signed in/);
  });

  it('a wrong password exits non-zero with a message on stderr', async () => {
    const home = tempDir('coffer-cli-home-');
    const address = email();
    expect((await runCoffer(['account', 'create', '--server', url, '--email', address, '--password-stdin'], { input: PASSWORD, env: { COFFER_HOME: home } })).code).toBe(0);
    const wrong = await runCoffer(['login', '--server', url, '--email', address, '--password-stdin'], { input: 'not the password', env: { COFFER_HOME: home } });
    expect(wrong.code).toBe(1);
    expect(wrong.stdout).toBe('');
    expect(wrong.stderr).toMatch(/sign-in failed/);
  });

  it('creating an account twice says it exists', async () => {
    const home = tempDir('coffer-cli-home-');
    const address = email();
    await runCoffer(['account', 'create', '--server', url, '--email', address, '--password-stdin'], { input: PASSWORD, env: { COFFER_HOME: home } });
    const again = await runCoffer(['account', 'create', '--server', url, '--email', address, '--password-stdin'], { input: PASSWORD, env: { COFFER_HOME: home } });
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/exists/);
  });

  it.each([
    [['account', 'create', '--server', 'URL', '--password-stdin'], /missing required option --email/],
    [['account', 'create', '--email', 'a@example.com', '--password-stdin'], /missing --server/],
    [['account', 'create', '--server', 'http://127.0.0.1:1', '--email', 'a@example.com'], /--password-stdin/],
    [['login', '--server', 'not a url', '--email', 'a@example.com', '--password-stdin'], /--server must be a URL/],
    [['account', 'create', '--server', 'http://127.0.0.1:1', '--email', 'a@example.com', '--password', 'x'], /Unknown option '--password'/],
    [['account', 'frobnicate'], /unknown command "account frobnicate"/],
    [['nonsense'], /unknown command "nonsense"/],
  ])('bad input %j exits 2 with a message on stderr', async (args, message) => {
    const result = await runCoffer(args, { input: 'pw', env: { COFFER_HOME: tempDir('coffer-cli-home-'), COFFER_SERVER: '' } });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stdout).toBe('');
  });

  it('an empty password on stdin is refused', async () => {
    const result = await runCoffer(['account', 'create', '--server', url, '--email', email(), '--password-stdin'], { input: '', env: { COFFER_HOME: tempDir('coffer-cli-home-') } });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/no password on standard input/);
  });

  it('an unreachable server exits 1 with a clear message', async () => {
    const result = await runCoffer(['login', '--server', 'http://127.0.0.1:9', '--email', email(), '--password-stdin'], { input: PASSWORD, env: { COFFER_HOME: tempDir('coffer-cli-home-') } });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/cannot reach the Coffer server/);
  });

  it('--help works for every command', async () => {
    for (const args of [['--help'], ['server', '--help'], ['account', '--help'], ['account', 'create', '--help'], ['login', '--help'], ['schema', 'promote', '--help'], ['help', 'logout']]) {
      const result = await runCoffer(args);
      expect(result.code, args.join(' ')).toBe(0);
      expect(result.stdout).toMatch(/Usage: coffer/);
    }
  });
});
