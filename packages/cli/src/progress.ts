/**
 * A one-line progress bar on stderr for long transfers: bytes done of total, rate and ETA,
 * redrawn at most ten times a second. Silent when stderr is not a terminal (scripts,
 * pipes, CI), and for transfers that finish within the first half second.
 *
 *   backup  [##########----------]  48%  512.0 MB / 1.07 GB  211.3 MB/s  ETA 0:03
 */
import type { Writable } from 'node:stream';

const WIDTH = 20;
const SHOW_AFTER_MS = 500;
const REDRAW_MS = 100;

export function formatBytes(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(value >= 100 ? 0 : 1)} ${units[unit]!}`;
}

function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${rest}` : `${m}:${rest}`;
}

export class ProgressBar {
  readonly #stream: Writable & { isTTY?: boolean; columns?: number };
  readonly #label: string;
  readonly #enabled: boolean;
  readonly #started = Date.now();
  #total: number;
  #lastDraw = 0;
  #drawn = false;

  constructor(stream: Writable & { isTTY?: boolean; columns?: number }, label: string, total: number) {
    this.#stream = stream;
    this.#label = label;
    this.#total = total;
    this.#enabled = stream.isTTY === true;
  }

  /** Updates the bytes done (and, when it became known, the total). */
  update(done: number, total: number = this.#total): void {
    this.#total = total;
    if (!this.#enabled) return;
    const now = Date.now();
    if (now - this.#started < SHOW_AFTER_MS || now - this.#lastDraw < REDRAW_MS) return;
    this.#lastDraw = now;
    this.#draw(done, now);
  }

  /** Clears the bar (the command prints its own summary). */
  finish(): void {
    if (this.#drawn) this.#stream.write('\r\x1b[2K');
    this.#drawn = false;
  }

  #draw(done: number, now: number): void {
    const elapsed = (now - this.#started) / 1000;
    const rate = elapsed > 0 ? done / elapsed : 0;
    const fraction = this.#total > 0 ? Math.min(1, done / this.#total) : 0;
    const filled = Math.round(fraction * WIDTH);
    const eta = rate > 0 && this.#total > done ? `ETA ${formatDuration((this.#total - done) / rate)}` : '';
    const line = `${this.#label}  [${'#'.repeat(filled)}${'-'.repeat(WIDTH - filled)}] ${String(Math.round(fraction * 100)).padStart(3)}%  ${formatBytes(done)} / ${formatBytes(this.#total)}  ${formatBytes(rate)}/s  ${eta}`;
    this.#stream.write(`\r\x1b[2K${line.slice(0, Math.max(20, (this.#stream.columns ?? 120) - 1))}`);
    this.#drawn = true;
  }
}
