import { activeSiteSchema, controllerEventsSchema, type ActiveSite, type ControllerEvent } from '../../model/controller';

/**
 * The failover controller's HTTP API as callers read it (the runner, `blackstart status`, the
 * benches), each answer checked against model/controller.ts: a controller that answers something
 * else is an error naming the route, never a cast.
 */
export interface ControllerClient {
  events(): Promise<ControllerEvent[]>;
  active(): Promise<ActiveSite>;
}

export function controllerClient(baseUrl: string, timeoutMs = 2000): ControllerClient {
  const get = async (path: string): Promise<unknown> => {
    const res = await fetch(`${baseUrl}${path}`, { signal: AbortSignal.timeout(timeoutMs) });
    if (!res.ok) throw new Error(`GET ${baseUrl}${path}: ${res.status} ${await res.text()}`);
    return res.json();
  };
  const parsed = <T>(path: string, schema: { safeParse(v: unknown): { success: true; data: T } | { success: false; error: { message: string } } }) =>
    get(path).then((body) => {
      const r = schema.safeParse(body);
      if (!r.success) throw new Error(`GET ${baseUrl}${path}: unexpected answer: ${r.error.message}`);
      return r.data;
    });
  return {
    events: () => parsed(`/events`, controllerEventsSchema),
    active: () => parsed(`/active`, activeSiteSchema),
  };
}
