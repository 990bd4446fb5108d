import { isSiteRole, partRole } from '../../model/faults';
import { describeHook, describeUntil, type HookedFault, type StatusProbe } from '../../model/hooks';
import { hookVars } from '../../services/estate/config';
import { hookEnvNeeds } from '../../services/runtime';
import { faultSpecOf } from './load';
import { faultName, type Drill } from './schema';

/**
 * The dry run's part for an external system (docs/ARCHITECTURE.md § 5, hooks): what blackstart
 * would touch, and every hook each fault would run, with its arguments filled in as they would be
 * (`${env:NAME}` left as written: a secret is never printed), in the order it would run them.
 * Nothing is called. Empty for the estates blackstart starts.
 */
export function externalPlanLines(drill: Drill): string[] {
  const x = drill.estate.runtime === 'external' ? drill.estate.external : undefined;
  if (!x) return [];
  const lines = [
    `external system (blackstart starts none of it): sites ${x.sites.join(', ')}; allowed hosts ${x.allowed_hosts.join(', ')}`,
    `  services: ${Object.entries(x.services).map(([s, u]) => `${s} ${u}`).join(', ')}${x.proxy_clients ? " (through blackstart's proxy: link frontdoor)" : ' (called directly: no link for network faults)'}`,
    `  controller: ${x.controller ?? 'none (time to detect/promote/switch null, split-brain not measured)'}; ledger listing: ${
      Object.entries(x.ledger.san_admin ?? {}).map(([s, u]) => `${s} ${u}`).join(', ') || 'none'
    }`,
  ];
  const env = hookEnvNeeds(x);
  if (env.length) lines.push(`  environment: ${env.map((e) => `${e.name} ${process.env[e.name] === undefined ? `NOT SET (needed by ${e.where}: the drill would refuse to start)` : 'set'}`).join(', ')}`);
  lines.push('hooks (dry run: printed with their arguments, none called):');
  let any = false;
  drill.faults.forEach((f, i) => {
    const { kind, spec } = faultSpecOf(f);
    const hookKind: HookedFault | undefined = kind === 'power_cut' || kind === 'power_flap' ? 'power_cut' : kind === 'storage_cut' || kind === 'freeze' ? kind : undefined;
    const hooks = hookKind ? x.hooks[hookKind] : undefined;
    if (!hookKind || !hooks) return;
    any = true;
    const id = `${i}-${faultName(f, i)}`;
    const s = spec as { site?: string; component?: string; mode?: string };
    // A role is resolved when the fault is applied: shown as <active>.
    const site = s.site !== undefined ? (isSiteRole(s.site) ? `<${s.site}>` : s.site) : s.component ? x.sites.find((c) => s.component!.startsWith(`${c}-`)) ?? (partRole(s.component) ? `<${partRole(s.component)!.role}>` : undefined) : undefined;
    const component = s.component && partRole(s.component) ? `<${s.component}>` : s.component;
    const vars = hookVars(x, { site, component, mode: s.mode, fault: id });
    const show = (what: string, h: Parameters<typeof describeHook>[0] | undefined) => {
      if (!h) return;
      let text: string;
      try {
        text = describeHook(h, vars);
      } catch (e) {
        text = `cannot fill: ${(e as Error).message}`;
      }
      lines.push(`    ${what.padEnd(16)} ${text}${'until' in h ? `; ${describeUntil(h as StatusProbe)}` : ''}`);
    };
    const cycles = kind === 'power_flap' ? ` (each of ${(spec as { times: number }).times} cuts)` : '';
    lines.push(`  ${faultName(f, i)}: ${hookKind} ${site ? `at ${site}` : ''}${component ? ` ${component}` : ''}${cycles}`);
    show('1. journal', hooks.rollback);
    lines.push(`    ${''.padEnd(16)} (the rollback above is written to the journal before the inject runs)`);
    show('2. inject', hooks.inject);
    show('3. status', hooks.status);
    show('4. rollback', hooks.rollback);
    show('5. rollback ok', hooks.rollback_status);
  });
  if (!any) lines.push('  none: no fault of this drill runs a hook');
  return lines;
}
