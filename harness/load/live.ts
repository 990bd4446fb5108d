/**
 * Rolling statistics over the last second of completed requests, for the progress display.
 * A fixed ring: memory does not grow with the run.
 */
export class LiveStats {
  private readonly ends: Float64Array;
  private readonly latencies: Float64Array;
  private readonly oks: Uint8Array;
  private head = 0;
  private size = 0;

  constructor(
    private readonly windowMs = 1000,
    capacity = 65536,
  ) {
    this.ends = new Float64Array(capacity);
    this.latencies = new Float64Array(capacity);
    this.oks = new Uint8Array(capacity);
  }

  add(end: number, latencyMs: number, ok: boolean): void {
    this.ends[this.head] = end;
    this.latencies[this.head] = latencyMs;
    this.oks[this.head] = ok ? 1 : 0;
    this.head = (this.head + 1) % this.ends.length;
    this.size = Math.min(this.size + 1, this.ends.length);
  }

  /** Rate (completions/s), success ratio and p99 latency (ms, from the scheduled start) over the window. */
  snapshot(now: number): { rate: number; successRatio: number; p99Ms: number; count: number } {
    const latencies: number[] = [];
    let ok = 0;
    for (let k = 0; k < this.size; k++) {
      const i = (this.head - 1 - k + this.ends.length) % this.ends.length;
      if (now - this.ends[i] > this.windowMs) break;
      latencies.push(this.latencies[i]);
      ok += this.oks[i];
    }
    const count = latencies.length;
    latencies.sort((a, b) => a - b);
    return {
      rate: (count * 1000) / this.windowMs,
      successRatio: count === 0 ? NaN : ok / count,
      p99Ms: count === 0 ? NaN : latencies[Math.min(count - 1, Math.ceil(count * 0.99) - 1)],
      count,
    };
  }
}
