import type { ControllerEvent } from '../../model/controller';
import type { DrillResult } from '../../model/result';
import { faultName, type Drill } from '../../harness/drill/schema';
import { clinicalWorkload } from '../../harness/load/workload';
import { seededRandom } from '../../harness/load/random';
import { OutcomeCode, RequestLog } from '../../harness/load/records';
import { drillExecutor } from '../../harness/load/k6/sequence';
import { ledger } from '../../harness/verify/ledger';
import { assembleResult, judgeGates, measureRun, type RunRecord } from '../../harness/runner/result';
import type { ScheduledFault } from '../../harness/runner/faults';
import { FAULT_KINDS } from '../../model/faults';

/**
 * A result of a shipped drill without running it (seconds, not minutes): the drill's own schedule,
 * workload, faults and gates, and an estate that behaves as the drill expects: 4-9 ms answers,
 * then at each fault an outage (503s) until the controller has promoted the other site, with the
 * first request after the fault hanging 3005 ms (a stall the latency axis must show without
 * flattening the rest); with `promotion: broken`, until the fault is reverted. Every figure is
 * computed by the runner's own code (measureRun, judgeGates, assembleResult) from these records.
 */
export function syntheticResult(drill: Drill, file: string): DrillResult {
  const t0 = 50_000;
  const log = new RequestLog();
  const workload = clinicalWorkload({ seed: drill.seed, mix: drill.load.mix, runId: drill.name });
  const random = seededRandom(drill.seed);
  const broken = drill.estate.failover.promotion === 'broken';
  const faults: ScheduledFault[] = drill.faults.map((f, i) => {
    const kind = FAULT_KINDS.find((k) => f[k] !== undefined)!;
    const lasts = f.restore_after ?? f.duration;
    return {
      index: i,
      name: faultName(f, i),
      fault: { spec: { kind }, resolved: undefined } as unknown as ScheduledFault['fault'],
      plannedAtMs: f.at,
      appliedAt: t0 + f.at + 1.5,
      revertedAt: lasts === undefined ? null : t0 + f.at + lasts + 2,
      error: null,
      revertError: null,
    };
  });
  const events: ControllerEvent[] = [];
  let active: 'dc1' | 'dc2' = 'dc1';
  let epoch = 1;
  const promotions: { t: number; site: 'dc1' | 'dc2' }[] = [];
  // Outages: a fault that takes service away (not a latency toxic) fails requests until a promotion.
  const outages = faults
    .filter((f) => (f.fault.spec as { kind: string }).kind !== 'network')
    .map((f) => {
      const detect = f.appliedAt! + 1000;
      const promote = detect + 300;
      const end = broken ? (f.revertedAt ?? t0 + 10 ** 9) + 1500 : promote + 250;
      const standby = active === 'dc1' ? 'dc2' : 'dc1';
      events.push({ t: detect + performance.timeOrigin, type: 'detect', site: active, detail: `5 heartbeats of 200 ms missed`, epoch } as ControllerEvent);
      if (broken) events.push({ t: promote + performance.timeOrigin, type: 'promotion-failed', site: standby, detail: 'promotion: broken', epoch } as ControllerEvent);
      else {
        epoch++;
        events.push({ t: promote + performance.timeOrigin, type: 'promote', site: standby, detail: 'promoted', epoch } as ControllerEvent);
        events.push({ t: promote + 40 + performance.timeOrigin, type: 'switch', site: standby, detail: 'front door switched', epoch } as ControllerEvent);
        active = standby;
        promotions.push({ t: promote, site: standby });
      }
      return { from: f.appliedAt!, to: end, stalled: false, site: active };
    });
  const slow = faults.filter((f) => (f.fault.spec as { kind: string }).kind === 'network').map((f) => ({ from: f.appliedAt!, to: f.revertedAt ?? Infinity }));
  const exec = drillExecutor(drill.load);
  const acked: { key: string; version: number; seq: number }[] = [];
  let seq = 0;
  for (let due = exec.next(), i = 0; due !== undefined; due = exec.next(), i++) {
    const at = t0 + due;
    const op = workload.next(i);
    const row = log.add(at, op.op, op.service, op.write, op.key);
    log.started(row, at + 0.2);
    const outage = outages.find((o) => at >= o.from && at < o.to);
    if (outage && !outage.stalled) {
      outage.stalled = true;
      log.finished(row, at + 3005, OutcomeCode.Info, 0, '');
      op.onDone?.(OutcomeCode.Info, 0);
    } else if (outage) {
      log.finished(row, at + 2 + random() * 3, OutcomeCode.Fail, 503, '');
      op.onDone?.(OutcomeCode.Fail, 503);
    } else {
      const extra = slow.some((s) => at >= s.from && at < s.to) ? 120 + random() * 60 : 0;
      const version = 1;
      const site = promotions.filter((p) => p.t <= at).pop()?.site ?? 'dc1';
      log.finished(row, at + 4 + random() * 5 + extra, OutcomeCode.Ok, op.write ? 201 : 200, site, op.write ? { id: `id-${i}`, version, seq: ++seq } : undefined);
      if (op.write && op.key) acked.push({ key: op.key, version, seq });
      op.onOk?.({ id: `id-${i}` });
      op.onDone?.(OutcomeCode.Ok, 201);
    }
  }
  const end = log.end.slice(0, log.length).reduce((a, b) => Math.max(a, b), t0);
  const record: RunRecord = {
    drill,
    file,
    startedAt: '2026-11-30T10:00:00.000Z',
    estate: undefined,
    t0,
    summary: { scheduled: log.length, dropped: 0, lagP50Ms: 0.1, lagP99Ms: 0.4, lagMaxMs: 1.2, durationMs: end - t0 },
    log,
    faults,
    events,
    ledger: null,
    paper: null,
    residue: [],
    abortReason: null,
    error: null,
  };
  const readBack = acked.map((a) => ({ key: a.key, present: true, version: a.version, seq: a.seq, appliedCount: 1 }));
  record.ledger = faults.length ? ledger(log, { readBack, tFault: faults[0].appliedAt! }) : null;
  const measured = measureRun(record);
  const result = assembleResult(record, measured, judgeGates(record, measured));
  result.finishedAt = new Date(Date.parse(record.startedAt) + (end - t0) + 4000).toISOString();
  result.phases = [];
  return result;
}
