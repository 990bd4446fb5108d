import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyFault, revertFault } from '../../chaos/apply';
import { createFault, faultContext, type Fault, type FaultContext } from '../../chaos/faults';
import type { FaultSpec } from '../../model/faults';
import { Journal, readJournal } from '../../chaos/journal';
import { checkResidue } from '../../chaos/residue';
import { restoreAll } from '../../chaos/restore';
import type { Estate } from '../../services/runtime';
import { addToxic, book, call, slots, startTestEstate, until } from '../helpers/estate';
import { isPaused, proxyResidue, readLines, timed } from './helpers';

jest.setTimeout(60_000);

/** A GET that gives up after `timeoutMs`: status 0 when nothing answered. */
async function probe(url: string, timeoutMs = 3000): Promise<number> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    await res.arrayBuffer();
    return res.status;
  } catch {
    return 0;
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function medianMs(f: () => Promise<unknown>, n = 3): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) times.push((await timed(f)).ms);
  return median(times);
}

const network = (link: string, toxic: Extract<FaultSpec, { kind: 'network' }>['spec']['toxic'], attributes: Record<string, number> = {}): FaultSpec => ({
  kind: 'network',
  spec: { link, toxic, attributes, stream: 'downstream', toxicity: 1 },
});

describe('faults on a live estate (process runtime)', () => {
  let estate: Estate;
  let ctx: FaultContext;
  let patient = 100;
  // Manual promotion: a SAN fault or a freeze at dc1 must not fail the estate over to dc2 here.
  beforeAll(async () => {
    estate = await startTestEstate({ failover: { heartbeat_ms: 100, detect_after: 3, promotion: 'manual', hold_down_ms: 600_000 } });
    ctx = faultContext(estate);
  });
  afterAll(() => estate?.stop());

  const bookAtDc1 = () => book(estate.endpoints.sites.dc1.apps.booking, slots[patient % slots.length].id, patient, `chaos-${patient++}`);

  async function expectClean(): Promise<void> {
    expect(await checkResidue(ctx)).toEqual([]);
  }

  describe('network', () => {
    it('latency on the frontdoor link adds latency to a request; revert takes it away', async () => {
      const url = `${estate.endpoints.services.booking}/health/live`;
      const fault = createFault('fd-latency', network('frontdoor', 'latency', { latency: 400 }));
      expect(fault.describe()).toBe('network latency {"latency":400} on frontdoor (downstream, toxicity 1)');
      expect(fault.revertPlan(ctx)).toEqual([{ type: 'remove-toxic', proxyApi: estate.endpoints.proxyApi, proxy: 'frontdoor', toxic: 'blackstart-fd-latency' }]);
      await fault.apply(ctx);
      const slow = await timed(() => probe(url, 5000));
      expect(slow.value).toBe(200);
      expect(slow.ms).toBeGreaterThanOrEqual(380);
      expect(await checkResidue(ctx)).toEqual([
        { kind: 'toxic', target: 'frontdoor', description: 'toxic blackstart-fd-latency (latency, downstream) left on frontdoor' },
      ]);
      await fault.revert(ctx);
      await fault.revert(ctx); // idempotent
      expect(await medianMs(() => probe(url, 5000))).toBeLessThan(380);
      await expectClean();
    });

    it("'down' disables the link: connections refused; revert enables it", async () => {
      const url = `${estate.endpoints.services.booking}/health/live`;
      const fault = createFault('fd-down', network('frontdoor', 'down'));
      expect(fault.revertPlan(ctx)).toEqual([{ type: 'enable-proxy', proxyApi: estate.endpoints.proxyApi, proxy: 'frontdoor' }]);
      await fault.apply(ctx);
      const refused = await timed(() => probe(url, 3000));
      expect(refused.value).toBe(0);
      expect(refused.ms).toBeLessThan(2000); // refused, not hung
      expect(await checkResidue(ctx)).toEqual([{ kind: 'proxy-disabled', target: 'frontdoor', description: 'proxy frontdoor is disabled' }]);
      await fault.revert(ctx);
      await fault.revert(ctx);
      expect(await probe(url)).toBe(200);
      await expectClean();
    });

    it('an unknown link fails apply with its name, and revert is still safe', async () => {
      const fault = createFault('nowhere', network('dc3-pas', 'latency', { latency: 10 }));
      await expect(fault.apply(ctx)).rejects.toThrow(/no proxy named dc3-pas/);
      await expect(fault.revert(ctx)).resolves.toBeUndefined();
    });
  });

  describe('storage_cut at dc1', () => {
    it('hang: a write to dc1 fails with 503 within the SAN timeout (1 s) plus margin; revert serves again', async () => {
      expect((await bookAtDc1()).status).toBe(201);
      const fault = createFault('san-hang', { kind: 'storage_cut', spec: { site: 'dc1', mode: 'hang' } });
      expect(fault.revertPlan(ctx).map((s) => s.type === 'remove-toxic' && s.toxic)).toEqual(['blackstart-san-hang', 'blackstart-san-hang-upstream']);
      await fault.apply(ctx);
      const hung = await timed(bookAtDc1);
      expect(hung.value.status).toBe(503);
      expect(hung.ms).toBeGreaterThanOrEqual(900);
      expect(hung.ms).toBeLessThan(3000);
      expect((await proxyResidue(estate.endpoints.proxyApi)).sort()).toEqual(['dc1-san: blackstart-san-hang', 'dc1-san: blackstart-san-hang-upstream']);
      await fault.revert(ctx);
      await fault.revert(ctx);
      await until(bookAtDc1, (r) => r.status === 201, 10_000, 'a write at dc1 after the hang');
      await expectClean();
    });

    it('refuse: the SAN link disabled, a write fails with 503 at once; revert serves again', async () => {
      const fault = createFault('san-refuse', { kind: 'storage_cut', spec: { site: 'dc1', mode: 'refuse' } });
      await fault.apply(ctx);
      const refused = await timed(bookAtDc1);
      expect(refused.value.status).toBe(503);
      expect(refused.ms).toBeLessThan(2000);
      expect(await checkResidue(ctx)).toEqual([{ kind: 'proxy-disabled', target: 'dc1-san', description: 'proxy dc1-san is disabled' }]);
      await fault.revert(ctx);
      await until(bookAtDc1, (r) => r.status === 201, 10_000, 'a write at dc1 after refuse');
      await expectClean();
    });

    it('slow: every SAN reply 500 ms late by default; revert takes it away', async () => {
      const ready = `${estate.endpoints.sites.dc1.apps.pas}/health/ready`;
      const fault = createFault('san-slow', { kind: 'storage_cut', spec: { site: 'dc1', mode: 'slow' } });
      expect(fault.describe()).toBe('storage slow at dc1: +500 ms on its storage links');
      await fault.apply(ctx);
      const slow = await timed(() => probe(ready, 5000));
      expect(slow.value).toBe(200);
      expect(slow.ms).toBeGreaterThanOrEqual(480);
      await fault.revert(ctx);
      expect(await medianMs(() => probe(ready, 5000))).toBeLessThan(480);
      await expectClean();
    });
  });

  describe('freeze', () => {
    it('a frozen component stops answering (paused, not dead); thawed it answers again', async () => {
      const live = `${estate.endpoints.sites.dc1.apps.theatre}/health/live`;
      const component = estate.component('dc1-theatre');
      const pid = Number(component.id);
      const fault = createFault('frz', { kind: 'freeze', spec: { component: 'dc1-theatre' } });
      // The mark finds its processes outside the tree too (the regional estate is an estate file's, marked).
      expect(fault.revertPlan(ctx)).toEqual([{ type: 'thaw', pid, component: 'dc1-theatre', mark: `${estate.id}/dc1-theatre` }]);
      await fault.apply(ctx);
      try {
        // SIGSTOP takes effect when the kernel next schedules the process: a moment, not at once.
        await until(async () => isPaused(pid), Boolean, 2000, 'process state T (stopped)');
        expect(await probe(live, 500)).toBe(0);
        expect(await checkResidue(ctx)).toEqual([{ kind: 'frozen', target: 'dc1-theatre', description: `dc1-theatre is frozen (paused, pid ${pid})` }]);
      } finally {
        await fault.revert(ctx);
      }
      await fault.revert(ctx);
      await until(async () => isPaused(pid), (paused) => !paused, 2000, 'process running again');
      expect(await probe(live)).toBe(200);
      expect(component.id).toBe(String(pid));
      await expectClean();
    });
  });

  describe('residue', () => {
    it('lists toxics, disabled proxies, frozen and missing components; nothing once reverted', async () => {
      const faults = [
        createFault('r-latency', network('dc2-pas', 'latency', { latency: 50 })),
        createFault('r-refuse', { kind: 'storage_cut', spec: { site: 'dc2', mode: 'refuse' } }),
        createFault('r-freeze', { kind: 'freeze', spec: { component: 'dc2-booking' } }),
      ];
      for (const f of faults) await f.apply(ctx);
      const theatre = estate.component('dc2-theatre');
      theatre.kill();
      try {
        const residue = await checkResidue(ctx);
        expect(residue.map((r) => `${r.kind} ${r.target}`).sort()).toEqual(['down dc2-theatre', 'frozen dc2-booking', 'proxy-disabled dc2-san', 'toxic dc2-pas']);
        // Down on purpose: by component or by site.
        expect((await checkResidue(ctx, { expectDown: ['dc2-theatre'] })).map((r) => r.kind).sort()).toEqual(['frozen', 'proxy-disabled', 'toxic']);
        expect((await checkResidue(ctx, { expectDown: ['dc2'] })).map((r) => r.kind)).not.toContain('down');
      } finally {
        for (const f of [...faults].reverse()) await f.revert(ctx);
        await theatre.start();
      }
      await expectClean();
    });
  });

  describe('the rollback journal', () => {
    let root: string;
    beforeEach(() => {
      root = mkdtempSync(join(tmpdir(), 'blackstart-journal-'));
    });

    it('holds the fault and its revert plan before apply runs, then its states', async () => {
      const journal = Journal.open({ runId: 'before-apply', root });
      const inner = createFault('j-latency', network('dc2-theatre', 'latency', { latency: 20 }));
      let seenAtApply: Record<string, unknown>[] = [];
      const watched: Fault = {
        ...inner,
        apply: async (c) => {
          seenAtApply = readLines(journal.path);
          await inner.apply(c);
        },
      };
      await applyFault(journal, watched, ctx);
      expect(seenAtApply.map((l) => l.type)).toEqual(['journal', 'fault']);
      expect(seenAtApply[1]).toMatchObject({
        id: 'j-latency',
        kind: 'network',
        description: inner.describe(),
        revertPlan: inner.revertPlan(ctx),
        estate: { id: estate.id, dataDir: estate.dataDir, record: join(estate.dataDir, 'estate.json') },
      });
      await revertFault(journal, watched, ctx);
      journal.close();
      const contents = readJournal(journal.path);
      expect(contents.faults.map((f) => [f.id, f.history.map((h) => h.state)])).toEqual([['j-latency', ['applying', 'applied', 'reverted']]]);
      expect(contents.ended).toBe(true);
      expect(await restoreAll({ root })).toMatchObject({ journals: [], ok: true });
      await expectClean();
    });

    it('a fault whose apply throws midway is in the journal, and restoreAll reverts what it did', async () => {
      // Our upstream toxic's name already taken: the hang's downstream toxic goes on, then apply throws.
      await addToxic(estate, 'dc1-san', { name: 'blackstart-midway-upstream', type: 'latency', stream: 'upstream', attributes: { latency: 0 } });
      const journal = Journal.open({ runId: 'midway', root });
      const fault = createFault('midway', { kind: 'storage_cut', spec: { site: 'dc1', mode: 'hang' } });
      await expect(applyFault(journal, fault, ctx)).rejects.toThrow(/blackstart-midway-upstream/);
      expect((await proxyResidue(estate.endpoints.proxyApi)).sort()).toEqual(['dc1-san: blackstart-midway', 'dc1-san: blackstart-midway-upstream']);
      const [entry] = readJournal(journal.path).faults;
      expect(entry).toMatchObject({ id: 'midway', state: 'apply-failed', error: expect.stringMatching(/blackstart-midway-upstream.*409/) });

      const report = await restoreAll({ root });
      expect(report).toMatchObject({ undone: 1, failed: 0, left: 0, estatesStopped: 0, ok: true });
      expect(report.journals[0].faults[0].steps.map((s) => s.outcome)).toEqual(['done', 'done']);
      // The estate belongs to this (live) process: restore leaves it running.
      expect(report.journals[0].estates).toEqual([{ id: estate.id, outcome: 'skipped', detail: `its harness (pid ${process.pid}) is alive` }]);
      expect(readJournal(journal.path).faults[0].state).toBe('reverted');
      await until(bookAtDc1, (r) => r.status === 201, 10_000, 'a write at dc1 after the restore');
      await expectClean();
      journal.close();
    });
  });
});
