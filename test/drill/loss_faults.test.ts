import { faultsFollowedBy } from '../../harness/runner/run';

describe('the faults RPO is measured from', () => {
  it('are those followed by a promotion before the next fault', () => {
    // A slow WAN at 4 s (no failover), a power cut at 10 s (promotion at 11.2 s), a SAN hang at 24 s (promotion at 25 s).
    expect(faultsFollowedBy([4000, 10_000, 24_000], [11_200, 25_000])).toEqual([10_000, 24_000]);
    // A promotion after the last fault belongs to it.
    expect(faultsFollowedBy([4000, 10_000], [60_000])).toEqual([10_000]);
    // A promotion before any fault (none should happen) belongs to none.
    expect(faultsFollowedBy([4000], [1000, 5000])).toEqual([4000]);
  });

  it('are every fault when none was followed by a promotion (the backup never came up)', () => {
    expect(faultsFollowedBy([10_000, 4000], [])).toEqual([4000, 10_000]);
    expect(faultsFollowedBy([], [5000])).toEqual([]);
  });
});
