import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { resultSchema, type DrillResult } from '../../model/result';
import { labelled } from '../helpers/docker';
import { processesMentioning, runCli } from '../helpers/drill';

/** PostgreSQL backends of any Patroni estate's cluster still running. */
export const postgresLeft = (): string[] => processesMentioning('postgres: blackstart');

/** A drill text of the Patroni estate on the docker runtime (its `estate: { file: ... }` line). */
function onDocker(drill: string): string {
  if (!/estate: \{ file: /.test(drill)) throw new Error('the drill text has no `estate: { file: ... }` to run on docker');
  return drill.replace('estate: { file: ', 'estate: { runtime: docker, file: ');
}

/** The shipped Patroni estate, for drill texts written in a test. */
export const PATRONI_ESTATE = resolve(__dirname, '..', '..', 'estates', 'regional-patroni.yaml');

export interface PatroniRun {
  result: DrillResult;
  code: number | null;
  output: string;
  /** A component's log (dc1-db, dc2-haproxy, ...). */
  log: (component: string) => string;
  /** Patroni's dynamic configuration as dc2's node last saved it (patroni.dynamic.json); null on docker. */
  dcs: Record<string, unknown> | null;
  /** What the drill left running: every process under its directory, and PostgreSQL backends. */
  leftovers: string[];
}

/**
 * Runs a drill text on the Patroni estate through the CLI in a fresh directory (readable by the
 * postgres user, which runs PostgreSQL under it), then reads its result.json and logs, and removes
 * the directory. A run that ended in an error throws it with the end of the output.
 */
export async function runPatroniDrill(
  drill: string,
  args: string[] = [],
  options: { alone?: boolean; runtime?: 'process' | 'docker'; onLoadEnd?: () => void } = {},
): Promise<PatroniRun> {
  const docker = options.runtime === 'docker';
  const dir = mkdtempSync(join(tmpdir(), 'blackstart-patroni-'));
  chmodSync(dir, 0o755);
  try {
    writeFileSync(join(dir, 'drill.yaml'), docker ? onDocker(drill) : drill);
    const cli = runCli(['drill', 'drill.yaml', '--out', 'out', '--no-history', ...args], dir);
    // Said once its load has ended (or it exited without one): what follows is revert, read-back and stop.
    if (options.onLoadEnd) void cli.waitFor(/^load ended/m, 600_000).then(options.onLoadEnd, options.onLoadEnd);
    const code = await cli.exited;
    const result = resultSchema.parse(JSON.parse(readFileSync(join(dir, 'out', 'result.json'), 'utf8')));
    if (result.error) throw new Error(`${result.error}\n${cli.output().slice(-3000)}`);
    const logs = join(dir, 'out', 'estate');
    const estateDir = readdirSync(logs).find((d) => d.startsWith('estate-'))!;
    const texts = new Map<string, string>();
    const log = (name: string) => {
      if (!texts.has(name)) texts.set(name, readFileSync(join(logs, estateDir, 'logs', `${name}.log`), 'utf8'));
      return texts.get(name)!;
    };
    for (const c of ['dc1-db', 'dc2-db']) log(c);
    // On docker the node's data directory is a volume, gone with the estate.
    const dcs = docker ? null : (JSON.parse(readFileSync(join(logs, estateDir, 'components', 'dc2-db', 'pg', 'patroni.dynamic.json'), 'utf8')) as Record<string, unknown>);
    // Its own processes, by its directory. Backends rename themselves ("postgres: blackstart: ..."),
    // so they can be told apart only by the cluster's name, which every run shares: with drills run
    // side by side, the caller looks for them once all have ended (postgresLeft). On docker: the
    // containers, volumes and network labelled with its state root.
    const leftovers = docker
      ? Object.values(await labelled({ root: logs })).flat()
      : [...processesMentioning(dir), ...(options.alone === false ? [] : postgresLeft())];
    return { result, code, output: cli.output(), log, dcs, leftovers };
  } finally {
    if (!process.env.BLACKSTART_KEEP_TEST_DIR) rmSync(dir, { recursive: true, force: true });
  }
}
