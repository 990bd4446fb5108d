import { z } from 'zod';
import { duration } from './units';

/**
 * Hooks: how blackstart performs a fault it cannot perform itself on a system it did not start
 * (`runtime: external`, docs/ARCHITECTURE.md § 3 and § 5), in the spirit of Chaos Toolkit's
 * `process` and `http` providers and Steadybit's start/status/stop.
 *
 * - A hook is a command (`path`, `args`, `env`, `cwd`, `timeout`, `expect_exit`; no shell) or an
 *   HTTP call (`method`, `url`, `headers`, `body`, `timeout`, `expect_status`).
 * - A status probe is a hook with `until` (what it must answer), polled `every` until it matches
 *   or its `deadline` passes.
 * - A fault kind maps to an `inject` hook and a `rollback` hook, with optional probes polled after
 *   each (`status` after the inject, `rollback_status` after the rollback).
 *
 * Every string of a hook is a template: `${site}`, `${component}`, `${mode}`, `${fault}` and the
 * estate's own `vars` are filled in when the hook runs; `${env:NAME}` is taken from the environment
 * of the process that runs it, at that moment. The rollback journal and the reports hold the
 * templates, never a resolved secret; a dry run prints `${env:NAME}` where a secret goes.
 *
 * Times are written with their unit in a file ("15s") and are ms once parsed; the journal keeps
 * the parsed form, so each schema comes in both forms (`hookSchemas(...)`).
 */

/** `${name}` (a variable) or `${env:NAME}` (from the environment); `$${` is a literal `${`. */
const REF = /\$(\$)?\{([^}]*)\}/g;
const VAR_NAME = /^[a-z_][a-z0-9_]*$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The variables and environment variables a template refers to; a malformed reference is a problem. */
export function templateRefs(text: string): { vars: string[]; env: string[]; problems: string[] } {
  const vars = new Set<string>();
  const env = new Set<string>();
  const problems: string[] = [];
  for (const m of text.matchAll(REF)) {
    if (m[1]) continue;
    const inner = m[2];
    if (inner.startsWith('env:')) {
      const name = inner.slice(4);
      if (ENV_NAME.test(name)) env.add(name);
      else problems.push(`\${${inner}}: an environment variable's name is letters, digits and _`);
    } else if (VAR_NAME.test(inner)) vars.add(inner);
    else problems.push(`\${${inner}}: not a variable (use \${site}, \${component}, \${mode}, \${fault}, a name from vars, or \${env:NAME})`);
  }
  return { vars: [...vars], env: [...env], problems };
}

/** How `${env:NAME}` is rendered: its value (running), or left as written (showing: a dry run, a log line). */
export type EnvMode = { run: NodeJS.ProcessEnv } | 'show';

/** Thrown when a template cannot be filled: a variable with no value, an environment variable not set. */
export class TemplateError extends Error {}

/** Fills a template. `where` names the field in errors. */
export function renderTemplate(text: string, vars: Record<string, string>, env: EnvMode, where: string): string {
  return text.replace(REF, (whole, literal: string | undefined, inner: string) => {
    if (literal) return whole.slice(1);
    if (inner.startsWith('env:')) {
      const name = inner.slice(4);
      if (env === 'show') return whole;
      const value = env.run[name];
      if (value === undefined) throw new TemplateError(`${where}: environment variable ${name} is not set (\${env:${name}})`);
      return value;
    }
    const value = vars[inner];
    if (value === undefined) throw new TemplateError(`${where}: no value for \${${inner}} (known: ${Object.keys(vars).sort().join(', ') || 'none'})`);
    return value;
  });
}

const HTTP_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'] as const;

/** The hook schemas with times of type `time`: text with a unit (a file) or a number of ms (the journal). */
export function hookSchemas(time: () => z.ZodType<number, unknown>) {
  const commandBody = z
    .object({
      /** The program; no shell (a `|` or `>` is an argument like any other). */
      path: z.string().min(1),
      args: z.array(z.string()).default([]),
      /** Added to the environment the harness runs in (values are templates: `${env:TOKEN}` passes a secret on). */
      env: z.record(z.string(), z.string()).optional(),
      cwd: z.string().optional(),
      /** Killed (SIGKILL) past this: a failed hook. */
      timeout: time(),
      /** The exit code that means it worked (default 0). */
      expect_exit: z.number().int().default(0),
    })
    .strict();
  const httpBody = z
    .object({
      method: z.enum(HTTP_METHODS).default('GET'),
      url: z.string().min(1),
      /** Values are templates: `Authorization: Bearer ${env:VENDOR_TOKEN}`. */
      headers: z.record(z.string(), z.string()).optional(),
      /** A string is sent as it is; anything else as JSON (with content-type application/json unless a header says otherwise). */
      body: z.unknown().optional(),
      timeout: time(),
      /** The statuses that mean it worked; default any 2xx. */
      expect_status: z.array(z.number().int().min(100).max(599)).min(1).optional(),
    })
    .strict();
  const oneOf = (h: { command?: unknown; http?: unknown }, ctx: z.RefinementCtx) => {
    if ((h.command === undefined) === (h.http === undefined)) {
      ctx.addIssue({ code: 'custom', message: 'a hook is one of { command: { path, args, timeout, ... } } or { http: { method, url, timeout, ... } }' });
    }
  };
  type CommandBody = z.infer<typeof commandBody>;
  type HttpBody = z.infer<typeof httpBody>;
  const toHook = <T extends { command?: CommandBody; http?: HttpBody }>(h: T) => {
    const { command, http, ...rest } = h;
    return (command ? { command, ...rest } : { http: http!, ...rest }) as ({ command: CommandBody; http?: undefined } | { http: HttpBody; command?: undefined }) &
      Omit<T, 'command' | 'http'>;
  };
  const hook = z.object({ command: commandBody.optional(), http: httpBody.optional() }).strict().superRefine(oneOf).transform(toHook);
  const until = z
    .object({
      /** A command's exit code. */
      exit: z.number().int().optional(),
      /** An HTTP status, or any of several. */
      status: z.union([z.number().int().min(100).max(599), z.array(z.number().int().min(100).max(599)).min(1)]).optional(),
      /** Text the command's stdout or the response body must contain. */
      body_contains: z.string().optional(),
    })
    .strict()
    .refine((u) => u.exit !== undefined || u.status !== undefined || u.body_contains !== undefined, 'until needs exit, status or body_contains');
  const probe = z
    .object({
      command: commandBody.optional(),
      http: httpBody.optional(),
      until,
      /** Between two tries (default 500ms). */
      every: time().optional(),
      /** Given up (a failed probe) when it has not matched by then, from its first try. */
      deadline: time(),
    })
    .strict()
    .superRefine(oneOf)
    .superRefine((p, ctx) => {
      if (p.until.exit !== undefined && p.http) ctx.addIssue({ code: 'custom', path: ['until', 'exit'], message: 'an http probe answers a status, not an exit code' });
      if (p.until.status !== undefined && p.command) ctx.addIssue({ code: 'custom', path: ['until', 'status'], message: 'a command probe answers an exit code, not a status' });
    })
    .transform(toHook);
  const faultHooks = z
    .object({
      /** Performs the fault. */
      inject: hook,
      /** Undoes it: journaled before the inject runs, run on every way out, and by `blackstart restore`. Make it idempotent. */
      rollback: hook,
      /** Polled after the inject until it matches: the fault has taken effect. */
      status: probe.optional(),
      /** Polled after the rollback until it matches: the system is back. */
      rollback_status: probe.optional(),
    })
    .strict();
  return { hook, probe, faultHooks };
}

/** As written in a file: times with their unit. */
export const fileHooks = hookSchemas(() => duration({ min: 1 }));
/** As the journal keeps them: times in ms. */
export const journalHooks = hookSchemas(() => z.number().int().min(1));

export type Hook = z.infer<typeof fileHooks.hook>;
export type StatusProbe = z.infer<typeof fileHooks.probe>;
export type FaultHooks = z.infer<typeof fileHooks.faultHooks>;
export type CommandHook = Extract<Hook, { command: object }>['command'];
export type HttpHook = Extract<Hook, { http: object }>['http'];

/** The fault kinds an external estate performs through hooks (power_flap uses power_cut's). */
export const HOOKED_FAULTS = ['power_cut', 'storage_cut', 'freeze'] as const;
export type HookedFault = (typeof HOOKED_FAULTS)[number];

/**
 * A rollback hook as the journal holds it (a revert step another process can carry out): the
 * hook and its probe as templates, the variables it is filled with, and the hosts it may touch.
 * `${env:NAME}` is resolved by whoever runs it, from its own environment.
 */
export const hookStepSchema = z
  .object({
    type: z.literal('hook'),
    /** The fault kind it undoes. */
    fault: z.string(),
    /** Where it came from, for messages: `estate.external.hooks.power_cut.rollback`. */
    source: z.string(),
    hook: journalHooks.hook,
    status: journalHooks.probe.optional(),
    vars: z.record(z.string(), z.string()),
    allowed_hosts: z.array(z.string()),
  })
  .strict();
export type HookStep = z.infer<typeof hookStepSchema>;

/**
 * Every template string of a hook with its path under the hook (`http.headers.Authorization`,
 * `command.args.2`), for checks and for the dry run.
 */
export function hookStrings(hook: Hook | StatusProbe): { path: (string | number)[]; text: string }[] {
  const out: { path: (string | number)[]; text: string }[] = [];
  const walk = (value: unknown, path: (string | number)[]) => {
    if (typeof value === 'string') out.push({ path, text: value });
    else if (Array.isArray(value)) value.forEach((v, i) => walk(v, [...path, i]));
    else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) walk(v, [...path, k]);
  };
  if (hook.command) {
    const c = hook.command;
    walk(c.path, ['command', 'path']);
    walk(c.args, ['command', 'args']);
    walk(c.env, ['command', 'env']);
    walk(c.cwd, ['command', 'cwd']);
  } else {
    const h = hook.http;
    walk(h.url, ['http', 'url']);
    walk(h.headers, ['http', 'headers']);
    walk(h.body, ['http', 'body']);
  }
  return out;
}

/** The hook with every template filled in (strings inside a JSON body too). `where` names it in errors. */
export function renderHook<H extends Hook | StatusProbe>(hook: H, vars: Record<string, string>, env: EnvMode, where: string): H {
  const fill = (value: unknown, path: string): unknown => {
    if (typeof value === 'string') return renderTemplate(value, vars, env, `${where}.${path}`);
    if (Array.isArray(value)) return value.map((v, i) => fill(v, `${path}.${i}`));
    if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fill(v, `${path}.${k}`)]));
    return value;
  };
  if (hook.command) {
    const c = hook.command;
    return { ...hook, command: { ...c, path: fill(c.path, 'command.path'), args: fill(c.args, 'command.args'), env: fill(c.env, 'command.env'), cwd: fill(c.cwd, 'command.cwd') } };
  }
  const h = hook.http;
  return { ...hook, http: { ...h, url: fill(h.url, 'http.url'), headers: fill(h.headers, 'http.headers'), body: fill(h.body, 'http.body') } };
}

/** The environment variables a hook (and its probe) needs. */
export function hookEnvRefs(...hooks: (Hook | StatusProbe | undefined)[]): string[] {
  return [...new Set(hooks.flatMap((h) => (h ? hookStrings(h).flatMap((s) => templateRefs(s.text).env) : [])))].sort();
}

/**
 * The URLs a hook would touch: an HTTP hook's URL, and any argument of a command that is an http(s)
 * URL (a `curl https://...`), each with its path under the hook.
 */
export function hookUrls(hook: Hook | StatusProbe): { path: string; url: string }[] {
  if (hook.http) return [{ path: 'http.url', url: hook.http.url }];
  return hook.command.args.flatMap((a, i) => (/^https?:\/\//i.test(a) ? [{ path: `command.args.${i}`, url: a }] : []));
}

/**
 * Whether a URL may be touched: its host is on the list. An entry is a host name or address
 * (`vendor.example.org`, `127.0.0.1`, `[::1]`), a host with a port (`vendor.example.org:8443`), or
 * a domain wildcard (`*.example.org`: its subdomains, not itself). Returns why not, or undefined.
 */
export function refusedUrl(url: string, allowed: readonly string[]): string | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return `"${url}" is not a URL`;
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return `${url}: only http and https URLs are called`;
  const host = u.hostname.toLowerCase();
  const port = u.port || (u.protocol === 'https:' ? '443' : '80');
  const ok = allowed.some((entry) => {
    const e = entry.trim().toLowerCase();
    if (e.startsWith('*.')) return host.endsWith(e.slice(1));
    const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(e);
    if (!m) return false;
    return m[1] === host && (m[2] === undefined || m[2] === port);
  });
  return ok ? undefined : `${url}: host ${u.host} is not on allowed_hosts (${allowed.join(', ') || 'none'})`;
}

/** Every secret a hook resolves to, to be masked in anything written or printed. */
export function secretValues(hook: Hook | StatusProbe | undefined, env: NodeJS.ProcessEnv): string[] {
  if (!hook) return [];
  return hookEnvRefs(hook)
    .map((name) => env[name])
    .filter((v): v is string => typeof v === 'string' && v.length >= 3);
}

/** `text` with every secret replaced by `***`. */
export function maskSecrets(text: string, secrets: readonly string[]): string {
  return secrets.reduce((t, s) => t.split(s).join('***'), text);
}

/** One line for a dry run or a log: the hook with its variables filled in and its secrets left as `${env:NAME}`. */
export function describeHook(hook: Hook | StatusProbe, vars: Record<string, string>): string {
  const shown = renderHook(hook, vars, 'show', 'hook');
  // A probe is judged by its `until`, not by what a hook expects.
  const probe = 'until' in hook;
  if (shown.command) {
    const c = shown.command;
    const env = c.env ? Object.entries(c.env).map(([k, v]) => `${k}=${quote(v)} `).join('') : '';
    return `${env}${[c.path, ...c.args].map(quote).join(' ')}${c.cwd ? ` (in ${c.cwd})` : ''}; timeout ${c.timeout} ms${probe ? '' : `, expect exit ${c.expect_exit}`}`;
  }
  const h = shown.http;
  const headers = h.headers ? ` ${Object.entries(h.headers).map(([k, v]) => `-H ${quote(`${k}: ${v}`)}`).join(' ')}` : '';
  const body = h.body === undefined ? '' : ` body ${typeof h.body === 'string' ? quote(h.body) : JSON.stringify(h.body)}`;
  return `${h.method} ${h.url}${headers}${body}; timeout ${h.timeout} ms${probe ? '' : `, expect ${h.expect_status ? `status ${h.expect_status.join('|')}` : 'any 2xx'}`}`;
}

/** What a probe waits for, in words. */
export function describeUntil(p: StatusProbe): string {
  const parts = [
    p.until.exit !== undefined && `exit ${p.until.exit}`,
    p.until.status !== undefined && `status ${([] as number[]).concat(p.until.status).join('|')}`,
    p.until.body_contains !== undefined && `output contains ${JSON.stringify(p.until.body_contains)}`,
  ].filter(Boolean);
  return `until ${parts.join(' and ')}, every ${p.every ?? 500} ms, deadline ${p.deadline} ms`;
}

const quote = (s: string) => (/^[\w@%+=:,./${}-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);
