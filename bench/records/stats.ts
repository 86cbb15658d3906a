/** Latency samples → records/s and percentiles. */
export interface PhaseResult {
  phase: string;
  records: number;
  requests: number;
  seconds: number;
  recordsPerSecond: number;
  p50ms: number;
  p99ms: number;
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index]!;
}

export function summarize(phase: string, records: number, latencies: number[], seconds: number): PhaseResult {
  const sorted = [...latencies].sort((a, b) => a - b);
  return {
    phase,
    records,
    requests: latencies.length,
    seconds: round(seconds, 3),
    recordsPerSecond: round(records / seconds, 1),
    p50ms: round(percentile(sorted, 50), 2),
    p99ms: round(percentile(sorted, 99), 2),
  };
}

export function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** Runs `clients` async workers, timing each request; returns the phase summary. */
export async function timed(
  phase: string,
  clients: number,
  work: (client: number, time: <T>(request: () => Promise<T>) => Promise<T>) => Promise<number>,
): Promise<PhaseResult> {
  const latencies: number[] = [];
  const time = async <T>(request: () => Promise<T>): Promise<T> => {
    const start = performance.now();
    const result = await request();
    latencies.push(performance.now() - start);
    return result;
  };
  const start = performance.now();
  const counts = await Promise.all(Array.from({ length: clients }, (_, i) => work(i, time)));
  const seconds = (performance.now() - start) / 1000;
  return summarize(phase, counts.reduce((a, b) => a + b, 0), latencies, seconds);
}
