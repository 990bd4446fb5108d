import { Toxiproxy } from 'toxiproxy-node-client';
import type { Estate } from '../../services/runtime';
import type { RevertStep } from './revert_step';
import type { FaultSpec, FaultTarget } from '../../model/faults';

export type { RevertStep } from './revert_step';

/** What a fault acts on: the estate's handles, and its proxies through the Toxiproxy client. */
export interface FaultContext {
  estate: Estate;
  /** toxiproxy-node-client 4.x on estate.endpoints.proxyApi (the same code drives a real Toxiproxy). */
  toxiproxy: Toxiproxy;
}

export function faultContext(estate: Estate): FaultContext {
  return { estate, toxiproxy: new Toxiproxy(estate.endpoints.proxyApi) };
}

/**
 * One fault of docs/ARCHITECTURE.md § 5 (Chaos Toolkit's action with its rollback declared beside it).
 * The runner journals `revertPlan` before calling `apply`, so the plan must not depend on
 * anything `apply` does.
 */
export interface Fault {
  /** Unique within a run; names the fault's toxics (`blackstart-<id>`) and its journal entry. */
  readonly id: string;
  readonly spec: FaultSpec;
  /** One line for timelines and reports. */
  describe(): string;
  /** How another process undoes this fault if this one dies: plain JSON, journaled before apply. */
  revertPlan(ctx: FaultContext): RevertStep[];
  apply(ctx: FaultContext): Promise<void>;
  /** Idempotent; safe to call when apply failed midway, or while a long apply (power_flap) runs. */
  revert(ctx: FaultContext): Promise<void>;
  /**
   * A fault aimed at a role (`site: active`, model/faults.ts) picks its concrete target: called
   * just before it is journaled and applied (chaos/apply.ts), so the journal holds what it will
   * strike and the revert plan for that. Each application resolves afresh; `revert` undoes what
   * the last one struck, whatever the roles are by then. Absent on a fault with fixed names.
   */
  resolve?(ctx: FaultContext): Promise<void>;
  /** The last resolution: the spec acted on (roles replaced by names) and where it struck; null before `resolve`. */
  resolved?(): { spec: FaultSpec; target: FaultTarget } | null;
}

/** The name of a fault's toxic on a proxy; a suffix tells a fault's second toxic apart. */
export function toxicName(faultId: string, suffix?: string): string {
  return suffix ? `blackstart-${faultId}-${suffix}` : `blackstart-${faultId}`;
}
