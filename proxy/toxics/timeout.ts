import { timeoutAttributes } from '../../model/toxics';
import { defineToxic, MAX_TIMER_MS, type ToxicContext } from './toxic';

interface TimeoutState {
  timer?: NodeJS.Timeout;
  /** The stream was ended by this toxic: nothing more to arm or end. */
  ended?: boolean;
}

type Ctx = ToxicContext<{ timeout: number }, TimeoutState>;

/**
 * Swallows all data in this direction without slowing the sender. With timeout > 0 the
 * connection closes once `timeout` ms pass with no chunk arriving; 0 holds it forever.
 * Removing the toxic closes the connections it held, as Toxiproxy does. Closing ends this
 * direction's stream (Toxiproxy's stub.Close()): each side gets a FIN once its direction has
 * drained, so data the other direction holds (e.g. in a latency toxic) is still delivered.
 */
export const timeout = defineToxic<{ timeout: number }, TimeoutState>({
  ...timeoutAttributes,
  newState: () => ({}),
  start(ctx) {
    arm(ctx);
  },
  stop(ctx) {
    clearTimeout(ctx.state.timer);
  },
  pipe(_chunk, ctx) {
    arm(ctx);
  },
  end(ctx) {
    return endStream(ctx);
  },
  removed(ctx) {
    void endStream(ctx);
  },
});

function arm(ctx: Ctx): void {
  clearTimeout(ctx.state.timer);
  const ms = ctx.attributes.timeout;
  // Beyond a timer's reach (24.8 days) it never closes, as 0 does.
  ctx.state.timer = ms > 0 && ms <= MAX_TIMER_MS && !ctx.state.ended ? setTimeout(() => void endStream(ctx), ms) : undefined;
}

function endStream(ctx: Ctx): Promise<void> {
  clearTimeout(ctx.state.timer);
  if (ctx.state.ended) return Promise.resolve();
  ctx.state.ended = true;
  return ctx.end();
}
