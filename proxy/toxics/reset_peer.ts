import { resetPeerAttributes } from '../../model/toxics';
import { defineToxic, MAX_TIMER_MS } from './toxic';

/**
 * On the first chunk (or end of stream) in this direction, discards it, waits `timeout` ms and
 * closes the connection: with a TCP RST when the toxic was there when the connection was made
 * (SO_LINGER 0 in Toxiproxy), else with a FIN.
 */
export const resetPeer = defineToxic<{ timeout: number }, { fired: boolean }>({
  ...resetPeerAttributes,
  newState: () => ({ fired: false }),
  pipe: (_chunk, ctx) => fire(ctx),
  end: (ctx) => fire(ctx),
});

async function fire(ctx: {
  state: { fired: boolean };
  attributes: { timeout: number };
  presentAtConnect: boolean;
  close(mode: 'fin' | 'rst'): void;
}): Promise<void> {
  if (ctx.state.fired) return;
  ctx.state.fired = true;
  const ms = ctx.attributes.timeout;
  // Beyond a timer's reach (24.8 days) the close never comes.
  if (ms > MAX_TIMER_MS) return new Promise<void>(() => {});
  if (ms > 0) await new Promise((resolve) => setTimeout(resolve, ms));
  ctx.close(ctx.presentAtConnect ? 'rst' : 'fin');
}
