import { z } from 'zod';
import { FileProblemsError, formatProblem, parseYaml } from '../../lib/located_yaml';
import { readTextFile } from '../../lib/text_file';
import { MAX_DURATION_MS } from '../../model/units';
import { REGIONAL_SITES, SERVICES, siteName } from '../../model/estate';
import { fileHooks, HOOKED_FAULTS, hookStrings, hookUrls, refusedUrl, renderTemplate, templateRefs, type FaultHooks, type HookedFault } from '../../model/hooks';

// At most 24 h, as a duration in a drill: past 2^31 ms a timer fires at once.
const ms = (d: number) => z.number().int().min(0).max(MAX_DURATION_MS, { error: `at most ${MAX_DURATION_MS} (24 h)` }).default(d);

/** The estate's configuration (estate.yaml, or the `estate` block of a drill). Unknown keys are errors. */
export const estateConfigSchema = z
  .object({
    runtime: z.enum(['process', 'docker', 'external']).default('process'),
    host: z.string().default('127.0.0.1'),
    ports: z
      .object({
        /** Fixed ports from this base (the layout in services/runtime/planned.ts); omitted: free ports are picked. */
        base: z.number().int().min(1024).max(65000).optional(),
      })
      .strict()
      .default({}),
    /** Where the SANs keep their data and components their logs; default .blackstart/estates/<id>. */
    data_dir: z.string().optional(),
    /**
     * An estate file (docs/ARCHITECTURE.md § 11) to stand up instead of the built-in regional estate
     * (estates/regional.yaml). Relative to the drill file in a drill, to the working directory elsewhere.
     */
    file: z.string().min(1).optional(),
    /** Values for the estate file's `parameters` (e.g. the Patroni estate's replication mode). */
    parameters: z.record(z.string(), z.string()).optional(),
    replication: z
      .object({
        mode: z.enum(['sync', 'async']).default('sync'),
        on_peer_unreachable: z.enum(['block', 'async']).default('async'),
        sync_timeout_ms: ms(500),
      })
      .strict()
      .default({ mode: 'sync', on_peer_unreachable: 'async', sync_timeout_ms: 500 }),
    failover: z
      .object({
        heartbeat_ms: z.number().int().min(10).max(MAX_DURATION_MS, { error: `at most ${MAX_DURATION_MS} (24 h)` }).default(200),
        detect_after: z.number().int().min(1).max(1000).default(5),
        promotion_delay_ms: ms(500),
        promotion: z.enum(['auto', 'manual', 'broken']).default('auto'),
        hold_down_ms: ms(30_000),
      })
      .strict()
      .default({ heartbeat_ms: 200, detect_after: 5, promotion_delay_ms: 500, promotion: 'auto', hold_down_ms: 30_000 }),
    san: z
      .object({
        /** Apps give up on the SAN after this: a hanging array is a 503, never a hung client. */
        timeout_ms: z.number().int().min(1).max(MAX_DURATION_MS, { error: `at most ${MAX_DURATION_MS} (24 h)` }).default(1000),
      })
      .strict()
      .default({ timeout_ms: 1000 }),
    frontdoor: z
      .object({ upstream_timeout_ms: z.number().int().min(1).max(MAX_DURATION_MS, { error: `at most ${MAX_DURATION_MS} (24 h)` }).default(5000) })
      .strict()
      .default({ upstream_timeout_ms: 5000 }),
    /** `runtime: external`: the system blackstart drills but does not start (externalSchema below). */
    external: z.lazy(() => z.preprocess((v) => (isParsedExternal(v) ? asWritten(v) : v), externalSchema)).optional(),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.runtime === 'external' && !c.external) {
      ctx.addIssue({ code: 'custom', path: ['external'], message: 'runtime external needs an external block: sites, allowed_hosts, services, hooks' });
    }
    if (c.parameters !== undefined && c.file === undefined) {
      ctx.addIssue({ code: 'custom', path: ['parameters'], message: 'parameters are an estate file\'s: set file too' });
    }
    if (c.runtime !== 'external' && c.external) {
      ctx.addIssue({ code: 'custom', path: ['external'], message: `an external block applies to runtime: external only (runtime is ${c.runtime})` });
    }
  });

const VAR_KEY = /^[a-z_][a-z0-9_]*$/;
/** Variables a hook may use beyond the estate's vars: filled in per fault. */
export const FAULT_VARS = ['site', 'component', 'mode', 'fault'] as const;
const vars = z.record(z.string().regex(VAR_KEY, 'a variable name is lower-case letters, digits and _'), z.string());

/**
 * The `external` block of an estate (docs/ARCHITECTURE.md § 3, README "Drill your own system"): a
 * system whose components are endpoints blackstart does not start. The faults blackstart cannot
 * perform itself are hooks; every URL it would touch must be on `allowed_hosts`.
 */
export const externalSchema = z
  .object({
    /** The sites the system has (power domains faults may name), each serving; dc1 and dc2 when not named. */
    sites: z.array(siteName).min(1).default([...REGIONAL_SITES]),
    /**
     * The hosts this drill may touch (`host`, `host:port`, `*.domain`): every URL in services,
     * controller, ledger and hooks must be on it. Checked when the file is validated and again
     * before each call, once templates are filled.
     */
    allowed_hosts: z.array(z.string().min(1)).min(1),
    /** The system's client endpoints: a base URL per service (the clinical workload's routes below it). */
    services: z.object(Object.fromEntries(SERVICES.map((s) => [s, z.string().min(1)])) as Record<(typeof SERVICES)[number], z.ZodString>).strict(),
    /**
     * Put blackstart's embedded proxy in the clients' path: one link, `frontdoor`, from the load to
     * the services (which must then share one origin); network faults act on it as on any estate.
     */
    proxy_clients: z.boolean().default(false),
    /** Health path tried on every service before the load (2xx = ready); null: do not wait. */
    ready_path: z.string().nullable().default('/health/ready'),
    /**
     * A failover controller's API in blackstart's shape (`GET /events`, `GET /active`,
     * model/controller.ts): detect/promote/switch times, the read-back's active site, roles
     * (`site: active`) and failback. Absent: those figures are null and the run says so.
     */
    controller: z.string().min(1).optional(),
    /** Where the read-back lists every key a site holds (`GET /keys`): unexpected writes are found only with it. */
    ledger: z.object({ san_admin: z.record(siteName, z.string().min(1)).optional() }).strict().default({}),
    /** The components a `freeze` may name (default: each site's san, pas, booking, theatre). */
    components: z.array(z.string().min(1)).min(1).optional(),
    /** Variables every hook may use: `${name}`. Not for secrets: use `${env:NAME}`. */
    vars: vars.default({}),
    /** Variables per site, over `vars`: `${host}` that is one machine at dc1 and another at dc2. */
    site_vars: z.record(siteName, vars).default({}),
    /** Per fault kind, the hooks that inject and roll it back; a drill's fault of a kind without them is refused. */
    hooks: z
      .object({ power_cut: fileHooks.faultHooks.optional(), storage_cut: fileHooks.faultHooks.optional(), freeze: fileHooks.faultHooks.optional() })
      .strict()
      .default({}),
  })
  .strict()
  .superRefine((x, ctx) => {
    for (const issue of externalIssues(x)) ctx.addIssue({ code: 'custom', path: issue.path, message: issue.message });
  })
  .transform((x) => {
    parsedExternals.add(x);
    return x;
  });

export type ExternalConfig = z.infer<typeof externalSchema>;

/**
 * A configuration is parsed again by `startEstate` (a drill's estate block arrives parsed): the
 * hooks' times are then numbers of ms, which a file may not write (the unit is explicit). A block
 * this schema produced is known by identity and turned back into its written form (`1500ms`);
 * anything else is checked as written.
 */
const parsedExternals = new WeakSet<object>();
const isParsedExternal = (v: unknown): v is object => typeof v === 'object' && v !== null && parsedExternals.has(v);
const TIME_KEYS = new Set(['timeout', 'every', 'deadline']);
function asWritten(x: object): unknown {
  const walk = (v: unknown, key?: string): unknown => {
    if (typeof v === 'number' && key !== undefined && TIME_KEYS.has(key)) return `${v}ms`;
    if (Array.isArray(v)) return v.map((e) => walk(e));
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, e]) => [k, walk(e, k)]));
    return v;
  };
  const { hooks, ...rest } = x as { hooks?: unknown };
  return { ...rest, hooks: walk(hooks) };
}

/** The variables of a hook acting at `site` (`component`, `mode`, `fault` where the fault has them). */
export function hookVars(x: ExternalConfig, fill: Partial<Record<(typeof FAULT_VARS)[number], string>> & { site?: string }): Record<string, string> {
  const site = fill.site;
  const given = Object.fromEntries(Object.entries(fill).filter(([, v]) => v !== undefined)) as Record<string, string>;
  return { ...x.vars, ...(site ? x.site_vars[site] ?? {} : {}), ...given };
}

/** The components of an external estate a freeze may name. */
export function externalComponents(x: ExternalConfig): string[] {
  return x.components ?? x.sites.flatMap((s) => ['san', ...SERVICES].map((p) => `${s}-${p}`));
}

/** Which variables a fault of each kind fills in. */
const KIND_VARS: Record<HookedFault, readonly string[]> = { power_cut: ['site', 'fault'], storage_cut: ['site', 'mode', 'fault'], freeze: ['component', 'site', 'fault'] };

/**
 * What is wrong with an external block beyond its shape: a URL not on allowed_hosts, a template
 * naming a variable nobody fills in, services that cannot share the clients' proxy.
 */
function externalIssues(x: ExternalConfig): { path: (string | number)[]; message: string }[] {
  const issues: { path: (string | number)[]; message: string }[] = [];
  const url = (value: string, path: (string | number)[]) => {
    const refused = refusedUrl(value, x.allowed_hosts);
    if (refused) issues.push({ path, message: `refused: ${refused}` });
  };
  for (const s of SERVICES) url(x.services[s], ['services', s]);
  if (x.controller) url(x.controller, ['controller']);
  for (const [site, u] of Object.entries(x.ledger.san_admin ?? {})) {
    url(u, ['ledger', 'san_admin', site]);
    if (!x.sites.includes(site)) issues.push({ path: ['ledger', 'san_admin', site], message: `${site} is not one of sites (${x.sites.join(', ')})` });
  }
  for (const site of Object.keys(x.site_vars)) {
    if (!x.sites.includes(site)) issues.push({ path: ['site_vars', site], message: `${site} is not one of sites (${x.sites.join(', ')})` });
  }
  if (x.proxy_clients) {
    const origins = new Set(SERVICES.map((s) => originOf(x.services[s])));
    if (origins.size !== 1) {
      issues.push({ path: ['proxy_clients'], message: `the clients' proxy is one link: every service must be on one origin (found ${[...origins].join(', ')})` });
    }
  }
  for (const kind of HOOKED_FAULTS) {
    const hooks = x.hooks[kind];
    if (!hooks) continue;
    const known = new Set([...Object.keys(x.vars), ...Object.values(x.site_vars).flatMap((v) => Object.keys(v ?? {})), ...KIND_VARS[kind]]);
    for (const part of ['inject', 'rollback', 'status', 'rollback_status'] as const) {
      const hook = hooks[part];
      if (!hook) continue;
      const base = ['hooks', kind, part];
      for (const { path, text } of hookStrings(hook)) {
        const refs = templateRefs(text);
        for (const p of refs.problems) issues.push({ path: [...base, ...path], message: p });
        for (const v of refs.vars.filter((v) => !known.has(v))) {
          issues.push({ path: [...base, ...path], message: `\${${v}}: no such variable for a ${kind} hook (${[...known].sort().join(', ')}; or \${env:NAME})` });
        }
      }
      // Every URL as it would be called at each site (secrets from the environment are only known when it runs: checked then).
      for (const site of x.sites) {
        const v = { ...x.vars, ...(x.site_vars[site] ?? {}), site, component: `${site}-san`, mode: 'hang', fault: 'fault' };
        for (const { path, url: template } of hookUrls(hook)) {
          let filled: string;
          try {
            filled = renderTemplate(template, v, 'show', '');
          } catch {
            continue; // reported above
          }
          if (/\$\{env:/.test(hostPart(filled))) continue;
          const refused = refusedUrl(filled.replace(/\$\{env:[^}]*\}/g, 'x'), x.allowed_hosts);
          if (refused) issues.push({ path: [...base, ...path.split('.')], message: `refused at ${site}: ${refused}` });
        }
      }
    }
  }
  return issues;
}

const hostPart = (url: string) => /^[a-z]+:\/\/([^/?#]*)/i.exec(url)?.[1] ?? url;

/** scheme://host:port of a URL ('' when it is not one). */
export function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return '';
  }
}

/**
 * Why an estate cannot take a fault of this kind (undefined when it can): on an external estate,
 * a hooked kind needs its hooks, and what needs the failover controller needs one. Called by the
 * drill loader with each fault, so the refusal names the fault.
 */
export function externalFaultRefusal(config: EstateConfig, kind: string, opts: { role?: boolean } = {}): string | undefined {
  const x = config.external;
  if (config.runtime !== 'external' || !x) return undefined;
  const hookKind = kind === 'power_flap' ? 'power_cut' : kind;
  if ((HOOKED_FAULTS as readonly string[]).includes(hookKind) && !x.hooks[hookKind as HookedFault]) {
    return `the external estate has no hook for ${hookKind}: add estate.external.hooks.${hookKind} { inject, rollback } (blackstart cannot ${hookKind === 'freeze' ? 'freeze' : hookKind === 'storage_cut' ? 'cut the storage of' : 'cut the power of'} a system it did not start)`;
  }
  if (kind === 'failback' && !x.controller) return 'a failback needs the failover controller: set estate.external.controller';
  if (opts.role && !x.controller) return 'a target by role (active, standby) needs the failover controller to say which site is active: set estate.external.controller';
  return undefined;
}

export type { FaultHooks, HookedFault };

export type EstateConfig = z.infer<typeof estateConfigSchema>;
export type EstateConfigInput = z.input<typeof estateConfigSchema>;

/** Thrown for a bad estate file: names the file and each field with its reason. */
export class ConfigError extends Error {}

export function parseEstateConfig(input: unknown, source = 'estate config'): EstateConfig {
  const result = estateConfigSchema.safeParse(input ?? {});
  if (result.success) return result.data;
  const lines = result.error.issues.map((i) => `  ${i.path.join('.') || '(root)'}: ${i.message}`);
  throw new ConfigError(`${source}: invalid estate configuration\n${lines.join('\n')}`);
}

export function loadEstateConfig(file: string): EstateConfig {
  let raw: unknown;
  try {
    // As every file blackstart reads: at most 1 MiB of UTF-8, YAML aliases and nesting bounded.
    raw = parseYaml(readTextFile(file), file).value;
  } catch (e) {
    if (e instanceof FileProblemsError) throw new ConfigError(e.problems.map(formatProblem).join('\n'));
    throw new ConfigError(`${file}: ${(e as Error).message}`);
  }
  return parseEstateConfig(raw, file);
}
