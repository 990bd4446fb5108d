import { Pool } from 'undici';
import { createFault, faultContext, type FaultContext } from '../../chaos/faults';
import { checkResidue } from '../../chaos/residue';
import { processState } from '../../services/runtime/process/records';
import type { Estate } from '../../services/runtime';
import { book, slots, startTestEstate, until } from '../helpers/estate';

jest.setTimeout(90_000);

/**
 * Busy-waits (no event loop turn, so nothing else runs meanwhile) until each pid is dead or a
 * zombie, and returns when each was first seen so: how far apart the kills landed.
 */
function deathTimes(pids: number[], timeoutMs = 3000): Map<number, number> {
  const seen = new Map<number, number>();
  const deadline = performance.now() + timeoutMs;
  while (seen.size < pids.length && performance.now() < deadline) {
    for (const pid of pids) {
      if (seen.has(pid)) continue;
      const state = processState(pid);
      if (state === undefined || state === 'Z' || state === 'X') seen.set(pid, performance.now());
    }
  }
  return seen;
}

describe('power faults (process runtime, automatic failover)', () => {
  let estate: Estate;
  let ctx: FaultContext;
  let patient = 500;
  beforeAll(async () => {
    estate = await startTestEstate({ replication: { mode: 'sync' } });
    ctx = faultContext(estate);
  });
  afterAll(() => estate?.stop());

  const bookViaFrontDoor = () => book(estate.endpoints.services.booking, slots[patient % slots.length].id, patient, `power-${patient++}`);
  const dc1 = () => estate.site('dc1').processes;
  const pidsOf = (site: 'dc1' | 'dc2') => estate.site(site).processes.map((p) => Number(p.id));

  it('power_cut kills every process of the site within 50 ms; the front door fails, then dc2 takes over', async () => {
    expect((await bookViaFrontDoor()).site).toBe('dc1');
    const fault = createFault('cut', { kind: 'power_cut', spec: { site: 'dc1' } });
    const darkToxics = ['pas', 'booking', 'theatre', 'san'].flatMap((k) => ['downstream', 'upstream'].map((stream) => [`dc1-${k}`, `blackstart-cut-dark-${stream}`]));
    expect(fault.revertPlan(ctx)).toEqual([
      ...darkToxics.map(([proxy, toxic]) => ({ type: 'remove-toxic', proxyApi: estate.endpoints.proxyApi, proxy, toxic })),
      { type: 'stop-estate', estateId: estate.id, record: `${estate.dataDir}/estate.json` },
    ]);
    // A connection the front door would hold open to dc1's booking app, through its link.
    const link = (await (await fetch(`${estate.endpoints.proxyApi}/proxies/dc1-booking`)).json()) as { listen: string };
    const held = new Pool(`http://${link.listen}`, { connections: 1, keepAliveTimeout: 60_000 });
    expect((await held.request({ path: '/health/live', method: 'GET' }).then(async (r) => (await r.body.text(), r.statusCode)))).toBe(200);
    const pids = pidsOf('dc1');
    expect(pids).toHaveLength(4);
    await fault.apply(ctx);
    const died = deathTimes(pids);
    expect([...died.keys()].sort()).toEqual([...pids].sort());
    const spread = Math.max(...died.values()) - Math.min(...died.values());
    expect(spread).toBeLessThan(50);
    expect(dc1().every((p) => !p.running && p.id === undefined)).toBe(true);

    // Sent at once, answered after the failover at the earliest: it must not be a success at dc1.
    const firstBooking = bookViaFrontDoor();
    // A dead host sends no FIN and no RST: the held connection hangs, it is not reset; a new
    // connection is refused at once.
    const onHeld = await held
      .request({ path: '/health/live', method: 'GET', headersTimeout: 1500 })
      .then((r) => `status ${r.statusCode}`, (e: { code?: string }) => e.code);
    expect(onHeld).toBe('UND_ERR_HEADERS_TIMEOUT');
    await held.destroy();
    const t1 = performance.now();
    const fresh = await fetch(`http://${link.listen}/health/live`, { signal: AbortSignal.timeout(1500) }).then((r) => `status ${r.status}`, (e: Error) => e.name);
    expect([fresh, performance.now() - t1 < 1000]).toEqual(['TypeError', true]);

    const first = await firstBooking;
    expect(first.status === 201 && first.site === 'dc1').toBe(false);
    const served = await until(bookViaFrontDoor, (r) => r.status === 201, 20_000, 'a booking through the front door after failover');
    expect(served.site).toBe('dc2');
    expect((await checkResidue(ctx)).map((r) => `${r.kind} ${r.target}`).sort()).toEqual(
      [...['booking', 'pas', 'san', 'theatre'].map((k) => `down dc1-${k}`), ...darkToxics.map(([proxy]) => `toxic ${proxy}`)].sort(),
    );
    // A site left without power on purpose: its processes down and its links dark are expected.
    expect(await checkResidue(ctx, { expectDown: ['dc1'] })).toEqual([]);

    await fault.revert(ctx);
    expect(dc1().every((p) => p.running)).toBe(true);
    expect(pidsOf('dc1').some((pid) => pids.includes(pid))).toBe(false);
    await fault.revert(ctx); // idempotent: nothing left to start
    expect(await checkResidue(ctx)).toEqual([]);
  });

  it('power_flap cuts and restores the site `times` times, and leaves it up', async () => {
    const fault = createFault('flap', { kind: 'power_flap', spec: { site: 'dc1', times: 2, every: 1000 } });
    expect(fault.describe()).toBe('power flap at dc1: 2 interruptions, every 1000 ms');
    const san = estate.component('dc1-san');
    const seen: (string | undefined)[] = [san.id];
    const watch = setInterval(() => {
      if (seen[seen.length - 1] !== san.id) seen.push(san.id);
    }, 10);
    const t0 = performance.now();
    try {
      await fault.apply(ctx);
    } finally {
      clearInterval(watch);
    }
    if (seen[seen.length - 1] !== san.id) seen.push(san.id);
    // up, down, up (new pid), down, up (another new pid)
    expect(seen.map((id) => (id === undefined ? 'down' : 'up'))).toEqual(['up', 'down', 'up', 'down', 'up']);
    expect(new Set(seen.filter(Boolean)).size).toBe(3);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(1500);
    expect(dc1().every((p) => p.running)).toBe(true);
    await fault.revert(ctx);
    expect(await checkResidue(ctx)).toEqual([]);
  });

  it('reverting a power_flap in progress stops the flapping and leaves the site up', async () => {
    const fault = createFault('flap-abort', { kind: 'power_flap', spec: { site: 'dc1', times: 10, every: 800 } });
    const t0 = performance.now();
    const applying = fault.apply(ctx);
    await until(async () => dc1().every((p) => !p.running), Boolean, 2000, 'the first cut');
    await fault.revert(ctx);
    await applying;
    expect(performance.now() - t0).toBeLessThan(8 * 800);
    expect(dc1().every((p) => p.running)).toBe(true);
    // No further cut after the revert.
    const pids = pidsOf('dc1');
    await new Promise((r) => setTimeout(r, 1000));
    expect(pidsOf('dc1')).toEqual(pids);
    expect(await checkResidue(ctx)).toEqual([]);
  });
});
