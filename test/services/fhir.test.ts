import { NHS_NUMBER_SYSTEM } from '../../services/common/fhir';
import { testNhsNumber } from '../../services/common/nhs_number';
import { MemoryStorage } from '../../services/san/memory_storage';
import { JitterStorage, SlowStorage, startApp, type TestApp } from './helpers';

/** The standard FHIR R4 subset the mock apps serve (services/README.md, "FHIR R4"), beside their own routes. */

const SYS = 'urn:blackstart:write-key';
const SLOT = 'cardiology-20270104-0900';
const NHS = testNhsNumber(7);

async function call(app: TestApp, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(app.url + path, {
    method,
    headers: { ...(body !== undefined ? { 'content-type': 'application/fhir+json' } : {}), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  expect(res.headers.get('x-blackstart-site')).toBe('dc1');
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
}

const patient = (key: string, nhs = NHS) => ({
  resourceType: 'Patient',
  identifier: [
    { system: NHS_NUMBER_SYSTEM, value: nhs },
    { system: SYS, value: key },
  ],
  name: [{ family: 'Patel', given: ['Isla'] }],
  birthDate: '1970-01-12',
  gender: 'female',
});

const appointment = (key: string, slot = SLOT, nhs = NHS) => ({
  resourceType: 'Appointment',
  identifier: [{ system: SYS, value: key }],
  status: 'booked',
  slot: [{ reference: `Slot/${slot}` }],
  participant: [{ actor: { reference: `Patient/${nhs}` }, status: 'accepted' }],
});

const cond = (key: string) => ({ 'if-none-exist': `identifier=${SYS}|${key}` });
const search = (app: TestApp, type: string, token: string) => call(app, 'GET', `/${type}?identifier=${encodeURIComponent(token)}`);

describe('PAS: FHIR Patient and Encounter', () => {
  let app: TestApp;
  beforeEach(async () => (app = await startApp('pas')));
  afterEach(() => app.close());

  it('creates a Patient from the standard resource, conditionally, and finds it by either identifier', async () => {
    const created = await call(app, 'POST', '/Patient', patient('p-1'), cond('p-1'));
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ resourceType: 'Patient', id: NHS, meta: { versionId: '1' }, identifier: [{ system: NHS_NUMBER_SYSTEM, value: NHS }, { system: SYS, value: 'p-1' }] });
    expect([created.headers.get('etag'), created.headers.get('location')]).toEqual(['W/"1"', `/Patient/${NHS}`]);

    // The same conditional create again (no Idempotency-Key): the one match, 200, nothing written.
    const again = await call(app, 'POST', '/Patient', patient('p-1'), cond('p-1'));
    expect([again.status, again.body.id, again.body.meta.versionId]).toEqual([200, NHS, '1']);

    for (const token of [`${SYS}|p-1`, `${NHS_NUMBER_SYSTEM}|${NHS}`, `${SYS}|`]) {
      const found = await search(app, 'Patient', token);
      expect(found.body).toMatchObject({ resourceType: 'Bundle', type: 'searchset', total: 1, entry: [{ resource: { id: NHS } }] });
    }
    expect((await search(app, 'Patient', `${SYS}|p-2`)).body.total).toBe(0);
  });

  it('admits by a FHIR Encounter, conditionally, and keeps the PAS rules (a registered patient, admitted once)', async () => {
    await call(app, 'POST', '/Patient', patient('p-1'), cond('p-1'));
    const encounter = (key: string, nhs = NHS) => ({
      resourceType: 'Encounter',
      identifier: [{ system: SYS, value: key }],
      status: 'in-progress',
      class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'IMP' },
      subject: { reference: `Patient/${nhs}` },
    });
    const admitted = await call(app, 'POST', '/Encounter', encounter('e-1'), cond('e-1'));
    expect(admitted.status).toBe(201);
    expect(admitted.body).toMatchObject({ resourceType: 'Encounter', status: 'in-progress', class: { code: 'IMP' }, subject: { reference: `Patient/${NHS}` }, identifier: [{ system: SYS, value: 'e-1' }] });
    expect((await call(app, 'POST', '/Encounter', encounter('e-1'), cond('e-1'))).status).toBe(200);
    expect((await call(app, 'POST', '/Encounter', encounter('e-2'), cond('e-2'))).status).toBe(409);
    expect((await call(app, 'POST', '/Encounter', encounter('e-3', testNhsNumber(8)), cond('e-3'))).status).toBe(422);
    expect((await search(app, 'Encounter', `${SYS}|e-1`)).body.entry[0].resource.id).toBe(admitted.body.id);
  });

  it('refuses what it does not support with an OperationOutcome', async () => {
    const bad = await call(app, 'POST', '/Patient', { resourceType: 'Patient', identifier: [{ system: SYS, value: 'x' }], name: [{ family: 'A' }], birthDate: '1970-01-01', gender: 'male' });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'invalid' }] });
    const other = await call(app, 'POST', '/Patient', patient('p-9'), { 'if-none-exist': 'name=Patel' });
    expect([other.status, other.body.issue[0].code]).toEqual([400, 'not-supported']);
  });
});

describe('booking: FHIR Slot, Appointment, update, batch', () => {
  let app: TestApp;
  beforeEach(async () => (app = await startApp('booking')));
  afterEach(() => app.close());

  it('searches free slots as a page of a searchset', async () => {
    const page = await call(app, 'GET', '/Slot?status=free&_count=5');
    expect(page.body).toMatchObject({ resourceType: 'Bundle', type: 'searchset', total: 3200 });
    expect(page.body.entry).toHaveLength(5);
    expect(page.body.entry[0].resource).toMatchObject({ resourceType: 'Slot', id: SLOT, status: 'free', schedule: { reference: 'Schedule/cardiology' } });
    expect((await call(app, 'GET', '/Slot?status=free&schedule=Schedule/dermatology&_count=1')).body.entry[0].resource.id).toMatch(/^dermatology-/);
  });

  it('books a slot by conditional create, once: the slot rule holds for FHIR bookings (409)', async () => {
    const booked = await call(app, 'POST', '/Appointment', appointment('a-1'), cond('a-1'));
    expect(booked.status).toBe(201);
    expect(booked.body).toMatchObject({ resourceType: 'Appointment', status: 'booked', slot: [{ reference: `Slot/${SLOT}` }], identifier: [{ system: SYS, value: 'a-1' }], meta: { versionId: '1' } });
    const again = await call(app, 'POST', '/Appointment', appointment('a-1'), cond('a-1'));
    expect([again.status, again.body.id]).toEqual([200, booked.body.id]);
    const taken = await call(app, 'POST', '/Appointment', appointment('a-2'), cond('a-2'));
    expect([taken.status, taken.body.issue[0].code]).toEqual([409, 'conflict']);
    expect((await call(app, 'GET', `/Slot/${SLOT}`)).body.status).toBe('busy');
    // The clinical route and the FHIR one see the same bookings.
    expect((await call(app, 'GET', `/Appointment?slot=Slot/${SLOT}&status=booked`)).body.total).toBe(1);
  });

  it('found twice after two plain creates; a conditional create then answers 412', async () => {
    await call(app, 'POST', '/Appointment', appointment('d-1', 'cardiology-20270104-0915'));
    await call(app, 'POST', '/Appointment', appointment('d-1', 'cardiology-20270104-0930'));
    expect((await search(app, 'Appointment', `${SYS}|d-1`)).body.total).toBe(2);
    const refused = await call(app, 'POST', '/Appointment', appointment('d-1', 'cardiology-20270104-0945'), cond('d-1'));
    expect([refused.status, refused.body.issue[0].code]).toEqual([412, 'multiple-matches']);
  });

  it('cancels by a FHIR update with If-Match: the slot is free again, the cancel key is an identifier, a stale version is 412', async () => {
    const booked = (await call(app, 'POST', '/Appointment', appointment('a-1'), cond('a-1'))).body;
    const { meta: _meta, ...resource } = booked;
    const cancel = { ...resource, status: 'cancelled', identifier: [...resource.identifier, { system: SYS, value: 'c-1' }] };
    const res = await call(app, 'PUT', `/Appointment/${booked.id}`, cancel, { 'if-match': 'W/"1"', 'idempotency-key': 'c-1' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'cancelled', meta: { versionId: '2' } });
    expect(res.headers.get('etag')).toBe('W/"2"');
    expect((await call(app, 'GET', `/Slot/${SLOT}`)).body.status).toBe('free');
    // A retry with the same key is the first answer; a stale If-Match without it is refused.
    expect((await call(app, 'PUT', `/Appointment/${booked.id}`, cancel, { 'if-match': 'W/"1"', 'idempotency-key': 'c-1' })).body.meta.versionId).toBe('2');
    expect((await call(app, 'PUT', `/Appointment/${booked.id}`, cancel, { 'if-match': 'W/"1"' })).status).toBe(412);
    for (const key of ['a-1', 'c-1']) expect((await search(app, 'Appointment', `${SYS}|${key}`)).body.entry[0].resource).toMatchObject({ id: booked.id, meta: { versionId: '2' } });
    // Only cancellation is supported; identifiers cannot be dropped.
    expect((await call(app, 'PUT', `/Appointment/${booked.id}`, { ...cancel, status: 'booked' })).status).toBe(422);
    expect((await call(app, 'PUT', `/Appointment/${booked.id}`, { ...cancel, identifier: [] })).status).toBe(422);
    expect((await call(app, 'PUT', '/Appointment/nope', { ...cancel, id: 'nope' })).status).toBe(404);
  });

  it('answers a batch Bundle of searches, entry by entry', async () => {
    const booked = (await call(app, 'POST', '/Appointment', appointment('a-1'), cond('a-1'))).body;
    const res = await call(app, 'POST', '', {
      resourceType: 'Bundle',
      type: 'batch',
      entry: [
        { request: { method: 'GET', url: `Appointment?identifier=${encodeURIComponent(`${SYS}|a-1`)}` } },
        { request: { method: 'GET', url: `Appointment?identifier=${SYS}|a-404` } },
        { request: { method: 'GET', url: `Appointment/${booked.id}` } },
        { request: { method: 'GET', url: 'Appointment/none' } },
        { request: { method: 'POST', url: 'Appointment' } },
      ],
    });
    expect(res.status).toBe(200);
    expect(res.body.type).toBe('batch-response');
    expect(res.body.entry.map((e: { response: { status: string } }) => e.response.status)).toEqual(['200', '200', '200', '404', '405']);
    expect(res.body.entry[0].resource).toMatchObject({ type: 'searchset', total: 1 });
    expect(res.body.entry[1].resource.total).toBe(0);
    expect(res.body.entry[3].response.outcome.resourceType).toBe('OperationOutcome');
    expect((await call(app, 'POST', '', { resourceType: 'Bundle', type: 'transaction', entry: [] })).status).toBe(400);
  });

  it('concurrent conditional creates with one identifier make one Appointment', async () => {
    const slow = await startApp('booking', new SlowStorage(5));
    try {
      const answers = await Promise.all(
        ['cardiology-20270105-0900', 'cardiology-20270105-0915', 'cardiology-20270105-0930'].map((slot) => call(slow, 'POST', '/Appointment', appointment('race', slot), cond('race'))),
      );
      expect(answers.map((a) => a.status).sort()).toEqual([200, 200, 201]);
      expect(new Set(answers.map((a) => a.body.id)).size).toBe(1);
      expect((await search(slow, 'Appointment', `${SYS}|race`)).body.total).toBe(1);
    } finally {
      await slow.close();
    }
  });

  it('conditional creates racing on one identifier, whatever the interleaving, make one resource each time', async () => {
    // Each storage call takes 0-9 ms (seeded), so a create's condition check and its index write
    // (a few reads apart) straddle another create's commit in some rounds: the stale check must
    // then be planned again, never taken as the base of a second create (services/common/identifiers.ts).
    let x = 12345;
    const jitter = new JitterStorage(() => (x = (x * 1103515245 + 12345) % 2 ** 31) % 10);
    const app = await startApp('pas', jitter);
    try {
      for (let round = 0; round < 12; round++) {
        const key = `race-${round}`;
        const answers = await Promise.all([0, 1, 2].map((k) => call(app, 'POST', '/Patient', patient(key, testNhsNumber(1000 + round * 3 + k)), cond(key))));
        expect([round, answers.map((a) => a.status).sort()]).toEqual([round, [200, 200, 201]]);
        expect(new Set(answers.map((a) => a.body.id)).size).toBe(1);
      }
    } finally {
      await app.close();
    }
  });

  it('keeps the data in the SAN: the identifier index is written in the booking commit', async () => {
    const storage = new MemoryStorage();
    const a = await startApp('booking', storage);
    try {
      await call(a, 'POST', '/Appointment', appointment('k-1'), { ...cond('k-1'), 'idempotency-key': 'k-1' });
      expect((await storage.get('Identifier', `Appointment|${SYS}|k-1`))?.doc).toMatchObject({ ids: [expect.any(String)], idempotencyKey: 'k-1' });
      expect(await storage.lookupIdempotencyKey('k-1')).toMatchObject({ versions: [1, 1, 1] });
    } finally {
      await a.close();
    }
  });
});
