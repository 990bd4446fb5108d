import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyFault, revertFault } from '../../chaos/apply';
import { createFault, faultContext, type FaultContext } from '../../chaos/faults';
import { Journal, readJournal } from '../../chaos/journal';
import { checkResidue } from '../../chaos/residue';
import { restoreAll } from '../../chaos/restore';
import { resolveTarget } from '../../chaos/targets';
import type { FaultSpec } from '../../model/faults';
import { controllerClient } from '../../services/controller/client';
import type { Estate } from '../../services/runtime';
import { json, startTestEstate, until } from '../helpers/estate';
import { proxyResidue, readLines } from './helpers';

/**
 * Faults aimed at a role (docs/ARCHITECTURE.md § 5) on a live estate: resolved when applied, from
 * the controller's `/active`, journaled as the concrete target, and reverted where they struck
 * whatever the roles are by then. The estate fails over automatically once (the power cut below);
 * its hold-down (FAST_FAILOVER: 600 s) then keeps the roles where the test puts them.
 */

jest.setTimeout(120_000);

const sanStatus = (estate: Estate, site: 'dc1' | 'dc2') => json(`${estate.endpoints.sites[site].sanAdmin}/status`);
const tmp = (what: string) => mkdtempSync(join(tmpdir(), `blackstart-${what}-`));

describe('faults aimed at a role, on a live estate (process runtime)', () => {
  let estate: Estate;
  let ctx: FaultContext;
  const active = () => controllerClient(estate.endpoints.controller).active();

  beforeAll(async () => {
    estate = await startTestEstate();
    ctx = faultContext(estate);
  });
  afterAll(() => estate?.stop());

  it('after a failover, site: active strikes the new active site, and its revert undoes exactly that after the roles change again', async () => {
    // The roles move: power cut at dc1, dc2 takes over, dc1's power back and it follows as the replica.
    const journal = Journal.open({ runId: 'roles', root: tmp('roles') });
    const cut = createFault('cut-dc1', { kind: 'power_cut', spec: { site: 'dc1' } });
    await applyFault(journal, cut, ctx);
    await until(active, (a) => a.site === 'dc2', 10_000, 'dc2 active after the power cut at dc1');
    await revertFault(journal, cut, ctx);
    await until(() => sanStatus(estate, 'dc1'), (s) => s.role === 'replica', 15_000, 'dc1 back as the replica');
    expect(await active()).toEqual({ site: 'dc2', epoch: 2, watching: true });

    // Aimed at the active site: nothing planned until it is applied.
    const hang = createFault('hang-active', { kind: 'storage_cut', spec: { site: 'active', mode: 'hang' } });
    expect(hang.describe()).toBe('storage_cut at site=active (resolved when applied)');
    expect(hang.revertPlan(ctx)).toEqual([]);
    expect(hang.resolved!()).toBeNull();

    let seenAtApply: Record<string, unknown>[] = [];
    const inner = hang.apply;
    hang.apply = async (c) => {
      seenAtApply = readLines(journal.path);
      await inner(c);
    };
    await applyFault(journal, hang, ctx);
    const target = { field: 'site', role: 'active', hit: 'dc2', active: 'dc2', epoch: 2 };
    expect(hang.resolved!()).toEqual({ spec: { kind: 'storage_cut', spec: { site: 'dc2', mode: 'hang' } }, target });
    expect(hang.describe()).toBe('storage hang at dc2: its storage links swallow all I/O (site: active)');
    // Journaled before it was applied, as the concrete target with the revert plan for it.
    const line = seenAtApply.find((l) => l.type === 'fault' && l.id === 'hang-active');
    expect(line).toMatchObject({ kind: 'storage_cut', spec: { site: 'dc2', mode: 'hang' }, target, description: hang.describe() });
    expect((line!.revertPlan as { proxy: string }[]).map((s) => s.proxy)).toEqual(['dc2-san', 'dc2-san']);
    // It struck dc2's SAN link, and only that.
    expect((await proxyResidue(estate.endpoints.proxyApi)).sort()).toEqual(['dc2-san: blackstart-hang-active', 'dc2-san: blackstart-hang-active-upstream']);

    // The roles change again: a planned switchover to dc1 (the hang is on dc2's data link; its SAN's control plane answers).
    const res = (await json(`${estate.endpoints.controller}/failback`, { method: 'POST' })) as { ok: boolean };
    expect(res.ok).toBe(true);
    expect(await active()).toEqual({ site: 'dc1', epoch: 3, watching: true });
    // Resolved now, the same spec would strike dc1...
    expect((await resolveTarget(hang.spec, estate)).target).toEqual({ ...target, hit: 'dc1', active: 'dc1', epoch: 3 });
    expect((await proxyResidue(estate.endpoints.proxyApi)).sort()).toEqual(['dc2-san: blackstart-hang-active', 'dc2-san: blackstart-hang-active-upstream']);

    // ...but the revert undoes what the apply struck: dc2's SAN link, and nothing was done to dc1's.
    await revertFault(journal, hang, ctx);
    expect(hang.resolved!()!.target).toEqual(target);
    expect(await proxyResidue(estate.endpoints.proxyApi)).toEqual([]);
    expect(await checkResidue(ctx)).toEqual([]);
    journal.close();
    expect(readJournal(journal.path).faults.map((f) => [f.id, f.target?.hit ?? null, f.history.map((h) => h.state)])).toEqual([
      ['cut-dc1', null, ['applying', 'applied', 'reverted']],
      ['hang-active', 'dc2', ['applying', 'applied', 'reverted']],
    ]);
    // dc2 follows dc1 again once its SAN link answers.
    await until(() => sanStatus(estate, 'dc2'), (s) => s.role === 'replica', 15_000, 'dc2 back as the replica');
  });

  it("a role-targeted fault's journal line holds the concrete target: restore undoes it from the journal alone", async () => {
    // dc1 active since the failback above; the standby's booking link is dc2's.
    expect((await active()).site).toBe('dc1');
    const root = tmp('roles-restore');
    const journal = Journal.open({ runId: 'roles-restore', root });
    const spec: FaultSpec = { kind: 'network', spec: { link: 'standby-booking', toxic: 'latency', attributes: { latency: 50 }, stream: 'downstream', toxicity: 1 } };
    await applyFault(journal, createFault('slow-standby', spec), ctx);
    expect(await proxyResidue(estate.endpoints.proxyApi)).toEqual(['dc2-booking: blackstart-slow-standby']);
    const [entry] = readJournal(journal.path).faults;
    expect(entry).toMatchObject({ spec: { link: 'dc2-booking' }, target: { field: 'link', role: 'standby-booking', hit: 'dc2-booking', active: 'dc1' } });
    expect(entry.revertPlan).toEqual([{ type: 'remove-toxic', proxyApi: estate.endpoints.proxyApi, proxy: 'dc2-booking', toxic: 'blackstart-slow-standby' }]);

    // No fault object: restore reads the journal, as after a killed harness.
    const report = await restoreAll({ root });
    expect(report).toMatchObject({ undone: 1, failed: 0, left: 0, ok: true });
    expect(report.journals[0].faults[0].steps.map((s) => [s.step.type, s.outcome])).toEqual([['remove-toxic', 'done']]);
    expect(await proxyResidue(estate.endpoints.proxyApi)).toEqual([]);
    expect(readJournal(journal.path).faults[0].state).toBe('reverted');
    journal.close();
  });

  it('power_cut site: active kills the active site and leaves the standby running; revert restores it', async () => {
    const { site: serving } = await active();
    const other = serving === 'dc1' ? 'dc2' : 'dc1';
    const journal = Journal.open({ runId: 'roles-power', root: tmp('roles-power') });
    const cut = createFault('cut-active', { kind: 'power_cut', spec: { site: 'active' } });
    await applyFault(journal, cut, ctx);
    try {
      expect(cut.resolved!()!.target).toMatchObject({ role: 'active', hit: serving });
      const site = (name: string) => estate.components.filter((c) => c.site === name);
      expect(site(serving).map((c) => [c.name, c.running])).toEqual(site(serving).map((c) => [c.name, false]));
      expect(site(other).every((c) => c.running)).toBe(true);
      // The dark links are the struck site's own.
      const dark = cut.revertPlan(ctx).flatMap((s) => (s.type === 'remove-toxic' ? [s.proxy] : []));
      expect([...new Set(dark)].sort()).toEqual(['booking', 'pas', 'san', 'theatre'].map((k) => `${serving}-${k}`));
    } finally {
      await revertFault(journal, cut, ctx);
      journal.close();
    }
    expect(estate.components.every((c) => c.running)).toBe(true);
    expect(await checkResidue(ctx)).toEqual([]);
  });

  it('power_flap site: active is resolved once: a failover between its cuts does not move the flap', async () => {
    const first = (await active()).site as 'dc1' | 'dc2';
    const cuts: string[] = [];
    // The estate as the flap sees it, counting which site each cut strikes.
    const counting = new Proxy(estate, {
      get(t, p) {
        if (p === 'site') {
          return (name: 'dc1' | 'dc2') => {
            const site = t.site(name);
            return { name: site.name, processes: site.processes, powerCut: () => (cuts.push(name), site.powerCut()), restore: () => site.restore() };
          };
        }
        const v = Reflect.get(t, p, t) as unknown;
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(t) : v;
      },
    });
    const flapCtx: FaultContext = { ...ctx, estate: counting };
    const journal = Journal.open({ runId: 'roles-flap', root: tmp('roles-flap') });
    const flap = createFault('flap-active', { kind: 'power_flap', spec: { site: 'active', times: 2, every: 4000 } });
    const applying = applyFault(journal, flap, flapCtx);
    try {
      // Between the cuts (power back at 2 s, the next cut at 4 s) the roles change: a planned switchover away from the flapping site.
      await until(async () => cuts.length === 1 && estate.components.every((c) => c.running), Boolean, 10_000, 'power back after the first cut');
      await until(() => sanStatus(estate, first), (s) => s.role === 'primary', 10_000, `${first} primary again`);
      const res = (await json(`${estate.endpoints.controller}/failback`, { method: 'POST' })) as { ok: boolean; detail: string };
      expect(res).toMatchObject({ ok: true });
      expect((await active()).site).not.toBe(first);
      await applying;
    } finally {
      await revertFault(journal, flap, flapCtx);
      journal.close();
    }
    // Both cuts struck the site that was active when the flap was applied.
    expect(cuts).toEqual([first, first]);
    expect(flap.resolved!()!.target).toMatchObject({ role: 'active', hit: first });
    expect(estate.components.every((c) => c.running)).toBe(true);
    expect(await checkResidue(ctx)).toEqual([]);
  });
});
