import type { EstateEndpoints, FreezeUndo, ProxyServer } from '../../model/estate_record';
import type { FaultHooks, HookedFault, HookStep } from '../../model/hooks';
import type { EstateConfig } from '../estate/config';
import type { Site } from '../estate/topology';

export type { EstateEndpoints, FreezeUndo, ProxyServer };

/**
 * A running component as the harness sees it: enough to cut its power or freeze it.
 *
 * `kill`, `freeze`, `thaw` and `powerCut` act at once on the process runtime (a signal) and return
 * nothing; on the docker runtime the request to the Docker daemon is sent when they are called and
 * they return a promise that settles when the daemon has done it (`docker kill` returns after about
 * 0.2 s; the container's processes are dead within tens of ms). Callers that need the action
 * finished await the result.
 */
export interface ComponentHandle {
  readonly name: string;
  readonly site?: Site;
  /** OS pid (process runtime) or container id (docker runtime); undefined while down. */
  readonly id: string | undefined;
  readonly running: boolean;
  readonly frozen: boolean;
  /** Power off: no shutdown, no flush (SIGKILL / docker kill). `running` is false once it returns. */
  kill(): void | Promise<void>;
  /** Cold start with the same configuration and data. */
  start(): Promise<void>;
  /** Stop scheduling it, sockets left open (SIGSTOP / docker pause). */
  freeze(): void | Promise<void>;
  thaw(): void | Promise<void>;
  /**
   * SIGKILL to every process of it the kernel names `name` (/proc/<pid>/comm), the others left
   * running; returns the pids killed, and throws when none is named so. Where a runtime has it.
   */
  killProcess?(name: string): number[] | Promise<number[]>;
  /**
   * Starts again what `killProcess(name)` killed, where nothing else did: the component, if that
   * was its top process (so it is down); on docker, if the container still runs without a process
   * named so, the container's command again inside it. Waits for the health check.
   */
  reviveProcess?(name: string): Promise<void>;
  /**
   * How another process undoes a freeze of it as it runs now (the rollback journal's step: thaw
   * its pid, or unpause its container); empty while it is not running, as there is nothing to undo.
   */
  freezeUndo(): FreezeUndo[];
}

export interface SiteHandle {
  readonly name: Site;
  readonly processes: readonly ComponentHandle[];
  /** Every component of the site killed at once. */
  powerCut(): void | Promise<void>;
  /** Every killed component of the site started cold. */
  restore(): Promise<void>;
}

/**
 * An estate's capability to perform faults through hooks (model/hooks.ts): an external system's
 * power cut, storage cut or freeze is a command or an HTTP call of its owner's, not a signal of
 * blackstart's. A fault asks for it by its kind, not by the runtime: where `of(kind)` gives hooks,
 * the fault journals `rollbackStep` before it calls `inject`, and `rollback` undoes it.
 */
export interface EstateHooks {
  /** The hooks of a fault kind, when this estate performs that kind through hooks. */
  of(kind: HookedFault): FaultHooks | undefined;
  /** The journaled rollback (templates, variables, allowed hosts): written before `inject` runs. */
  rollbackStep(kind: HookedFault, vars: Record<string, string>): HookStep;
  /** The inject hook, then its status probe. Throws when either fails. */
  inject(kind: HookedFault, vars: Record<string, string>): Promise<void>;
  /** The rollback hook, then its rollback_status probe. Idempotent as the hook is. */
  rollback(kind: HookedFault, vars: Record<string, string>): Promise<void>;
}

export interface SiteLinks {
  power: string[];
  storage: string[];
}

/** A started estate (testcontainers' "started" object): use it, then stop() it. */
export interface Estate {
  readonly id: string;
  readonly runtime: EstateConfig['runtime'];
  readonly config: EstateConfig;
  /** Every component's named ports (an estate file's, allocated), as the harness reaches them. */
  readonly ports?: Readonly<Record<string, Readonly<Record<string, number>>>>;
  readonly endpoints: EstateEndpoints;
  /** Where the estate keeps its record and logs on the harness's host (the docker runtime keeps SAN data in volumes). */
  readonly dataDir: string;
  /** What serves the proxies: the embedded Toxiproxy-compatible server, or the real Toxiproxy (docker, where its image is present). */
  readonly proxyServer?: ProxyServer;
  /** Every power domain (the estate file's `sites`, a witness too), in the file's order. */
  readonly sites: readonly Site[];
  /** The sites that take part in failover (not a witness): what `active` and `standby` resolve among. */
  readonly servingSites: readonly Site[];
  site(name: Site): SiteHandle;
  /**
   * The links a site's faults act on, from the estate's own layout rather than names in code:
   * `power`, the links whose far end is at the site (a power cut darkens them; not the links a
   * failover re-points, whose toxics would follow them to the other site); `storage`, the links
   * its apps reach its storage by (a storage cut acts on them).
   */
  siteLinks(site: Site): SiteLinks;
  component(name: string): ComponentHandle;
  readonly components: readonly ComponentHandle[];
  /**
   * The path under each service's base that answers 2xx once it can take writes: the read-back
   * waits for it after the load (the estate file's `entry.ready`); null: none.
   */
  readonly readyPath: string | null;
  /** Faults performed through hooks (runtime external); absent: blackstart performs every fault itself. */
  readonly hooks?: EstateHooks;
  /**
   * Watches what the estate runs on (the Docker daemon) for failing under it: `onLost` is called
   * once, with a plain reason, when it stops answering. Returns a function that stops watching.
   * Absent where only the estate's own processes can fail (the process runtime).
   */
  watchPlatform?(onLost: (reason: string) => void): () => void;
  stop(): Promise<void>;
}
