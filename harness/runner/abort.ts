import type { Drill } from '../drill/schema';
import type { LiveStats } from '../load/live';

/**
 * The drill's safety stops: a rule trips when the success ratio of the last second stays below
 * its threshold for its whole `for` period. Checked four times a second.
 */
export function watchAbort(rules: Drill['abort'], live: LiveStats, onTrip: (reason: string) => void): () => void {
  if (rules.length === 0) return () => {};
  const since: (number | null)[] = rules.map(() => null);
  const timer = setInterval(() => {
    const now = performance.now();
    const s = live.snapshot(now);
    rules.forEach((rule, i) => {
      const bad = s.count > 0 && s.successRatio < rule.success_ratio_below;
      if (!bad) since[i] = null;
      else if (since[i] === null) since[i] = now;
      else if (now - since[i]! >= rule.for) {
        clearInterval(timer);
        onTrip(`success ratio below ${rule.success_ratio_below} for ${rule.for} ms (last second: ${(s.successRatio * 100).toFixed(1)}%)`);
      }
    });
  }, 250);
  return () => clearInterval(timer);
}
