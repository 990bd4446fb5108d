import { testNhsNumber } from '../../services/common/nhs_number';
import { MemoryStorage } from '../../services/san/memory_storage';
import { SlowStorage, seqOf, startApp, type TestApp } from './helpers';

const NHS = testNhsNumber(0);
const patient = (nhsNumber = NHS) => ({ nhsNumber, name: { family: 'Jones', given: ['Ann', 'Mary'] }, birthDate: '1960-03-01', gender: 'female' });

describe('PAS', () => {
  let app: TestApp;
  let storage: MemoryStorage;
  beforeEach(async () => {
    storage = new MemoryStorage();
    app = await startApp('pas', storage);
  });
  afterEach(() => app.close());

  it('registers a patient as a FHIR Patient keyed by NHS number', async () => {
    const res = await app.post('/Patient', patient(), 'reg-1');
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      resourceType: 'Patient',
      id: NHS,
      meta: { versionId: '1', tag: [{ system: 'urn:blackstart:idempotency-key', code: 'reg-1' }] },
      identifier: [{ system: 'https://fhir.nhs.uk/Id/nhs-number', value: NHS }],
      name: [{ family: 'Jones', given: ['Ann', 'Mary'] }],
      birthDate: '1960-03-01',
      gender: 'female',
    });
    expect(res.headers.get('etag')).toBe('W/"1"');
    expect(res.headers.get('x-blackstart-seq')).toBe('1');
    expect(res.headers.get('location')).toBe(`/Patient/${NHS}`);
    expect((await storage.get('Patient', NHS))?.doc).toMatchObject({ nhsNumber: NHS, idempotencyKey: 'reg-1' });

    const read = await app.get(`/Patient/${NHS}`);
    expect(read.status).toBe(200);
    expect(read.body).toEqual(res.body);
    expect(read.headers.get('etag')).toBe('W/"1"');

    for (const q of [NHS, `https://fhir.nhs.uk/Id/nhs-number|${NHS}`]) {
      const search = await app.get(`/Patient?identifier=${encodeURIComponent(q)}`);
      expect(search.body).toMatchObject({ resourceType: 'Bundle', type: 'searchset', total: 1, entry: [{ resource: { id: NHS } }] });
    }
    expect((await app.get(`/Patient?identifier=${testNhsNumber(1)}`)).body.total).toBe(0);
    expect((await app.get(`/Patient/${testNhsNumber(1)}`)).status).toBe(404);
  });

  it('refuses an invalid NHS number with 422, saying what is wrong', async () => {
    const wrongCheck = await app.post('/Patient', patient('9434765918'));
    expect(wrongCheck.status).toBe(422);
    expect(wrongCheck.body.issue[0]).toMatchObject({ code: 'invalid', diagnostics: expect.stringMatching(/nhsNumber: .*check digit is 8 but should be 9/) });
    const neverIssued = await app.post('/Patient', patient('9990000000'));
    expect(neverIssued.status).toBe(422);
    expect(neverIssued.body.issue[0].diagnostics).toMatch(/check digit of 10/);
    const format = await app.post('/Patient', patient('999-000-0018'));
    expect(format.status).toBe(422);
    expect(format.body.issue[0].diagnostics).toMatch(/format/);
    expect(await seqOf(storage)).toBe(0);
  });

  it('refuses a badly formed registration with 400 naming the field', async () => {
    const res = await app.post('/Patient', { ...patient(), birthDate: '1960-02-30' });
    expect(res.status).toBe(400);
    expect(res.body.issue[0].expression).toEqual(['birthDate']);
    const noNumber = await app.post('/Patient', { ...patient(), nhsNumber: 9990000018 });
    expect(noNumber.status).toBe(400);
    expect(noNumber.body.issue[0].expression).toEqual(['nhsNumber']);
  });

  it('refuses a second registration of one NHS number with 409, but replays a retry', async () => {
    const first = await app.post('/Patient', patient(), 'reg-a');
    const retry = await app.post('/Patient', patient(), 'reg-a');
    expect(retry.status).toBe(201);
    expect(retry.body).toEqual(first.body);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(retry.headers.get('x-blackstart-seq')).toBe(first.headers.get('x-blackstart-seq'));
    expect(first.headers.get('idempotent-replayed')).toBeNull();

    const again = await app.post('/Patient', patient(), 'reg-b');
    expect(again.status).toBe(409);
    expect(again.body.issue[0]).toMatchObject({ code: 'conflict', diagnostics: expect.stringMatching(/already registered/) });
    const unkeyed = await app.post('/Patient', patient());
    expect(unkeyed.status).toBe(409);
    expect(await seqOf(storage)).toBe(1);
  });

  it('admits and discharges, one encounter in progress per patient', async () => {
    await app.post('/Patient', patient());
    const admit = await app.post('/Encounter', { patient: NHS, class: 'inpatient', reason: 'chest pain' }, 'adm-1');
    expect(admit.status).toBe(201);
    expect(admit.body).toMatchObject({
      resourceType: 'Encounter',
      meta: { versionId: '1' },
      status: 'in-progress',
      class: { code: 'IMP' },
      subject: { reference: `Patient/${NHS}` },
      reasonCode: [{ text: 'chest pain' }],
    });
    const id = admit.body.id as string;

    const twice = await app.post('/Encounter', { patient: NHS, class: 'emergency' }, 'adm-2');
    expect(twice.status).toBe(409);
    expect(twice.body.issue[0].diagnostics).toMatch(new RegExp(`already admitted \\(Encounter/${id}`));

    const discharge = await app.post(`/Encounter/${id}/$discharge`, undefined, 'dis-1');
    expect(discharge.status).toBe(200);
    expect(discharge.body).toMatchObject({ id, status: 'finished', meta: { versionId: '2' }, period: { end: expect.any(String) } });
    expect(discharge.headers.get('etag')).toBe('W/"2"');
    expect((await app.post(`/Encounter/${id}/$discharge`, undefined, 'dis-1')).headers.get('idempotent-replayed')).toBe('true');
    expect((await app.post(`/Encounter/${id}/$discharge`, undefined, 'dis-2')).status).toBe(409);
    expect((await app.get(`/Encounter/${id}`)).body.status).toBe('finished');

    const readmit = await app.post('/Encounter', { patient: NHS, class: 'day-case' });
    expect(readmit.status).toBe(201);
    expect((await app.get(`/Encounter?patient=${NHS}`)).body.total).toBe(2);
  });

  it('admits only registered patients with valid NHS numbers (422), and 404s unknown encounters', async () => {
    const unregistered = await app.post('/Encounter', { patient: NHS, class: 'inpatient' });
    expect(unregistered.status).toBe(422);
    expect(unregistered.body.issue[0].diagnostics).toMatch(/not registered/);
    expect((await app.post('/Encounter', { patient: '9434765918', class: 'inpatient' })).status).toBe(422);
    expect((await app.post('/Encounter', { patient: NHS, class: 'outpatient' })).status).toBe(400);
    expect((await app.get('/Encounter/nope')).status).toBe(404);
    expect((await app.post('/Encounter/nope/$discharge')).status).toBe(404);
  });
});

describe('PAS under concurrency', () => {
  it('admits a patient once when 10 admissions race', async () => {
    const storage = new SlowStorage();
    const app = await startApp('pas', storage);
    try {
      await app.post('/Patient', patient());
      const results = await Promise.all(
        Array.from({ length: 10 }, (_, i) => app.post('/Encounter', { patient: NHS, class: 'emergency' }, `race-${i}`)),
      );
      expect(results.filter((r) => r.status === 201)).toHaveLength(1);
      expect(results.filter((r) => r.status === 409)).toHaveLength(9);
      expect(storage.conflicts).toBeGreaterThan(0);
      expect(await storage.list('Encounter')).toHaveLength(1);
    } finally {
      await app.close();
    }
  });
});
