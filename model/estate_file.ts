import { z } from 'zod';
import { SERVICES, siteName } from './estate';
import { duration } from './units';

/**
 * An estate described as data (docs/ARCHITECTURE.md § 11): sites (power domains), components
 * (how each runs, its ports, environment, files, health check, data and stop), and links (each a
 * proxy on the estate's proxy server, so every fault kind acts on a user's estate as on ours).
 * What a power cut, a storage cut and a freeze act on follows from the sites and roles.
 *
 * Values may hold references, resolved by the harness when it starts a component:
 *   ${site}                the component's site (per-site components)
 *   ${name}                the component's own name (e.g. dc1-store)
 *   ${port:P}              the component's own port P; ${port:C.P} component C's
 *   ${link:L}              host:port at which the proxy of link L listens: how components reach
 *                          one another, always through the link (so network faults act on it)
 *   ${host:C}              how other components reach C directly, unproxied: for control paths
 *                          that must work while a link is cut (fencing), and nothing else
 *   ${bind}                the address a component listens on (127.0.0.1, 0.0.0.0 in a container)
 *   ${data}                the component's data directory, kept across power cuts
 *   ${env:VAR}             the harness's environment variable VAR (secrets stay out of the file)
 *   ${config:K}            the estate configuration's setting K (a drill's `estate` block, e.g.
 *                          failover.heartbeat_ms; services/estate/config_refs.ts lists them)
 *   ${proxy}               host:port of the estate's proxy API, as components reach it (a
 *                          failover controller re-points links through it)
 *   ${param:P}             the value of the file's parameter P (set by a drill, else its default);
 *   ${param:P.K}           for a parameter with choices, key K of the chosen one
 * In per-site components, links and references, `${site}` is substituted first, so `${site}-db`
 * names the component of the same site.
 */

export const NAME = /^[a-z][a-z0-9-]*$/;
const name = (what: string) => z.string().regex(NAME, `a ${what} name is lower-case letters, digits and "-", starting with a letter`);

/** What the workload and the faults understand a component to be. */
export const COMPONENT_ROLES = ['entry', 'app', 'storage', 'control', 'other'] as const;
export type ComponentRole = (typeof COMPONENT_ROLES)[number];

const portSpec = z.union([z.literal('auto'), z.number().int().min(1024).max(65535)]);

const healthSchema = z
  .object({
    /** An HTTP GET on one of the component's ports answering `status`. */
    http: z.object({ port: z.string(), path: z.string().startsWith('/').default('/'), status: z.number().int().min(100).max(599).default(200) }).strict().optional(),
    /** A TCP connect to one of the component's ports. */
    tcp: z.object({ port: z.string() }).strict().optional(),
    /** How long a start may take to pass the check. */
    timeout: duration().default(30_000),
  })
  .strict()
  .refine((h) => (h.http === undefined) !== (h.tcp === undefined), { message: 'a health check is one of http or tcp' });

export const estateComponentSchema = z
  .object({
    name: name('component'),
    /** One per site, named `<site>-<name>` (the default), or one for the estate (shared) or at one site. */
    per_site: z.boolean().default(false),
    /** A shared component's site (its power domain); none: it is outside every site (cannot lose power). */
    site: z.string().optional(),
    role: z.enum(COMPONENT_ROLES).default('other'),
    /** Named ports: `auto` picks a free one at start; a number fixes it. */
    ports: z.record(z.string().regex(/^[a-z][a-z0-9_]*$/, 'a port name is lower-case letters, digits and "_"'), portSpec).default({}),
    /** How it runs on the process runtime. */
    process: z
      .object({
        command: z.string().min(1),
        args: z.array(z.string()).default([]),
        /** Relative to the estate file. */
        cwd: z.string().optional(),
        /** Run as this unprivileged user (e.g. postgres, which refuses to run as root). */
        user: z.string().optional(),
      })
      .strict()
      .optional(),
    /** How it runs on the docker runtime: an image built or present locally (no registry is reached). */
    docker: z.object({ image: z.string().min(1), command: z.array(z.string()).optional() }).strict().optional(),
    env: z.record(z.string(), z.string()).default({}),
    /** Files written into the data directory before every start (configuration with references resolved). */
    files: z.record(z.string().regex(/^[A-Za-z0-9._-]+$/, 'a file name, no directories'), z.string()).default({}),
    health: healthSchema,
    /** Keep a data directory (a volume on docker) across power cuts. */
    data: z.boolean().default(false),
    stop: z.object({ signal: z.enum(['SIGTERM', 'SIGINT', 'SIGQUIT', 'SIGKILL']).default('SIGTERM'), grace: duration().default(5000) }).strict().default({ signal: 'SIGTERM', grace: 5000 }),
    /** Start after these components are healthy (per-site names resolve within the site). */
    after: z.array(z.string()).default([]),
  })
  .strict()
  .refine((c) => c.process !== undefined || c.docker !== undefined, { message: 'a component needs process (the process runtime), docker (the docker runtime), or both' });
export type EstateComponent = z.infer<typeof estateComponentSchema>;

/**
 * A parameter of the estate a drill may set (`estate: { file, parameters: { P: value } }`): a
 * string with a default, or one of named `choices`, each a set of strings the file refers to as
 * `${param:P.K}` (one drill option that sets several settings that only make sense together, e.g.
 * Patroni's synchronous_mode and synchronous_mode_strict). Resolved when the file is planned.
 */
export const estateParameterSchema = z
  .object({
    description: z.string().default(''),
    default: z.string(),
    choices: z.record(z.string().regex(/^[a-z][a-z0-9_-]*$/, 'a choice is lower-case letters, digits, "_" and "-"'), z.record(z.string().regex(/^[a-z][a-z0-9_]*$/, 'a key is lower-case letters, digits and "_"'), z.string())).optional(),
  })
  .strict();
export type EstateParameter = z.infer<typeof estateParameterSchema>;
export const PARAMETER_NAME = /^[a-z][a-z0-9_]*$/;

const componentPort = z.string().regex(/^[^:\s]+:[a-z][a-z0-9_]*$/, 'component:port, e.g. controller:http');

export const estateLinkSchema = z
  .object({
    /** The proxy's name: what network faults name (`${site}-db` in a per-site link). */
    name: z.string().min(1),
    per_site: z.boolean().default(false),
    /** `component:port`: where the link leads. */
    to: z.string().regex(/^[^:\s]+:[a-z][a-z0-9_]*$/, 'to is component:port, e.g. dc1-db:sql'),
    /**
     * A failover controller re-points this link at each failover (the regional estate's heartbeat
     * and replication): no site's power cut darkens it, as its toxics would follow it to the other
     * site.
     */
    repointed: z.boolean().default(false),
  })
  .strict();
export type EstateLink = z.infer<typeof estateLinkSchema>;

export const estateFileSchema = z
  .object({
    name: name('estate'),
    description: z.string().default(''),
    /**
     * The power domains, named by the estate (model/estate.ts: letters and digits). Per-site
     * components and links are at every serving site; a `witness` site (a third data centre that
     * holds only a quorum member, say) hosts only the shared components that name it, plays no
     * role in failover, and is cut like any site.
     */
    sites: z
      .array(z.union([siteName, z.object({ name: siteName, witness: z.boolean().default(false) }).strict()]))
      .min(1)
      .transform((list) => list.map((s) => (typeof s === 'string' ? { name: s, witness: false } : s)))
      .superRefine((list, ctx) => {
        const seen = new Set<string>();
        list.forEach((s, i) => {
          if (seen.has(s.name)) ctx.addIssue({ code: 'custom', path: [i], message: `site "${s.name}" is declared twice` });
          seen.add(s.name);
        });
        if (list.every((s) => s.witness)) ctx.addIssue({ code: 'custom', path: [], message: 'every site is a witness: at least one site must serve' });
      }),
    parameters: z.record(z.string().regex(PARAMETER_NAME, 'a parameter name is lower-case letters, digits and "_"'), estateParameterSchema).default({}),
    components: z.array(estateComponentSchema).min(1),
    links: z.array(estateLinkSchema).default([]),
    /**
     * Where clients come in: a link, and each service's base path on it (the services blackstart's
     * workloads drive: pas, booking, theatre); `ready`, the path under each that answers 2xx once it
     * can take writes (the read-back waits for it after the load; omitted, it does not wait).
     */
    entry: z
      .object({
        link: z.string(),
        services: z.partialRecord(z.enum(SERVICES), z.string().startsWith('/')),
        ready: z.string().startsWith('/').optional(),
      })
      .strict(),
    /**
     * What the harness reads beyond the entry, each `component:port` (reached directly, as control
     * paths are): `controller`, a failover controller with blackstart's API (model/controller.ts:
     * GET /active and /events, POST /failback), which gives detect/promote/switch, targets by role
     * and failback; `frontdoor_admin`; per site (`${site}` substituted), `san_admin` (GET /keys:
     * the read-back's unexpected writes) and each service's app, unproxied.
     */
    endpoints: z
      .object({
        controller: componentPort.optional(),
        frontdoor_admin: componentPort.optional(),
        sites: z
          .object({ san_admin: componentPort.optional(), apps: z.partialRecord(z.enum(SERVICES), componentPort).default({}) })
          .strict()
          .default({ apps: {} }),
      })
      .strict()
      .default({ sites: { apps: {} } }),
  })
  .strict();
export type EstateFile = z.infer<typeof estateFileSchema>;
export type EstateFileInput = z.input<typeof estateFileSchema>;
