import { z } from 'zod';
import { thawStepSchema, unpauseStepSchema } from '../../model/estate_record';
import { describeHook, hookStepSchema } from '../../model/hooks';

/**
 * One step of undoing a fault, as plain JSON: written to the rollback journal before the fault
 * is applied, so a different process (`blackstart restore`, after the harness was killed) can
 * undo it without the harness's objects. Every step is safe to repeat.
 */
export const revertStepSchema = z.discriminatedUnion('type', [
  /** DELETE the toxic `toxic` from proxy `proxy` on the Toxiproxy API at `proxyApi`. */
  z.object({ type: z.literal('remove-toxic'), proxyApi: z.string(), proxy: z.string(), toxic: z.string() }).strict(),
  /** Set proxy `proxy` enabled again. */
  z.object({ type: z.literal('enable-proxy'), proxyApi: z.string(), proxy: z.string() }).strict(),
  /** SIGCONT a frozen process (the pid it had when the fault was planned): the process runtime's freeze undo. */
  thawStepSchema,
  /** Unpause a paused container (a freeze on the docker runtime), by its container id. */
  unpauseStepSchema,
  /**
   * A killed site cannot be cold-started by another process (its components were the harness's
   * children, started with the harness's configuration): what can be undone is to stop the
   * whole estate, through its record, once its harness is gone.
   */
  z.object({ type: z.literal('stop-estate'), estateId: z.string(), record: z.string() }).strict(),
  /**
   * Run an external system's rollback hook (then its rollback_status probe), as templates with
   * their variables and allowed hosts: `${env:NAME}` is taken from the environment of whoever runs
   * it, so no secret is in the journal. The hook must be idempotent (model/hooks.ts).
   */
  hookStepSchema,
]);

export type RevertStep = z.infer<typeof revertStepSchema>;

export function describeStep(step: RevertStep): string {
  switch (step.type) {
    case 'remove-toxic':
      return `remove toxic ${step.toxic} from ${step.proxy}`;
    case 'enable-proxy':
      return `enable proxy ${step.proxy}`;
    case 'thaw':
      return `thaw ${step.component} (pid ${step.pid})`;
    case 'unpause':
      return `unpause ${step.component} (container ${step.container.slice(0, 12)})`;
    case 'stop-estate':
      return `stop estate ${step.estateId}`;
    case 'hook':
      return `run ${step.source}: ${describeHook(step.hook, step.vars)}`;
  }
}
