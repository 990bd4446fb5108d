import { z } from 'zod';
import { defineToxic, nonNegativeInt } from './toxic';

interface TimeoutState {
  timer?: NodeJS.Timeout;
}

/**
 * Swallows all data in this direction without slowing the sender. With timeout > 0 the
 * connection closes once `timeout` ms pass with no chunk arriving; 0 holds it forever.
 * Removing the toxic closes the connections it held, as Toxiproxy does.
 */
export const timeout = defineToxic<{ timeout: number }, TimeoutState>({
  type: 'timeout',
  attributeNames: ['timeout'],
  schema: z.object({ timeout: nonNegativeInt() }),
  newState: () => ({}),
  start(ctx) {
    arm(ctx.state, ctx.attributes.timeout, () => ctx.close('fin'));
  },
  stop(ctx) {
    clearTimeout(ctx.state.timer);
  },
  pipe(_chunk, ctx) {
    arm(ctx.state, ctx.attributes.timeout, () => ctx.close('fin'));
  },
  end(ctx) {
    clearTimeout(ctx.state.timer);
    ctx.close('fin');
  },
  removed(ctx) {
    clearTimeout(ctx.state.timer);
    ctx.close('fin');
  },
});

function arm(state: TimeoutState, ms: number, onExpiry: () => void): void {
  clearTimeout(state.timer);
  state.timer = ms > 0 ? setTimeout(onExpiry, ms) : undefined;
}
