import type { FaultContext } from './faults/fault';
import { DARK } from './faults/power_cut';
import { listProxies } from './faults/proxy_ops';

/**
 * What chaos left behind after a drill (docs/ARCHITECTURE.md § 7: must be none): toxics, disabled proxies,
 * paused components, components down that the drill did not leave down on purpose. Read from
 * the proxy API (through toxiproxy-node-client) and the runtime's handles, not from the journal:
 * it checks the estate, not what the harness believes it did.
 */
export interface Residue {
  kind: 'toxic' | 'proxy-disabled' | 'frozen' | 'down' | 'unchecked';
  /** The proxy or component concerned. */
  target: string;
  description: string;
}

export interface ResidueOptions {
  /** Components (or whole sites: 'dc1') the drill left down on purpose. */
  expectDown?: string[];
}

export async function checkResidue(ctx: FaultContext, opts: ResidueOptions = {}): Promise<Residue[]> {
  const { estate } = ctx;
  const expectDown = new Set(opts.expectDown ?? []);
  const residue: Residue[] = [];
  for (const c of estate.components) {
    if (!c.running) {
      if (!expectDown.has(c.name) && !(c.site && expectDown.has(c.site))) {
        residue.push({ kind: 'down', target: c.name, description: `${c.name} is not running` });
      }
    } else if (c.frozen) {
      residue.push({ kind: 'frozen', target: c.name, description: `${c.name} is frozen (paused, pid ${c.id})` });
    }
  }
  let proxies;
  try {
    proxies = await listProxies(ctx.toxiproxy);
  } catch (e) {
    // Unverified is not clean: a proxy server that does not answer may still hold toxics.
    residue.push({ kind: 'unchecked', target: 'proxies', description: `proxy API ${ctx.toxiproxy.host} did not answer: ${(e as Error).message}` });
    return residue;
  }
  for (const p of proxies.sort((a, b) => a.name.localeCompare(b.name))) {
    if (!p.enabled) residue.push({ kind: 'proxy-disabled', target: p.name, description: `proxy ${p.name} is disabled` });
    for (const t of p.toxics) {
      // A site left without power on purpose keeps its links dark: part of being down.
      if (t.name.includes(`-${DARK}-`) && [...expectDown].some((site) => ctx.estate.sites.includes(site) && ctx.estate.siteLinks(site).power.includes(p.name))) continue;
      residue.push({ kind: 'toxic', target: p.name, description: `toxic ${t.name} (${t.type}, ${t.stream}) left on ${p.name}` });
    }
  }
  return residue;
}
