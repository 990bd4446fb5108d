import type { Range } from '../../model/figures/phases';
import type { Recovery } from '../../model/figures/recovery';
import type { RequestLog } from '../load/records';
import { inScope, scopesOf } from './scope';

/**
 * When a recovery's latency ceiling is read from the baseline (no `max_p95`) and a window holds
 * few requests of a scope, the window's p95 is one of its slowest requests: one or two slow
 * requests, a busy machine's noise, make a window unhealthy and move t_recovered by a window
 * (docs/ARCHITECTURE.md § 7.4 "The ceiling shapes both ends"). Not an error in the figure, which
 * follows its definition, but a caveat a reader of the RTO needs: said in result.json `notes`.
 */

/** Below this many latencies in a window, nearest-rank p95 is its slowest or second-slowest. */
export const THIN_WINDOW = 40;

export interface ThinScope {
  scope: string;
  /** The scope's requests per recovery window over the baseline. */
  perWindow: number;
  /** The derived ceiling, ms. */
  ceilingMs: number;
  /** Which of a window's requests its p95 is, counted from the slowest (1: the slowest). */
  fromSlowest: number;
}

/** The recovery rule the figures were computed with (the drill's `recovery`, and the baseline). */
export interface CeilingRule {
  windowMs: number;
  p95Factor: number;
  maxP95Ms?: number;
  baseline: Range;
}

/** Scopes that failed under a fault whose ceiling came from the baseline and whose windows are thin. */
export function thinScopes(log: RequestLog, recoveries: Recovery[], rule: CeilingRule): ThinScope[] {
  const { from, to } = rule.baseline;
  if (rule.maxP95Ms !== undefined || to <= from) return [];
  const seen = new Map<string, ThinScope>();
  for (const rec of recoveries) {
    for (const scope of scopesOf(log)) {
      const figures = scope.code < 0 ? rec.all : rec.byService[scope.name];
      if (!figures?.failed || figures.maxP95Ms === null || seen.has(scope.name)) continue;
      let n = 0;
      for (let i = 0; i < log.length; i++) if (log.scheduled[i] >= from && log.scheduled[i] < to && inScope(log, scope, i)) n++;
      const perWindow = (n * rule.windowMs) / (to - from);
      if (perWindow >= THIN_WINDOW) continue;
      const m = Math.max(1, Math.round(perWindow));
      seen.set(scope.name, { scope: scope.name, perWindow, ceilingMs: figures.maxP95Ms, fromSlowest: m - Math.ceil(0.95 * m) + 1 });
    }
  }
  return [...seen.values()];
}

/** The caveat as one line for result.json `notes`; undefined when there is none. */
export function ceilingCaveat(log: RequestLog, recoveries: Recovery[], rule: CeilingRule): string | undefined {
  const thin = thinScopes(log, recoveries, rule);
  if (thin.length === 0) return undefined;
  const ordinal = (k: number) => (k === 1 ? 'slowest' : 'second-slowest');
  const each = thin.map((t) => `${t.scope} about ${Math.round(t.perWindow)}: its p95 is its ${ordinal(t.fromSlowest)}, ceiling ${t.ceilingMs.toFixed(1)} ms`).join('; ');
  return (
    `recovery: no max_p95, so the latency ceiling is ${rule.p95Factor} x each scope's baseline p95, and a ${rule.windowMs} ms window holds few requests (${each}): ` +
    'one or two slow answers make a window unhealthy and can move RTO by a window; set recovery.max_p95 to a latency that matters to users (docs/ARCHITECTURE.md § 7.4)'
  );
}
