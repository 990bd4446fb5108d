import { spawn } from 'node:child_process';
import {
  describeHook,
  describeUntil,
  maskSecrets,
  refusedUrl,
  renderHook,
  secretValues,
  TemplateError,
  type Hook,
  type HookStep,
  type StatusProbe,
} from '../../../model/hooks';

/**
 * The hook runner (model/hooks.ts): runs a command or makes an HTTP call, filled in from its
 * templates at this moment (`${env:NAME}` from this process's environment), after checking every
 * URL it touches against the allowed hosts. Used by the external runtime (inject, rollback, status
 * probes) and by `blackstart restore` (a journaled rollback). Secrets are masked (`***`) in
 * everything it returns or throws.
 */

/** What one run of a hook gave. */
export interface HookRun {
  /** The command's exit code (null when killed), or the HTTP status. */
  exit?: number | null;
  status?: number;
  /** stdout (a command) or the response body, cut to 4 KiB, secrets masked. */
  output: string;
  ms: number;
}

export interface HookOptions {
  /** Filled into `${name}`. */
  vars: Record<string, string>;
  /** The hosts any URL of the hook must be on. */
  allowedHosts: readonly string[];
  /** Names the hook in messages: `estate.external.hooks.power_cut.inject`. */
  where: string;
  /** Where `${env:NAME}` comes from (default: this process's environment). */
  env?: NodeJS.ProcessEnv;
  log?: (line: string) => void;
}

/** A hook that failed: refused, not runnable, timed out, or answered what it should not. */
export class HookError extends Error {}
/** A hook that was not run at all: a URL off the allowed hosts, a template that cannot be filled. */
export class HookRefused extends HookError {}

const OUTPUT_LIMIT = 64 * 1024;
const SHOWN = 4096;

/**
 * Runs a hook once and checks its outcome (`expect_exit`, `expect_status`): HookError otherwise,
 * with the hook's output. Nothing runs when a template cannot be filled or a URL is refused.
 */
export async function runHook(hook: Hook, o: HookOptions): Promise<HookRun> {
  const run = await attempt(hook, o);
  const secrets = secretValues(hook, o.env ?? process.env);
  if (hook.command) {
    if (run.exit !== hook.command.expect_exit) {
      throw new HookError(`${o.where}: ${hook.command.path} exited ${run.exit ?? 'by a signal'} (expected ${hook.command.expect_exit})${tail(run.output)}`);
    }
  } else {
    const ok = hook.http.expect_status ? hook.http.expect_status.includes(run.status!) : run.status! >= 200 && run.status! < 300;
    if (!ok) throw new HookError(`${o.where}: ${hook.http.method} ${maskSecrets(shownUrl(hook, o), secrets)} answered ${run.status} (expected ${hook.http.expect_status?.join('|') ?? '2xx'})${tail(run.output)}`);
  }
  return run;
}

/**
 * Polls a status probe until it answers what `until` asks (every `every`, 500 ms by default) or its
 * deadline passes (HookError with the last answer). A try that fails to run (a timeout, a refused
 * connection) is a try that did not match; a refused URL or an unfilled template ends it at once.
 */
export async function pollProbe(probe: StatusProbe, o: HookOptions): Promise<HookRun> {
  const start = performance.now();
  const every = probe.every ?? 500;
  let last = 'no answer';
  for (let tries = 1; ; tries++) {
    try {
      const run = await attempt(probe, o);
      if (matches(probe, run)) {
        o.log?.(`${o.where}: matched after ${tries} tr${tries === 1 ? 'y' : 'ies'} (${Math.round(performance.now() - start)} ms)`);
        return run;
      }
      last = run.status !== undefined ? `status ${run.status}${tail(run.output)}` : `exit ${run.exit}${tail(run.output)}`;
    } catch (e) {
      if (e instanceof HookRefused) throw e;
      last = (e as Error).message;
    }
    const left = probe.deadline - (performance.now() - start);
    if (left <= 0) throw new HookError(`${o.where}: status probe did not match ${describeUntil(probe)} (${tries} tr${tries === 1 ? 'y' : 'ies'}); last: ${last}`);
    await new Promise((r) => setTimeout(r, Math.min(every, left)));
  }
}

/** Runs a hook, then polls its probe if it has one. */
export async function runWithProbe(hook: Hook, probe: StatusProbe | undefined, o: HookOptions, probeWhere: string): Promise<void> {
  o.log?.(`${o.where}: ${describeHook(hook, o.vars)}`);
  await runHook(hook, o);
  if (probe) await pollProbe(probe, { ...o, where: probeWhere });
}

/**
 * Carries out a journaled rollback (a revert step of type `hook`), from any process: the rollback
 * hook, then its probe. Returns what it did, in words; throws HookError when it failed.
 */
export async function runHookStep(step: HookStep, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const o: HookOptions = { vars: step.vars, allowedHosts: step.allowed_hosts, where: step.source, env };
  const run = await runHook(step.hook, o);
  if (step.status) await pollProbe(step.status, { ...o, where: `${step.source.replace(/\.rollback$/, '')}.rollback_status` });
  const what = step.hook.command ? `exit ${run.exit}` : `status ${run.status}`;
  return `ran ${step.source} (${describeHook(step.hook, step.vars)}): ${what}${step.status ? ', status probe matched' : ''}`;
}

function matches(p: StatusProbe, run: HookRun): boolean {
  const u = p.until;
  if (u.exit !== undefined && run.exit !== u.exit) return false;
  if (u.status !== undefined && !([] as number[]).concat(u.status).includes(run.status ?? -1)) return false;
  if (u.body_contains !== undefined && !run.output.includes(u.body_contains)) return false;
  return true;
}

/** The URL as shown in messages: templates filled, secrets left as `${env:NAME}`. */
function shownUrl(hook: Hook | StatusProbe, o: HookOptions): string {
  try {
    return renderHook(hook, o.vars, 'show', o.where).http?.url ?? '';
  } catch {
    return hook.http?.url ?? '';
  }
}

/** One run of a hook, whatever it answers. Throws HookError when it could not run at all. */
async function attempt(template: Hook | StatusProbe, o: HookOptions): Promise<HookRun> {
  const env = o.env ?? process.env;
  let hook: Hook | StatusProbe;
  try {
    hook = renderHook(template, o.vars, { run: env }, o.where);
  } catch (e) {
    throw e instanceof TemplateError ? new HookRefused(e.message) : e;
  }
  const secrets = secretValues(template, env);
  const t0 = performance.now();
  if (hook.http) {
    const refused = refusedUrl(hook.http.url, o.allowedHosts);
    if (refused) throw new HookRefused(`${o.where}.http.url refused: ${maskSecrets(refused, secrets)}`);
    return { ...(await callHttp(hook.http, o.where, secrets)), ms: performance.now() - t0 };
  }
  for (const [i, a] of hook.command.args.entries()) {
    if (!/^https?:\/\//i.test(a)) continue;
    const refused = refusedUrl(a, o.allowedHosts);
    if (refused) throw new HookRefused(`${o.where}.command.args.${i} refused: ${maskSecrets(refused, secrets)}`);
  }
  return { ...(await runCommand(hook.command, o.where, secrets)), ms: performance.now() - t0 };
}

function runCommand(c: NonNullable<Hook['command']>, where: string, secrets: string[]): Promise<Omit<HookRun, 'ms'>> {
  return new Promise((resolve, reject) => {
    // Its own process group: a Ctrl-C to the harness must not kill a rollback midway, and a
    // timeout kills whatever the command started too.
    const child = spawn(c.path, c.args, { cwd: c.cwd, env: { ...process.env, ...(c.env ?? {}) }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let stdout = '';
    let stderr = '';
    const take = (into: 'out' | 'err') => (d: Buffer) => {
      if (into === 'out' && stdout.length < OUTPUT_LIMIT) stdout += d.toString('utf8');
      if (into === 'err' && stderr.length < OUTPUT_LIMIT) stderr += d.toString('utf8');
    };
    child.stdout!.on('data', take('out'));
    child.stderr!.on('data', take('err'));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    }, c.timeout);
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(new HookError(`${where}: cannot run ${c.path}: ${maskSecrets(e.message, secrets)}`));
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      const output = maskSecrets(stdout + (stderr ? (stdout ? '\n' : '') + stderr : ''), secrets);
      if (timedOut) reject(new HookError(`${where}: ${c.path} did not finish within ${c.timeout} ms (killed)${tail(output)}`));
      else resolve({ exit: code, output: stdout ? maskSecrets(stdout, secrets) : output });
    });
  });
}

async function callHttp(h: NonNullable<Hook['http']>, where: string, secrets: string[]): Promise<Omit<HookRun, 'ms'>> {
  const headers: Record<string, string> = { ...(h.headers ?? {}) };
  let body: string | undefined;
  if (h.body !== undefined) {
    body = typeof h.body === 'string' ? h.body : JSON.stringify(h.body);
    if (typeof h.body !== 'string' && !Object.keys(headers).some((k) => k.toLowerCase() === 'content-type')) headers['content-type'] = 'application/json';
  }
  try {
    // A redirect is an answer, never followed: it could lead off the allowed hosts.
    const res = await fetch(h.url, { method: h.method, headers, body, redirect: 'manual', signal: AbortSignal.timeout(h.timeout) });
    const text = await res.text();
    return { status: res.status, output: maskSecrets(text.slice(0, OUTPUT_LIMIT), secrets) };
  } catch (e) {
    const err = e as Error & { cause?: { message?: string } };
    const why = err.name === 'TimeoutError' ? `no answer within ${h.timeout} ms` : `${err.message}${err.cause?.message ? ` (${err.cause.message})` : ''}`;
    throw new HookError(`${where}: ${h.method} ${maskSecrets(h.url, secrets)}: ${maskSecrets(why, secrets)}`);
  }
}

const tail = (output: string) => {
  const t = output.trim();
  return t ? `: ${t.length > SHOWN ? `...${t.slice(-SHOWN)}` : t}` : '';
};
