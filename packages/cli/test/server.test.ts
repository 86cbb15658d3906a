/** `coffer server`: prints the listening line, serves the API, stops on SIGTERM/SIGINT. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCoffer, startCoffer, tempDir, waitForExit } from './helpers.js';

describe('coffer server', () => {
  it('prints where it listens and where data lives, serves, and stops on SIGTERM', async () => {
    const data = tempDir('coffer-cli-data-');
    const { child, match, output } = await startCoffer(['server', '--port', '0', '--data', data], /listening on (http:\/\/127\.0\.0\.1:(\d+))/);
    const url = match[1]!;
    try {
      expect(output()).toContain(`data in ${data} (SQLite + local files)`);
      // It answers the API: unauthenticated → the CloudKit envelope.
      const response = await fetch(`${url}/database/1/com.example.cli/development/private/zones/list`);
      expect(response.status).toBe(421);
      expect(await response.json()).toMatchObject({ serverErrorCode: 'AUTHENTICATION_REQUIRED' });
      expect(existsSync(join(data, 'coffer.sqlite'))).toBe(true);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await waitForExit(child)).toBe(0);
    expect(output()).toContain('stopped');
  });

  it('stops on SIGINT too', async () => {
    const { child } = await startCoffer(['server', '--port', '0', '--data', tempDir('coffer-cli-data-')], /listening on/);
    child.kill('SIGINT');
    expect(await waitForExit(child)).toBe(0);
  });

  it('rejects a bad port with a usage error on stderr', async () => {
    const result = await runCoffer(['server', '--port', 'eighty']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--port must be a port number/);
    expect(result.stdout).toBe('');
  });

  it('rejects a non-PostgreSQL --database URL', async () => {
    const result = await runCoffer(['server', '--database', 'mysql://x']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/postgres/);
  });
});
