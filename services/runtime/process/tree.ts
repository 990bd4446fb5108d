import { readdirSync, readFileSync } from 'node:fs';
import { signal } from '../../../lib/signal';

/**
 * A component's whole process tree. Software such as Patroni starts its children with `setsid`
 * (the postmaster, and every backend after it), so a signal to one pid or to a process group
 * misses them: a power cut must kill every process the component started, a freeze must stop them
 * all. The tree is read from the ppid links of /proc/<pid>/stat, collected before anything is
 * signalled (a killed parent's children are re-parented and could no longer be found).
 *
 * cgroup v2 with `cgroup.kill` would do this atomically; it needs a writable cgroup2 mount, which
 * a container or CI runner does not always give, so the /proc walk is what every runtime here uses.
 * Stopping the tree first (SIGSTOP, repeated until no new process appears) closes the window in
 * which a process forks while it is being collected.
 */

/**
 * The environment variable every process of a component inherits (`<estate id>/<component>`), so
 * that what it started is found even after a parent died and its children were re-parented.
 */
export const COMPONENT_MARK = 'BLACKSTART_COMPONENT';

/** pid -> ppid of every process /proc lists now. */
function parents(): Map<number, number> {
  const out = new Map<number, number>();
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return out;
  }
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    const ppid = ppidOf(Number(e));
    if (ppid !== undefined) out.set(Number(e), ppid);
  }
  return out;
}

/** The parent of a process (field 4 of /proc/<pid>/stat, after the command in parentheses). */
export function ppidOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    return Number.isInteger(ppid) ? ppid : undefined;
  } catch {
    return undefined;
  }
}

/** `root` and every descendant of it alive now (root first, then breadth-first); [] when root is gone. */
export function processTree(root: number): number[] {
  const all = parents();
  if (!all.has(root)) return [];
  const children = new Map<number, number[]>();
  for (const [pid, ppid] of all) {
    if (!children.has(ppid)) children.set(ppid, []);
    children.get(ppid)!.push(pid);
  }
  const out = [root];
  for (let i = 0; i < out.length; i++) for (const c of children.get(out[i]) ?? []) if (!out.includes(c)) out.push(c);
  return out;
}

/** Processes (other than this one) whose environment holds `NAME=value`: what a component's tree inherits even where it was re-parented. Root reads every process's. */
export function processesWithEnv(name: string, value: string | ((value: string) => boolean)): number[] {
  const prefix = `${name}=`;
  const matches = (v: string) => (typeof value === 'string' ? v === value : value(v));
  const out: number[] = [];
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return out;
  }
  for (const e of entries) {
    if (!/^\d+$/.test(e) || Number(e) === process.pid) continue;
    try {
      const vars = readFileSync(`/proc/${e}/environ`, 'latin1').split('\0');
      if (vars.some((v) => v.startsWith(prefix) && matches(v.slice(prefix.length)))) out.push(Number(e));
    } catch {
      // gone, or not ours to read
    }
  }
  return out;
}


/**
 * Stops the tree under `root` (and the extra pids given) with SIGSTOP until no new process shows
 * up, so nothing forks while it is collected; returns every pid stopped.
 */
export function stopTree(root: number | undefined, extra: number[] = []): number[] {
  const seen = new Set<number>();
  for (let round = 0; round < 10; round++) {
    const now = [...(root === undefined ? [] : processTree(root)), ...extra.flatMap((p) => processTree(p))];
    const fresh = now.filter((p) => !seen.has(p));
    if (fresh.length === 0) break;
    for (const p of fresh) {
      seen.add(p);
      signal(p, 'SIGSTOP');
    }
  }
  return [...seen];
}

/** SIGKILL to `root` and every descendant at once (the tree stopped first, so none escapes); returns the pids killed. */
export function killTree(root: number | undefined, extra: number[] = []): number[] {
  const pids = stopTree(root, extra);
  const killed = pids.filter((p) => signal(p, 'SIGKILL'));
  // A stopped process dies of SIGKILL; the continue is for any pid that was not ours to kill.
  for (const p of pids) signal(p, 'SIGCONT');
  return killed;
}

/** SIGCONT to `root` and every descendant. */
export function continueTree(root: number): number[] {
  const pids = processTree(root);
  for (const p of pids) signal(p, 'SIGCONT');
  return pids;
}

/** `sig` to `root` and every descendant, collected before any is signalled. */
export function signalTree(root: number, sig: NodeJS.Signals): number[] {
  const pids = processTree(root);
  return pids.filter((p) => signal(p, sig));
}
