import type { Estate } from '../../services/runtime';
import { addToxic, book, call, controllerEvents, json, setProxy, slots, startTestEstate, until } from '../helpers/estate';

jest.setTimeout(90_000);

const sanStatus = (estate: Estate, site: 'dc1' | 'dc2') => json(`${estate.endpoints.sites[site].sanAdmin}/status`);

describe('estate on the process runtime', () => {
  describe('sync replication: power cut, failover, restore, catch-up, failback', () => {
    let estate: Estate;
    beforeAll(async () => {
      estate = await startTestEstate({ replication: { mode: 'sync' } });
    });
    afterAll(() => estate?.stop());

    it('serves writes through the front door and reads them back', async () => {
      const created = await book(estate.endpoints.services.booking, slots[0].id, 1, 'sync-0');
      expect(created.status).toBe(201);
      expect(created.site).toBe('dc1');
      const read = await call(`${estate.endpoints.services.booking}/Appointment/${created.body.id}`);
      expect(read.status).toBe(200);
      expect(read.body).toMatchObject({ id: created.body.id, status: 'booked' });
    });

    it('a write acknowledged just before dc1 loses power is at dc2 after promotion', async () => {
      const acked = await book(estate.endpoints.services.booking, slots[1].id, 2, 'sync-1');
      expect(acked.status).toBe(201);
      const t0 = performance.now();
      estate.site('dc1').powerCut();
      expect(estate.site('dc1').processes.every((p) => !p.running || p.id === undefined)).toBe(true);
      const after = await until(
        () => call(`${estate.endpoints.services.booking}/Appointment/${acked.body.id}`),
        (r) => r.status === 200,
        15_000,
        'the acknowledged appointment readable at dc2',
      );
      expect(after.site).toBe('dc2');
      expect(after.body).toMatchObject({ id: acked.body.id, status: 'booked' });
      const events = await controllerEvents(estate);
      expect(events.map((e) => e.type)).toEqual(expect.arrayContaining(['detect', 'promote', 'switch']));
      // The slot stays taken at dc2: a second booking of it is refused.
      expect((await book(estate.endpoints.services.booking, slots[1].id, 3, 'sync-1b')).status).toBe(409);
      expect(performance.now() - t0).toBeLessThan(15_000);
    });

    it('a restored dc1 rejoins as the replica of dc2 and catches up', async () => {
      const during = await book(estate.endpoints.services.booking, slots[2].id, 4, 'sync-2');
      expect(during.status).toBe(201);
      expect(during.site).toBe('dc2');
      await estate.site('dc1').restore();
      const dc2 = await sanStatus(estate, 'dc2');
      const dc1 = await until(() => sanStatus(estate, 'dc1'), (s) => s.role === 'replica' && s.seq === dc2.seq, 15_000, 'dc1 caught up');
      expect(dc1).toMatchObject({ role: 'replica', epoch: dc2.epoch });
      // Never a second writable primary: dc1's apps are not ready.
      expect((await call(`${estate.endpoints.sites.dc1.apps.booking}/health/ready`)).status).toBe(503);
    });

    it('a planned failback switches to dc1 under writes and loses nothing', async () => {
      const keys: { id: unknown; key: string }[] = [];
      let writing = true;
      const writer = (async () => {
        for (let i = 10; writing && i < 200; i++) {
          const r = await book(estate.endpoints.services.booking, slots[i].id, i, `fb-${i}`);
          if (r.status === 201) keys.push({ id: r.body.id, key: `fb-${i}` });
        }
      })();
      await new Promise((r) => setTimeout(r, 300));
      const res = await json(`${estate.endpoints.controller}/failback`, { method: 'POST' });
      expect(res).toMatchObject({ ok: true, primary: 'dc1' });
      await new Promise((r) => setTimeout(r, 300));
      writing = false;
      await writer;
      expect(keys.length).toBeGreaterThan(5);
      for (const { id } of keys) {
        const r = await call(`${estate.endpoints.services.booking}/Appointment/${id}`);
        expect([r.status, r.site]).toEqual([200, 'dc1']);
      }
      const [s1, s2] = [await sanStatus(estate, 'dc1'), await sanStatus(estate, 'dc2')];
      expect(s1.role).toBe('primary');
      await until(() => sanStatus(estate, 'dc2'), (s) => s.role === 'replica' && s.seq === s1.seq, 10_000, 'dc2 following dc1');
      expect(s2.epoch).toBeGreaterThanOrEqual(2);
    });
  });

  it('async replication over a slow WAN: an acknowledged write is lost when dc1 dies', async () => {
    const estate = await startTestEstate({ replication: { mode: 'async' } });
    try {
      expect((await book(estate.endpoints.services.booking, slots[0].id, 1, 'a-0')).status).toBe(201);
      await until(() => sanStatus(estate, 'dc2'), (s) => s.seq === 1, 5000, 'first write replicated');
      await addToxic(estate, 'replication', { type: 'latency', stream: 'upstream', attributes: { latency: 5000 } });
      const acked = await book(estate.endpoints.services.booking, slots[1].id, 2, 'a-1');
      expect(acked.status).toBe(201);
      const lag = await json(`${estate.endpoints.sites.dc1.sanAdmin}/replication`);
      expect((lag.sender as { lagSeq: number }).lagSeq).toBeGreaterThanOrEqual(1);
      estate.site('dc1').powerCut();
      await until(() => call(`${estate.endpoints.services.booking}/health/ready`), (r) => r.status === 200 && r.site === 'dc2', 15_000, 'dc2 serving');
      const read = await call(`${estate.endpoints.services.booking}/Appointment/${acked.body.id}`);
      expect(read.status).toBe(404);
      // The earlier, replicated write survived.
      expect((await book(estate.endpoints.services.booking, slots[0].id, 1, 'a-0')).status).toBe(201);
    } finally {
      await estate.stop();
    }
  });

  it('a broken promotion leaves the service down', async () => {
    const estate = await startTestEstate({ failover: { heartbeat_ms: 100, detect_after: 3, promotion_delay_ms: 100, promotion: 'broken' } });
    try {
      estate.site('dc1').powerCut();
      await until(() => controllerEvents(estate), (ev) => ev.some((e) => e.type === 'promotion-failed'), 10_000, 'promotion-failed event');
      await new Promise((r) => setTimeout(r, 1000));
      const r = await call(`${estate.endpoints.services.booking}/Slot?clinic=cardiology`);
      expect(r.status).not.toBe(200);
      expect(r.site).not.toBe('dc2');
      expect(((await sanStatus(estate, 'dc2')) as { role: string }).role).toBe('replica');
    } finally {
      await estate.stop();
    }
  });

  it('a heartbeat-only partition never yields two accepted bookings of one slot', async () => {
    const estate = await startTestEstate({ replication: { mode: 'sync' } });
    try {
      await setProxy(estate, 'heartbeat', { enabled: false });
      await until(() => controllerEvents(estate), (ev) => ev.some((e) => e.type === 'switch'), 10_000, 'failover');
      const events = await controllerEvents(estate);
      // dc1 was reachable on the control path, so it was fenced rather than left writable.
      expect(events.find((e) => e.type === 'fence')?.site).toBe('dc1');
      const slot = slots[5].id;
      const [atDc1, atDc2] = await Promise.all([
        book(estate.endpoints.sites.dc1.apps.booking, slot, 1, 'hb-dc1'),
        book(estate.endpoints.services.booking, slot, 2, 'hb-dc2'),
      ]);
      const accepted = [atDc1, atDc2].filter((r) => r.status === 201);
      expect(accepted).toHaveLength(1);
      expect(atDc1.status).toBe(503);
      expect(atDc2.site).toBe('dc2');
    } finally {
      await estate.stop();
    }
  });
});
