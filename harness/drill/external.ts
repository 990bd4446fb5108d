import type { z } from 'zod';
import { FAULT_KINDS, isSiteRole, partRole } from '../../model/faults';
import { externalFaultRefusal, type EstateConfig } from '../../services/estate/config';

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * What an external estate cannot do with a drill's faults (docs/ARCHITECTURE.md § 5, hooks): a
 * fault kind it has no hook for, a site it does not have, what needs a failover controller when
 * it names none. Each problem names the fault (`faults.<i>.<kind>`); nothing for the estates
 * blackstart starts.
 */
export function externalFaultIssues(drill: Record<string, unknown>, config: EstateConfig | undefined): z.core.$ZodIssue[] {
  if (config?.runtime !== 'external' || !config.external) return [];
  const sites: readonly string[] = config.external.sites;
  const faults = Array.isArray(drill.faults) ? drill.faults : [];
  const issues: z.core.$ZodIssue[] = [];
  faults.forEach((fault: unknown, i) => {
    if (!isRecord(fault)) return;
    const kind = FAULT_KINDS.find((k) => fault[k] !== undefined);
    if (!kind) return; // the schema's to report
    const spec = isRecord(fault[kind]) ? (fault[kind] as Record<string, unknown>) : {};
    const target = [spec.site, spec.component, spec.link].find((v): v is string => typeof v === 'string');
    const role = target !== undefined && (isSiteRole(target) || partRole(target) !== null);
    const refusal =
      kind === 'kill_process' ? 'blackstart cannot kill a process of a system it did not start (kill_process needs the process runtime)' : externalFaultRefusal(config, kind, { role });
    const name = typeof fault.name === 'string' ? fault.name : `fault-${i}`;
    if (refusal) issues.push({ code: 'custom', path: ['faults', i, kind], message: `${name}: ${refusal}`, input: fault[kind] });
    if (typeof spec.site === 'string' && !isSiteRole(spec.site) && !sites.includes(spec.site)) {
      issues.push({ code: 'custom', path: ['faults', i, kind, 'site'], message: `no site ${JSON.stringify(spec.site)} in the external estate (sites: ${sites.join(', ')})`, input: spec.site });
    }
  });
  return issues;
}
