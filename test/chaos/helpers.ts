import { readFileSync } from 'node:fs';
import { Toxiproxy } from 'toxiproxy-node-client';
import { listProxies } from '../../chaos/faults/proxy_ops';
import { processState } from '../../services/runtime/process/records';

/** Gone or a zombie: a killed process whose parent (maybe init, maybe nobody) has not reaped it. */
export function isDead(pid: number): boolean {
  const state = processState(pid);
  if (state !== undefined) return state === 'Z' || state === 'X';
  try {
    process.kill(pid, 0);
    return false;
  } catch {
    return true;
  }
}

export const isPaused = (pid: number) => processState(pid) === 'T';

/** Every toxic and every disabled proxy on a proxy server, as short strings. */
export async function proxyResidue(proxyApi: string): Promise<string[]> {
  const proxies = await listProxies(new Toxiproxy(proxyApi));
  return proxies.flatMap((p) => [...(p.enabled ? [] : [`${p.name} disabled`]), ...p.toxics.map((t) => `${p.name}: ${t.name}`)]);
}

export const readLines = (path: string) =>
  readFileSync(path, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);

export async function timed<T>(f: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const t0 = performance.now();
  const value = await f();
  return { value, ms: performance.now() - t0 };
}
