import type { Appointment, Encounter, Patient, Slot } from '@medplum/fhirtypes';
import { runLoad } from '../../harness/load/engine';
import { constantArrivalRate } from '../../harness/load/executors/constant_arrival_rate';
import { fhirWorkload } from '../../harness/load/fhir_workload';
import type { RequestLog } from '../../harness/load/records';
import { fhirReadBack } from '../../harness/verify/fhir_readback';
import { ledger } from '../../harness/verify/ledger';
import { startMedplum, type Medplum } from '../helpers/medplum';

jest.setTimeout(60_000);

/**
 * Conformance: the FHIR workload's requests and the black-box read-back, against a FHIR R4
 * implementation nobody here wrote (Medplum's FhirRouter 4.5.x with its in-memory repository, over
 * node:http on 127.0.0.1). What it showed: conditional create (If-None-Exist) answers 201, then
 * 200 with the same resource, and 412 once two match; If-Match on update; search by
 * identifier=<system>|<value> and by the system alone; batch Bundles of searches.
 */

const SYS = 'urn:blackstart:write-key';

async function seedSlots(repo: Medplum['repo'], n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    const start = new Date(Date.UTC(2027, 0, 4, 9, 0) + i * 15 * 60_000);
    await repo.createResource<Slot>({
      resourceType: 'Slot',
      schedule: { reference: 'Schedule/clinic-a' },
      status: 'free',
      start: start.toISOString(),
      end: new Date(start.getTime() + 15 * 60_000).toISOString(),
    });
  }
}

async function runWorkload(server: Medplum, runId: string, seconds = 3, rate = 25): Promise<RequestLog> {
  const run = runLoad({
    executor: constantArrivalRate(rate, seconds * 1000),
    targets: { pas: server.base, booking: server.base, theatre: server.base },
    workload: fhirWorkload({ seed: 5, runId, identifierSystem: SYS }),
    timeoutMs: 5000,
  });
  await run.done;
  return run.log;
}

const outcomesOf = (log: RequestLog) => {
  const by: Record<string, Record<string, number>> = {};
  for (const r of log.records()) {
    by[r.op] ??= {};
    by[r.op][`${r.outcome} ${r.status}`] = (by[r.op][`${r.outcome} ${r.status}`] ?? 0) + 1;
  }
  return by;
};

const judge = async (server: Medplum, log: RequestLog, runId: string) => {
  const back = await fhirReadBack(log, { bases: { pas: server.base, booking: server.base, theatre: server.base }, identifierSystem: SYS, runPrefix: runId });
  return { back, l: ledger(log, { readBack: back.readBack, unattemptedKeys: back.unattemptedKeys, conflicts: back.conflicts, tFault: 0 }) };
};

describe('Medplum FhirRouter 4.5 (a real FHIR R4 implementation) answers the FHIR R4 requests the workload makes', () => {
  let server: Medplum;
  beforeAll(async () => {
    server = await startMedplum();
  });
  afterAll(() => server?.close());

  it('conditional create: 201, then 200 with the same resource; 412 once two resources match', async () => {
    const post = (body: unknown, headers: Record<string, string> = {}) =>
      fetch(`${server.base}/Appointment`, { method: 'POST', headers: { 'content-type': 'application/fhir+json', ...headers }, body: JSON.stringify(body) });
    const appt: Appointment = { resourceType: 'Appointment', status: 'booked', identifier: [{ system: SYS, value: 'probe-1' }], participant: [{ actor: { reference: 'Patient/x' }, status: 'accepted' }] };
    const cond = { 'if-none-exist': `identifier=${SYS}|probe-1` };
    const first = await post(appt, cond);
    const created = (await first.json()) as Appointment;
    expect(first.status).toBe(201);
    expect(first.headers.get('etag')).toBe(`W/"${created.meta?.versionId}"`);
    const second = await post(appt, cond);
    expect([second.status, ((await second.json()) as Appointment).id]).toEqual([200, created.id]);
    await post(appt); // a plain create does not look: a second resource with the identifier
    const third = await post(appt, cond);
    expect(third.status).toBe(412);
    expect(await third.json()).toMatchObject({ resourceType: 'OperationOutcome', issue: [{ severity: 'error' }] });
  });

  it('the workload runs on it for a few seconds: every request answered 2xx, everything acknowledged read back once, nothing lost', async () => {
    await seedSlots(server.repo, 300);
    const runId = `conf-${Date.now().toString(36)}`;
    const log = await runWorkload(server, runId);
    const outcomes = outcomesOf(log);
    for (const [op, counts] of Object.entries(outcomes)) {
      for (const k of Object.keys(counts)) if (!/^ok 20[01]$/.test(k)) throw new Error(`${op}: ${k} x${counts[k]} (all: ${JSON.stringify(outcomes)})`);
    }
    // Every operation of the mix happened, and the writes are the standard interactions.
    expect(Object.keys(outcomes).sort()).toEqual(['admit_encounter', 'book_appointment', 'cancel_appointment', 'create_patient', 'read_appointment', 'search_slots']);
    expect(server.seen.get('PUT Appointment')).toBeGreaterThan(0);

    const { back, l } = await judge(server, log, runId);
    expect(back.batch).toEqual({ [server.base]: true });
    expect(back.unexpectedMeasured).toBe(true);
    expect(back.unreadable).toEqual([]);
    expect(server.seen.get('POST (batch)')).toBeGreaterThan(0);
    expect(l.counts).toMatchObject({ lost: 0, duplicated: 0, unexpected: 0, unverified: 0, conflicting: 0, recovered: 0 });
    expect(l.counts.acknowledged).toBe(l.counts.attempted);
    expect(l.counts.acknowledged).toBeGreaterThan(30);
    // Every acknowledged write found exactly once, with the acknowledged version where it is the current one.
    expect(back.readBack.every((r) => r.present && r.appliedCount === 1)).toBe(true);
    expect(back.readBack.filter((r) => r.version !== undefined).length).toBeGreaterThan(l.counts.acknowledged / 2);
  });

  it('finds what was done behind the workload: a write deleted is lost, one created twice is duplicated, one changed is a lost update, one never attempted is unexpected', async () => {
    const runId = `tamper-${Date.now().toString(36)}`;
    const log = await runWorkload(server, runId, 2, 20);
    const find = async <T extends Patient | Appointment | Encounter>(type: T['resourceType'], key: string) =>
      (await server.repo.search<T>({ resourceType: type, filters: [{ code: 'identifier', operator: 'eq' as never, value: `${SYS}|${key}` }] })).entry?.map((e) => e.resource!) ?? [];
    const keysOf = (op: string) => [...new Set([...log.keys].filter(([i]) => log.opNames[log.op[i]] === op && log.outcome[i] === 0).map(([, k]) => k))];
    const [deleted] = keysOf('admit_encounter');
    const [changed] = keysOf('admit_encounter').slice(1);
    const [twice] = keysOf('create_patient');
    expect([deleted, changed, twice].every(Boolean)).toBe(true);

    const [gone] = await find<Encounter>('Encounter', deleted);
    await server.repo.deleteResource('Encounter', gone.id!);
    const [original] = await find<Patient>('Patient', twice);
    await server.repo.createResource<Patient>({ ...original, id: undefined, meta: undefined });
    const [updated] = await find<Encounter>('Encounter', changed);
    await server.repo.updateResource<Encounter>({ ...updated, status: 'finished' });
    await server.repo.createResource<Patient>({ resourceType: 'Patient', identifier: [{ system: SYS, value: `${runId}-999999` }] });

    const { back, l } = await judge(server, log, runId);
    expect(l.lost.map((e) => [e.key, e.reason]).sort()).toEqual(
      [
        [deleted, 'absent'],
        [changed, 'version-mismatch'],
      ].sort(),
    );
    expect(l.duplicated.map((e) => e.key)).toEqual([twice]);
    expect(back.readBack.find((r) => r.key === twice)).toMatchObject({ present: true, appliedCount: 2 });
    expect(l.unexpected.map((e) => [e.key, e.reason])).toEqual([[`${runId}-999999`, 'never-attempted']]);
  });

  it('without batch support the read-back searches one GET per key and judges the same', async () => {
    const plain = await startMedplum({ batch: false });
    try {
      await seedSlots(plain.repo, 100);
      const runId = `nobatch-${Date.now().toString(36)}`;
      const log = await runWorkload(plain, runId, 2, 20);
      const { back, l } = await judge(plain, log, runId);
      expect(back.batch).toEqual({ [plain.base]: false });
      expect(plain.seen.get('GET Appointment')).toBeGreaterThan(0);
      expect(l.counts).toMatchObject({ lost: 0, duplicated: 0, unexpected: 0, unverified: 0 });
      expect(l.counts.acknowledged).toBeGreaterThan(10);
    } finally {
      await plain.close();
    }
  });
});
