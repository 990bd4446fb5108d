import type { RequestLog } from '../load/records';
import { SERVICES } from '../load/records';

/**
 * A scope is the set of requests a figure is computed over: one service, or all of them together.
 * Figures are given per service present in the log (a service with no requests has no figures,
 * rather than a misleading "nothing failed") and for `all`.
 */
export const ALL = 'all';

export interface Scope {
  name: string;
  /** Service code in RequestLog.service, or -1 for all services. */
  code: number;
}

export function scopesOf(log: RequestLog): Scope[] {
  const present = new Set<number>();
  for (let i = 0; i < log.length; i++) present.add(log.service[i]);
  const scopes: Scope[] = SERVICES.map((name, code) => ({ name, code })).filter((s) => present.has(s.code));
  return [...scopes, { name: ALL, code: -1 }];
}

export function inScope(log: RequestLog, scope: Scope, i: number): boolean {
  return scope.code < 0 || log.service[i] === scope.code;
}
