import { z } from 'zod';
import { SITE_ROLES, type Site, type SiteRole } from './estate';
import { TOXIC_TYPES, toxicAttributes, zeroAttributes, type ToxicTypeName } from './toxics';
import { duration } from './units';

/**
 * The fault types of docs/ARCHITECTURE.md § 5, as they appear in a drill file (each fault is one of these
 * keys) and, parsed, as chaos/ acts on them. A duration is written with its unit in the drill
 * file ("3s") and is a number of ms once parsed.
 */

export { SITE_ROLES, type Site, type SiteRole } from './estate';

/**
 * Targets by role (docs/ARCHITECTURE.md § 5): a fault may name what it strikes by the part it plays
 * when it strikes rather than by name, as Jepsen's nemeses and Chaos Mesh's selectors pick their
 * targets at the moment they act. A role is resolved when the fault is applied, by asking the
 * failover controller which site is active (`GET /active`), and the journal and result.json record
 * the concrete site or component it hit; its revert undoes exactly that, whatever the roles are by
 * then. Fixed names (`dc1`, `dc2-san`) keep meaning what they say.
 * - `active`: the site serving writes now (its SAN is the primary, the front door routes to it).
 * - `standby`: the other site (its SAN is the replica), where the estate has two serving sites (a
 *   witness site, which hosts only a quorum member, plays no role).
 * A part of a site is named `<role>-<part>`, for `freeze` components and `network` links:
 * `active-san` is the primary's storage (the leader of the SAN pair; `storage_cut: { site: active }`
 * acts on its link), `standby-booking` the booking app of the standby site, and so on. The shared
 * links `heartbeat` and `replication` follow the failover by themselves (the controller re-points them).
 */
export type SiteTarget = Site | SiteRole;

export const isSiteRole = (name: string): name is SiteRole => (SITE_ROLES as readonly string[]).includes(name);

/**
 * A site by name, or by the role it plays when the fault is applied. Which sites exist is the
 * estate's to say: a name is checked against the drill's estate where the drill is read
 * (harness/drill/load.ts), as links and components are.
 */
const siteTarget = z
  .string({ error: (i) => (i.input === undefined ? `a site is required (a site of the estate, or a role resolved when applied: ${SITE_ROLES.join(', ')})` : 'a site is a name') })
  .min(1, 'a site is a name');

/** `active-san` -> { role: active, part: san }; null for a name that names no role. */
export function partRole(name: string): { role: SiteRole; part: string } | null {
  const m = /^([a-z]+)-(.+)$/.exec(name);
  return m && isSiteRole(m[1]) ? { role: m[1], part: m[2] } : null;
}

/**
 * The roles an estate can resolve, from its serving sites (the sites that take part in failover:
 * not a witness): `active` wherever one site serves; `standby`, "the other site", only where
 * exactly two do.
 */
export function resolvableRoles(serving: readonly Site[]): SiteRole[] {
  return serving.length === 2 ? [...SITE_ROLES] : serving.length >= 1 ? ['active'] : [];
}

/** Why `standby` names no site in an estate that does not serve from exactly two sites. */
export const standbyUnresolvable = (serving: readonly Site[]): string => `standby is the other of two serving sites, and the estate serves from ${serving.join(', ')}`;

/**
 * The role forms of an estate's per-site names: `active-san`, `standby-pas`, ... for every part
 * that every serving site has (`dc1-san` and `dc2-san`). What a drill may write for a component or link.
 */
export function roleForms(names: readonly string[], serving: readonly Site[]): string[] {
  if (serving.length === 0) return [];
  const first = `${serving[0]}-`;
  const parts = new Set(names.filter((n) => n.startsWith(first)).map((n) => n.slice(first.length)));
  const everywhere = [...parts].filter((p) => serving.every((s) => names.includes(`${s}-${p}`)));
  return resolvableRoles(serving).flatMap((role) => everywhere.map((p) => `${role}-${p}`));
}

/** Which site plays each role now. */
export type SiteRoles = Record<SiteRole, Site>;

/** A site target made concrete: a role replaced by the site that plays it. */
export const siteAt = (target: SiteTarget, roles: SiteRoles): Site => (isSiteRole(target) ? roles[target] : target);

/** A component or link name made concrete: `active-san` -> `dc2-san`; a fixed name is itself. */
export function nameAt(name: string, roles: SiteRoles): string {
  const r = partRole(name);
  return r ? `${roles[r.role]}-${r.part}` : name;
}

export const powerCutSpec = z.object({ site: siteTarget }).strict();
export const powerFlapSpec = z
  .object({
    /** A role is resolved once, at the first cut: every cut of the flap strikes that site. */
    site: siteTarget,
    /** How many interruptions. */
    times: z.number().int().min(1).max(20),
    /** Period of one cut + restore, ms. */
    every: duration({ min: 100 }),
  })
  .strict();
export const storageCutSpec = z
  .object({
    /** `active`: the primary's storage. */
    site: siteTarget,
    /** hang: the SAN link swallows everything; refuse: connections refused; slow: added latency. */
    mode: z.enum(['hang', 'refuse', 'slow']),
    /** For `slow`: added one-way latency, ms (default 500). */
    latency: duration().optional(),
  })
  .strict();

/** Toxics a network fault can add; `noop` does nothing, so it is no fault. */
const NETWORK_TOXICS = TOXIC_TYPES.filter((t): t is Exclude<ToxicTypeName, 'noop'> => t !== 'noop');
/** Not a toxic in Toxiproxy: the proxy disabled (connections refused, live ones closed). */
const DOWN = 'down';

export const networkSpec = z
  .object({
    /** A proxy of the estate: frontdoor, heartbeat, replication, dc1-san, dc1-booking, ...; or a role form: active-san, standby-pas, ... */
    link: z.string().min(1),
    toxic: z.enum([...NETWORK_TOXICS, DOWN]),
    /** The toxic's attributes; omitted ones are 0, as in Toxiproxy. Checked against the toxic below. */
    attributes: z.record(z.string(), z.unknown()).default({}),
    stream: z.enum(['upstream', 'downstream']).default('downstream'),
    toxicity: z.number().min(0).max(1).default(1),
  })
  .strict()
  .superRefine((spec, ctx) => {
    const given = Object.keys(spec.attributes);
    if (spec.toxic === DOWN) {
      for (const key of given) ctx.addIssue({ code: 'custom', path: ['attributes', key], message: `${DOWN} takes no attributes`, params: { key: true } });
      return;
    }
    const toxic = toxicAttributes(spec.toxic)!;
    const known = new Set<string>(toxic.attributeNames);
    for (const key of given.filter((k) => !known.has(k))) {
      // params.key: the key itself is wrong (a drill file's error points at it).
      const message = `unknown attribute of ${spec.toxic} (${toxic.attributeNames.join(', ') || 'none'})`;
      ctx.addIssue({ code: 'custom', path: ['attributes', key], message, params: { key: true } });
    }
    // The set the proxy will check: what is given over zeros.
    const result = toxic.schema.safeParse({ ...zeroAttributes(toxic), ...spec.attributes });
    if (!result.success) {
      for (const issue of result.error.issues) ctx.addIssue({ code: 'custom', path: ['attributes', ...issue.path], message: issue.message });
    }
  })
  // Checked above: every attribute is a number.
  .transform((spec) => ({ ...spec, attributes: spec.attributes as Record<string, number> }));

export const freezeSpec = z
  .object({
    /** A component of the estate: dc1-san, dc2-booking, controller, ...; or a role form: active-san, standby-booking, ... */
    component: z.string().min(1),
  })
  .strict();
/**
 * One named process of a component killed (SIGKILL), the rest of it left running: the failover
 * agent dying while the database it manages goes on (Patroni killed, the postmaster left). The
 * process is named as the kernel names it (`/proc/<pid>/comm`: `patroni`, `postgres`, `etcd`);
 * every process of that name in the component's tree dies.
 */
export const killProcessSpec = z
  .object({
    /** A component of the estate (dc1-db), or a role form (active-db). */
    component: z.string().min(1),
    process: z.string().regex(/^[^/\s]{1,15}$/, 'a process name as the kernel keeps it (/proc/<pid>/comm: at most 15 characters, no "/" or spaces), e.g. patroni'),
  })
  .strict();

/** Not a fault but an operation on the schedule: a planned switchover to the other site. */
export const failbackSpec = z.object({}).strict();

export type PowerCutSpec = z.infer<typeof powerCutSpec>;
export type PowerFlapSpec = z.infer<typeof powerFlapSpec>;
export type StorageCutSpec = z.infer<typeof storageCutSpec>;
export type NetworkSpec = z.infer<typeof networkSpec>;
export type FreezeSpec = z.infer<typeof freezeSpec>;
export type KillProcessSpec = z.infer<typeof killProcessSpec>;
export type FailbackSpec = z.infer<typeof failbackSpec>;

/** One fault, with its kind resolved: what chaos/ acts on. */
export type FaultSpec =
  | { kind: 'power_cut'; spec: PowerCutSpec }
  | { kind: 'power_flap'; spec: PowerFlapSpec }
  | { kind: 'storage_cut'; spec: StorageCutSpec }
  | { kind: 'network'; spec: NetworkSpec }
  | { kind: 'freeze'; spec: FreezeSpec }
  | { kind: 'kill_process'; spec: KillProcessSpec }
  | { kind: 'failback'; spec: FailbackSpec };

/** A spec of a site-wide fault whose site is a name: what its fault object acts on. */
export type AtSite<T extends { site: SiteTarget }> = T & { site: Site };

/** The spec field that can name a role: a site, a component (freeze) or a link (network). */
export type TargetField = 'site' | 'component' | 'link';

/** The role a fault aims at, if it names one (`site: active`, `component: standby-san`): its field and the role as written. */
export function aimOf(spec: FaultSpec): { field: TargetField; role: string } | null {
  switch (spec.kind) {
    case 'power_cut':
    case 'power_flap':
    case 'storage_cut':
      return isSiteRole(spec.spec.site) ? { field: 'site', role: spec.spec.site } : null;
    case 'freeze':
    case 'kill_process':
      return partRole(spec.spec.component) ? { field: 'component', role: spec.spec.component } : null;
    case 'network':
      return partRole(spec.spec.link) ? { field: 'link', role: spec.spec.link } : null;
    case 'failback':
      return null;
  }
}

/** The spec with its role replaced by the site or part that plays it now; a spec with fixed names unchanged. */
export function specAt(spec: FaultSpec, roles: SiteRoles): FaultSpec {
  switch (spec.kind) {
    case 'power_cut':
      return { kind: spec.kind, spec: { ...spec.spec, site: siteAt(spec.spec.site, roles) } };
    case 'power_flap':
      return { kind: spec.kind, spec: { ...spec.spec, site: siteAt(spec.spec.site, roles) } };
    case 'storage_cut':
      return { kind: spec.kind, spec: { ...spec.spec, site: siteAt(spec.spec.site, roles) } };
    case 'freeze':
      return { kind: spec.kind, spec: { ...spec.spec, component: nameAt(spec.spec.component, roles) } };
    case 'kill_process':
      return { kind: spec.kind, spec: { ...spec.spec, component: nameAt(spec.spec.component, roles) } };
    case 'network':
      return { kind: spec.kind, spec: { ...spec.spec, link: nameAt(spec.spec.link, roles) } };
    case 'failback':
      return spec;
  }
}

/**
 * Where a fault aimed at a role struck: resolved when it was applied, as the journal and
 * result.json record it. `hit` is what its revert undoes.
 */
export const faultTargetSchema = z.object({
  field: z.enum(['site', 'component', 'link']),
  /** As the drill wrote it: `active`, `standby`, `active-san`, ... */
  role: z.string(),
  /** The concrete site, component or link it resolved to: `dc2`, `dc2-san`, ... */
  hit: z.string(),
  /** The site the failover controller named active at that moment, and its epoch. */
  active: z.string(),
  epoch: z.number().int(),
});
export type FaultTarget = z.infer<typeof faultTargetSchema>;

export const FAULT_KINDS = ['power_cut', 'power_flap', 'storage_cut', 'network', 'freeze', 'kill_process', 'failback'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];
