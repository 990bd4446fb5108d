import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { faultContext } from '../../chaos/faults';
import { Journal } from '../../chaos/journal';
import { loadDrill, parseDrill } from '../../harness/drill/load';
import type { Drill } from '../../harness/drill/schema';
import { RequestLog } from '../../harness/load/records';
import { FaultSchedule } from '../../harness/runner/faults';
import { fhirOptions, startDrillLoad } from '../../harness/runner/load';
import { faultsFollowedBy, readBackPhase } from '../../harness/runner/readback';
import { runDrill } from '../../harness/runner/run';
import { ledger } from '../../harness/verify/ledger';
import { readBack } from '../../harness/verify/readback';
import { resultSchema } from '../../model/result';
import { controllerClient } from '../../services/controller/client';
import { startEstate } from '../../services/runtime';
import { drillProblems, shorten } from '../helpers/drill';

jest.setTimeout(180_000);

const DRILLS = resolve(__dirname, '..', '..', 'drills');
const fhirDrill = (d: Drill): Drill => ({ ...d, load: { ...d.load, workload: 'fhir', mix: undefined } });

describe('load.workload: fhir in a drill file', () => {
  const text = (load: string[]) => ['name: d', 'load:', '  rate: 10/s', '  duration: 5s', ...load.map((l) => `  ${l}`)].join('\n');

  it('defaults to the clinical workload; fhir takes an identifier system, bases and its own mix', () => {
    expect(parseDrill(text([]), 'd.yaml').load.workload).toBe('clinical');
    const d = parseDrill(text(['workload: fhir', 'fhir: { base: { booking: "http://127.0.0.1:9/fhir" }, mix: { cancel_appointment: 0 } }']), 'd.yaml');
    expect(d.load.fhir).toMatchObject({ identifier_system: 'urn:blackstart:write-key', base: { booking: 'http://127.0.0.1:9/fhir' }, mix: { cancel_appointment: 0, book_appointment: 25 } });
  });

  it('refuses what does not go together, with the field at fault', () => {
    const problems = (load: string[]) => drillProblems(text(load)).map((p) => `${p.path}: ${p.message}`);
    expect(problems(['workload: fhir', 'mix: { lookup_patient: 1 }'])).toEqual([expect.stringMatching(/^load\.mix: .*fhir\.mix/)]);
    expect(problems(['workload: fhir', 'paper: true'])).toEqual([expect.stringMatching(/^load\.paper: paper mode needs workload: clinical/)]);
    expect(problems(['fhir: {}'])).toEqual([expect.stringMatching(/^load\.fhir: /)]);
    expect(problems(['workload: fhir', 'fhir: { base: { pas: "ftp://x" } }'])).toEqual([expect.stringMatching(/^load\.fhir\.base\.pas: must be an http\(s\) URL/)]);
    expect(problems(['workload: fhir', 'fhir: { mix: { lookup_patient: 1 } }'])).toHaveLength(1);
  });
});

describe('the FHIR workload on the mock estate, read back black-box', () => {
  it('a drill with workload: fhir runs end to end and reads back by FHIR search', async () => {
    const drill = parseDrill(
      ['name: fhir-smoke', 'load:', '  rate: 20/s', '  duration: 4s', '  warmup: 1s', '  workload: fhir', '  fhir: { identifier_system: "urn:test:write-key" }', 'gates:', '  - { metric: lost_writes, max: 0 }'].join('\n'),
      'fhir-smoke.yaml',
    );
    const outDir = mkdtempSync(join(tmpdir(), 'blackstart-fhir-smoke-'));
    const r = await runDrill(drill, { file: 'fhir-smoke.yaml', outDir });
    expect(() => resultSchema.parse(r)).not.toThrow();
    expect(r.error).toBeNull();
    expect([r.verdict, r.exitCode]).toEqual(['passed', 0]);
    expect(r.ledger!.parameters).toMatchObject({ readBackBy: 'fhir-identifier-search', batch: true, unexpectedMeasured: true, unreadable: 0 });
    expect(r.ledger!.definition).toMatch(/identifier=<system>\|<key>/);
    expect(r.ledger!.counts).toMatchObject({ lost: 0, duplicated: 0, unexpected: 0, unverified: 0, conflicting: 0 });
    expect(r.ledger!.counts.acknowledged).toBeGreaterThan(20);
    // On a healthy estate every standard request is answered 2xx.
    expect(r.load.requests).toMatchObject({ fail: 0, info: 0 });
  });

  it('async-replication-loss: the FHIR read-back finds the same lost writes as /_ledger', async () => {
    const drill = fhirDrill(shorten(loadDrill(join(DRILLS, 'async-replication-loss.yaml')), 0.6));
    const root = mkdtempSync(join(tmpdir(), 'blackstart-fhir-arl-'));
    const runId = `arl-fhir-${Date.now().toString(36)}`;
    const estate = await startEstate(drill.estate, { stateRoot: join(root, 'estate') });
    const journal = Journal.open({ runId, path: join(root, 'journal.jsonl') });
    const schedule = new FaultSchedule(drill.faults, faultContext(estate), journal, () => {});
    try {
      const log = new RequestLog();
      const load = await startDrillLoad(drill, estate, log, runId);
      schedule.start(load.run.t0);
      await load.run.done;
      await schedule.revertAll();
      const appliedAt = schedule.applied().map((f) => f.appliedAt!);
      expect(appliedAt).toHaveLength(2);

      // The runner's read-back phase, as a drill with workload: fhir runs it: by FHIR search.
      const black = (await readBackPhase(estate, { log, runId, settleMs: drill.settle, appliedAt, fhir: fhirOptions(drill, estate) })).ledger;
      expect(black.parameters.readBackBy).toBe('fhir-identifier-search');

      // The same records through /_ledger and the active SAN's key list.
      const controller = controllerClient(estate.endpoints.controller);
      const active = (await controller.active()).site as 'dc1' | 'dc2';
      expect(active).toBe('dc2');
      const white = await readBack(log, { services: estate.endpoints.services, sanAdmin: estate.endpoints.sites[active].sanAdmin }, runId);
      const promotions = (await controller.events()).filter((e) => e.type === 'promote').map((e) => e.t - performance.timeOrigin);
      const whiteLedger = ledger(log, {
        readBack: white.readBack,
        unattemptedKeys: white.unattemptedKeys,
        conflicts: white.conflicts,
        tFault: appliedAt[0],
        lossFaults: faultsFollowedBy(appliedAt, promotions),
      });

      const lostBy = (l: typeof black) => l.lost.map((e) => e.key).sort();
      expect(whiteLedger.counts.lost).toBeGreaterThan(0);
      expect(lostBy(black)).toEqual(lostBy(whiteLedger));
      // Both see the same history otherwise: what came back, what was indeterminate and is there, nothing unknown.
      expect(black.counts).toMatchObject({
        attempted: whiteLedger.counts.attempted,
        acknowledged: whiteLedger.counts.acknowledged,
        recovered: whiteLedger.counts.recovered,
        unverified: 0,
        duplicated: 0,
      });
      expect(black.rpo.ms).toBeCloseTo(whiteLedger.rpo.ms, 6);
      expect(new Set(black.lost.map((e) => e.op))).toEqual(new Set(whiteLedger.lost.map((e) => e.op)));
      // For the report: how many, of which operations.
      process.stdout.write(
        `async-replication-loss (fhir): lost ${black.counts.lost} by FHIR search, ${whiteLedger.counts.lost} by /_ledger; ops ${JSON.stringify(
          black.lost.reduce<Record<string, number>>((m, e) => ({ ...m, [e.op!]: (m[e.op!] ?? 0) + 1 }), {}),
        )}\n`,
      );
    } finally {
      await schedule.revertAll().catch(() => {});
      await estate.stop();
      journal.close();
    }
  });
});
