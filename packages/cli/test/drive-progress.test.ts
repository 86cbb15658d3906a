/** The transfer progress bar: bytes, rate and ETA on a terminal; nothing when not a terminal. */
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { formatBytes, ProgressBar } from '../src/progress.js';

function stream(isTTY: boolean): Writable & { isTTY: boolean; text: () => string } {
  let text = '';
  const s = new Writable({
    write(chunk: Buffer, _encoding, done) {
      text += chunk.toString();
      done();
    },
  });
  return Object.assign(s, { isTTY, columns: 200, text: () => text });
}

afterEach(() => {
  vi.useRealTimers();
});

describe('ProgressBar', () => {
  it('draws bytes, percentage, rate and ETA after half a second, then clears', () => {
    vi.useFakeTimers({ now: 0 });
    const out = stream(true);
    const bar = new ProgressBar(out, 'upload', 100_000_000);
    bar.update(10_000_000);
    expect(out.text()).toBe(''); // too early: short transfers stay silent
    vi.setSystemTime(2000);
    bar.update(50_000_000);
    expect(out.text()).toContain('upload  [##########----------]  50%  50.0 MB / 100 MB  25.0 MB/s  ETA 0:02');
    bar.finish();
    expect(out.text().endsWith('\r\x1b[2K')).toBe(true);
  });

  it('writes nothing when the stream is not a terminal', () => {
    vi.useFakeTimers({ now: 0 });
    const out = stream(false);
    const bar = new ProgressBar(out, 'upload', 10);
    vi.setSystemTime(5000);
    bar.update(5);
    bar.finish();
    expect(out.text()).toBe('');
  });

  it('formats sizes', () => {
    expect(formatBytes(999)).toBe('999 B');
    expect(formatBytes(1_500_000)).toBe('1.5 MB');
    expect(formatBytes(1_099_511_627_776)).toBe('1.1 TB');
  });
});
