import { binomialHalfCdf, distribution, medianCiRanks, percentile, sortSamples } from '../../harness/repeat/stats';
import { distributionSchema } from '../../model/aggregate';

const samples = (values: (number | null)[]) => values.map((value, i) => ({ run: i + 1, value }));

describe('statistics of repeated runs (docs/ARCHITECTURE.md § 7.14)', () => {
  it('nearest-rank percentiles: x_(ceil(p/100 n)); the median of an even n is the lower one', () => {
    const d = distribution(samples([5, 1, 4, 2, 3]));
    expect([d.min, d.median, d.p90, d.max, d.mean]).toEqual([1, 3, 5, 5, 3]);
    expect(distribution(samples([4, 1, 3, 2])).median).toBe(2);
    // p90 of 10 is the 9th value, of 20 the 18th.
    expect(distribution(samples([...Array(10).keys()].map((i) => (i + 1) * 100))).p90).toBe(900);
    expect(distribution(samples([...Array(20).keys()].map((i) => i + 1))).p90).toBe(18);
    expect(percentile([7], 90)).toBe(7);
    expect(percentile([], 50)).toBeNull();
  });

  it('a run that did not recover is +infinity: counted, sorted last, and a statistic on it is "not recovered"', () => {
    expect(sortSamples([3, null, 1, null, 2])).toEqual([1, 2, 3, null, null]);
    const d = distribution(samples([300, null, 100, 800, 200, 700, null, 400, 600, 500]));
    expect(d.n).toBe(10);
    expect(d.missing).toBe(2);
    expect(d.min).toBe(100);
    expect(d.median).toBe(500);
    // Rank 9 of 10 falls on a missing run: p90 (and max, and the mean) are "not recovered".
    expect(d.p90).toBeNull();
    expect(d.max).toBeNull();
    expect(d.mean).toBeNull();
    // Samples keep their runs, in run order.
    expect(d.samples.slice(0, 3)).toEqual([{ run: 1, value: 300 }, { run: 2, value: null }, { run: 3, value: 100 }]);
    expect(distributionSchema.parse(d)).toEqual(d);
  });

  it('the exact binomial tail', () => {
    expect(binomialHalfCdf(10, 1)).toBeCloseTo(11 / 1024, 15);
    expect(binomialHalfCdf(6, 0)).toBeCloseTo(1 / 64, 15);
    expect(binomialHalfCdf(4, 4)).toBe(1);
    expect(binomialHalfCdf(4, -1)).toBe(0);
    expect(binomialHalfCdf(100, 50)).toBeCloseTo(0.5397946186935895, 12);
  });

  it('the median CI by order statistics: none below n = 6, [x_(1), x_(6)] at 6, [x_(2), x_(9)] at 10, [x_(6), x_(15)] at 20', () => {
    for (const n of [1, 2, 3, 4, 5]) expect(medianCiRanks(n)).toBeNull();
    expect(medianCiRanks(6)).toEqual({ j: 1, k: 6, coverage: 1 - 2 / 64 });
    expect(medianCiRanks(10)).toEqual({ j: 2, k: 9, coverage: 1 - 22 / 1024 });
    const twenty = medianCiRanks(20)!;
    expect([twenty.j, twenty.k]).toEqual([6, 15]);
    expect(twenty.coverage).toBeCloseTo(1 - (2 * 21700) / 1048576, 12);
    // Always the narrowest symmetric interval with coverage >= 95 %.
    for (let n = 6; n <= 100; n++) {
      const r = medianCiRanks(n)!;
      expect(r.coverage).toBeGreaterThanOrEqual(0.95);
      expect(r.k).toBe(n + 1 - r.j);
      expect(1 - 2 * binomialHalfCdf(n, r.j)).toBeLessThan(0.95);
    }
  });

  it('puts the interval on the sorted values, missing runs as +infinity, and says why there is none', () => {
    const five = distribution(samples([1, 2, 3, 4, 5]));
    expect(five.medianCi).toBeNull();
    expect(five.medianCiNote).toBe('n too small for a 95% interval (n = 5; it needs n >= 6)');
    const six = distribution(samples([6, 5, 4, 3, 2, 1]));
    expect(six.medianCi).toEqual({ lower: 1, upper: 6, ranks: [1, 6], coverage: 0.96875 });
    const ten = distribution(samples([300, null, 100, 800, 200, 700, null, 400, 600, 500]));
    expect(ten.medianCi).toEqual({ lower: 200, upper: null, ranks: [2, 9], coverage: 1 - 22 / 1024 });
    const none = distribution([]);
    expect([none.n, none.median, none.medianCi, none.medianCiNote]).toEqual([0, null, null, 'no runs measured']);
  });
});
