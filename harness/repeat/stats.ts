import type { Distribution } from '../../model/aggregate';
import type { Stat } from '../../model/stat';

/**
 * The statistics of repeated runs (docs/ARCHITECTURE.md § 7.14), as pure functions of the per-run
 * values. A run without a value (RTO "not recovered", no success after the first failure, no
 * ledger) is not a number: it is counted (`missing`) and sorted as +infinity, so a statistic whose
 * rank falls on it is itself "not recovered" (null), never a made-up number.
 */

export interface Sample {
  run: number;
  /** null: no value in this run (+infinity). */
  value: number | null;
}

/** The level of the median's interval. */
export const CI_LEVEL = 0.95;

export const DEFINITIONS: Record<string, string> = {
  samples:
    'one value per run measured: runs interrupted by Ctrl-C/SIGTERM and runs whose verdict is error are left out; a run without a value (not recovered, no success, not measured) is a sample that counts as +infinity (`missing`)',
  percentile:
    'nearest rank over the n samples sorted ascending (missing ones last, as +infinity): the p-th percentile is x_(ceil(p/100 * n)), rank at least 1; min = x_(1), median = x_(ceil(n/2)) (the lower median for even n), p90 = x_(ceil(0.9 n)), max = x_(n); a statistic whose rank falls on a missing sample is "not recovered" (null)',
  mean: 'arithmetic mean of the n samples; null ("not recovered") when any sample is missing',
  medianCi:
    'distribution-free interval of the median by order statistics: [x_(j), x_(k)] with k = n + 1 - j and the largest j such that the coverage P(j <= B < k), B ~ Binomial(n, 1/2), is at least 0.95; it exists from n = 6 (j = 1, k = 6, coverage 0.969); for n < 6 no 95% interval exists and none is given; the achieved coverage is reported',
  rto: 'RTO of a fault and scope per run (§ 7.4); missing: not recovered',
  timeToFirstSuccess: 'time to first success of a fault and scope per run (§ 7.5); 0 when nothing failed; missing: nothing succeeded after the first failure',
  lostWrites: "lost acknowledged writes per run (the ledger's `lost`, § 7.9); missing: no ledger",
  errorRate: "(fail + info + dropped) / all requests of the run (warm-up included, the run history's figure); missing: no requests",
  p99Ms: 'HDR p99 latency over the run, all services (§ 7.7); missing: no samples',
  verdicts: 'finished runs counted per verdict; a group (one rate) is error if a run is, else residue, else aborted, else failed if a run failed a gate or a statistic gate failed, else passed',
  statGates:
    'a gate with `stat` takes each run\'s value of the gate (judged as without stat) as a sample and passes when the statistic exists and is <= max; it is left out of each run\'s own verdict',
  firstFailingRate: 'sweeps: the lowest offered rate at which a gate failed, in any run or on the aggregate',
};

/**
 * Nearest-rank percentile of samples sorted ascending with missing values last: x_(ceil(p/100 n)).
 * null when n = 0 or when the rank falls on a missing sample.
 */
export function percentile(sorted: readonly (number | null)[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1];
}

/** Values ascending, missing (null) last. */
export function sortSamples(values: readonly (number | null)[]): (number | null)[] {
  return [...values].sort((a, b) => (a === null ? (b === null ? 0 : 1) : b === null ? -1 : a - b));
}

/** P(B <= x) for B ~ Binomial(n, 1/2), exact for the n of drills (at most a few hundred). */
export function binomialHalfCdf(n: number, x: number): number {
  if (x < 0) return 0;
  if (x >= n) return 1;
  let pmf = Math.pow(0.5, n);
  let cdf = pmf;
  for (let i = 0; i < x; i++) {
    pmf = (pmf * (n - i)) / (i + 1);
    cdf += pmf;
  }
  return Math.min(1, cdf);
}

/**
 * The ranks [j, k] of the narrowest symmetric order-statistics interval around the median of n
 * samples with coverage P(j <= B < k) >= level, B ~ Binomial(n, 1/2), and the coverage achieved;
 * null when even [x_(1), x_(n)] covers less (n < 6 at 95 %).
 */
export function medianCiRanks(n: number, level = CI_LEVEL): { j: number; k: number; coverage: number } | null {
  let best: { j: number; k: number; coverage: number } | null = null;
  for (let j = 1; j <= Math.floor(n / 2); j++) {
    const k = n + 1 - j;
    // P(j <= B <= k - 1) = 1 - P(B <= j - 1) - P(B >= k) = 1 - 2 P(B <= j - 1) by symmetry.
    const coverage = 1 - 2 * binomialHalfCdf(n, j - 1);
    if (coverage < level) break;
    best = { j, k, coverage };
  }
  return best;
}

export function distribution(samples: readonly Sample[]): Distribution {
  const n = samples.length;
  const sorted = sortSamples(samples.map((s) => s.value));
  const missing = sorted.filter((v) => v === null).length;
  const ranks = medianCiRanks(n);
  const mean = n === 0 || missing > 0 ? null : (sorted as number[]).reduce((a, b) => a + b, 0) / n;
  return {
    samples: samples.map((s) => ({ run: s.run, value: s.value })),
    n,
    missing,
    min: percentile(sorted, 0),
    median: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    max: percentile(sorted, 100),
    mean,
    medianCi: ranks && { lower: sorted[ranks.j - 1], upper: sorted[ranks.k - 1], ranks: [ranks.j, ranks.k], coverage: ranks.coverage },
    medianCiNote: ranks ? null : n === 0 ? 'no runs measured' : `n too small for a 95% interval (n = ${n}; it needs n >= 6)`,
  };
}

/** The statistic a gate names, from a distribution. */
export function statOf(d: Distribution, stat: Stat): number | null {
  return d[stat];
}
