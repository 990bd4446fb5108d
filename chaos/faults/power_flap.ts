import type { Fault, FaultContext } from './fault';
import { cutPower, powerRevertPlan, restorePower } from './power_cut';
import type { AtSite, PowerFlapSpec } from '../../model/faults';

/**
 * Repeated interruptions (the incident had several): `times` cycles of `every` ms, each cycle
 * power off for the first half of its period, then a cold start. A cold start that outlasts
 * its period pushes the next cut back rather than cutting a half-started site. `apply` resolves
 * when the last cycle has restored the site; `revert` stops a flap in progress and makes sure
 * the site is up.
 *
 * Every cut strikes `spec.site`. A flap aimed at a role (`site: active`) is resolved once, before
 * its first cut (chaos/faults/targeted.ts): the first cut fails the estate over, so a role resolved
 * again at the second cut would name the other site and the flap would chase the failover instead
 * of flapping one site's power.
 */
export function powerFlapFault(id: string, spec: AtSite<PowerFlapSpec>): Fault {
  let running: Promise<void> | undefined;
  let stop: AbortController | undefined;
  return {
    id,
    spec: { kind: 'power_flap', spec },
    describe: () => `power flap at ${spec.site}: ${spec.times} interruption${spec.times === 1 ? '' : 's'}, every ${spec.every} ms`,
    revertPlan: ({ estate }: FaultContext) => powerRevertPlan(estate, spec.site, id),
    apply: async (ctx) => {
      const abort = new AbortController();
      stop = abort;
      const cycles = async () => {
        const t0 = performance.now();
        for (let i = 0; i < spec.times && !abort.signal.aborted; i++) {
          await sleepUntil(t0 + i * spec.every, abort.signal);
          if (abort.signal.aborted) break;
          await cutPower(ctx, spec.site, id);
          await sleepUntil(t0 + i * spec.every + spec.every / 2, abort.signal);
          if (abort.signal.aborted) break;
          await restorePower(ctx, spec.site, id);
        }
      };
      running = cycles();
      await running;
    },
    revert: async (ctx) => {
      stop?.abort();
      // Let a restore in progress finish before starting what is still down.
      await running?.catch(() => undefined);
      await restorePower(ctx, spec.site, id);
    },
  };
}

function sleepUntil(at: number, signal: AbortSignal): Promise<void> {
  const ms = at - performance.now();
  if (ms <= 0 || signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
