import { THEATRES, findSession, listSessions } from '../../services/theatre/catalogue';
import { testNhsNumber } from '../../services/common/nhs_number';
import { MemoryStorage } from '../../services/san/memory_storage';
import { SlowStorage, seqOf, startApp, type TestApp } from './helpers';

const SESSION = 'T1-20270104-am';
const P1 = testNhsNumber(1);
const hip = (minutes = 90, patient = P1) => ({ patient, procedure: 'hip replacement', minutes });

describe('session catalogue', () => {
  it('has an am and a pm list for every theatre on every calendar day', () => {
    const sessions = listSessions();
    expect(sessions).toHaveLength(THEATRES.length * 20 * 2);
    expect(sessions[0]).toEqual({ id: SESSION, theatre: 'T1', date: '2027-01-04', list: 'am', minutes: 240 });
    expect(findSession('T4-20270129-pm')).toMatchObject({ theatre: 'T4', list: 'pm' });
    for (const id of ['T5-20270104-am', 'T1-20270109-am', 'T1-20270104-eve', 'T1-20270201-am']) expect(findSession(id)).toBeUndefined();
  });
});

describe('theatre app', () => {
  let app: TestApp;
  let storage: MemoryStorage;
  beforeEach(async () => {
    storage = new MemoryStorage();
    app = await startApp('theatre', storage);
  });
  afterEach(() => app.close());

  it('lists sessions by theatre and date', async () => {
    const res = await app.get('/Session?theatre=T1&date=2027-01-04');
    expect(res.body.entry.map((e: { resource: { id: string; remainingMinutes: number } }) => [e.resource.id, e.resource.remainingMinutes])).toEqual([
      [SESSION, 240],
      ['T1-20270104-pm', 240],
    ]);
    expect((await app.get('/Session?date=2027-01-05')).body.total).toBe(8);
    expect((await app.get('/Session?date=5 Jan')).status).toBe(400);
  });

  it('schedules a case, and shows it in its session with the booked minutes', async () => {
    const res = await app.post(`/Session/${SESSION}/Case`, hip(90), 'case-1');
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      resourceType: 'Case',
      meta: { versionId: '1' },
      status: 'scheduled',
      session: { reference: `Session/${SESSION}` },
      patient: { reference: `Patient/${P1}` },
      procedure: 'hip replacement',
      minutes: 90,
    });
    const session = await app.get(`/Session/${SESSION}`);
    expect(session.body).toMatchObject({ id: SESSION, minutes: 240, bookedMinutes: 90, remainingMinutes: 150, meta: { versionId: '1' } });
    expect(session.body.cases.map((c: { id: string }) => c.id)).toEqual([res.body.id]);
    expect((await storage.get('Session', SESSION))?.doc).toMatchObject({ bookedMinutes: 90, idempotencyKey: 'case-1' });
    expect((await app.get(`/Case/${res.body.id}`)).body).toEqual(res.body);
  });

  it('never books a session beyond its minutes, saying how many remain', async () => {
    for (const m of [120, 90]) expect((await app.post(`/Session/${SESSION}/Case`, hip(m))).status).toBe(201);
    const over = await app.post(`/Session/${SESSION}/Case`, hip(31));
    expect(over.status).toBe(409);
    expect(over.body.issue[0]).toMatchObject({ code: 'conflict', diagnostics: expect.stringMatching(/only 30 of its 240 minutes remain/) });
    expect((await app.post(`/Session/${SESSION}/Case`, hip(30))).status).toBe(201);
    expect((await app.get(`/Session/${SESSION}`)).body).toMatchObject({ bookedMinutes: 240, remainingMinutes: 0 });
  });

  it('moves a case through its statuses; cancelling gives its minutes back in the same commit', async () => {
    const a = (await app.post(`/Session/${SESSION}/Case`, hip(100))).body.id as string;
    const b = (await app.post(`/Session/${SESSION}/Case`, hip(60))).body.id as string;
    expect((await app.post(`/Case/${a}/$status`, { status: 'in-theatre' })).body).toMatchObject({ status: 'in-theatre', meta: { versionId: '2' } });
    expect((await app.post(`/Case/${a}/$status`, { status: 'completed' })).status).toBe(200);
    const reopen = await app.post(`/Case/${a}/$status`, { status: 'scheduled' });
    expect(reopen.status).toBe(409);
    expect(reopen.body.issue[0].diagnostics).toMatch(/cannot go from completed to scheduled: completed is final/);

    const seq = await seqOf(storage);
    const cancel = await app.post(`/Case/${b}/$status`, { status: 'cancelled' }, 'cancel-b');
    expect(cancel.status).toBe(200);
    expect(await seqOf(storage)).toBe(seq + 1);
    expect((await app.get(`/Session/${SESSION}`)).body).toMatchObject({ bookedMinutes: 100, remainingMinutes: 140 });
    expect((await app.post(`/Case/${b}/$status`, { status: 'cancelled' }, 'cancel-b')).headers.get('idempotent-replayed')).toBe('true');
    expect((await app.get(`/Session/${SESSION}`)).body.bookedMinutes).toBe(100);
    expect((await app.post(`/Case/${b}/$status`, { status: 'done' })).status).toBe(400);
    expect((await app.post('/Case/unknown/$status', { status: 'cancelled' })).status).toBe(404);
  });

  it('creates custom sessions, once each', async () => {
    const res = await app.post('/Session', { theatre: 'T9', date: '2027-02-06', list: 'pm' }, 'sess-1');
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ resourceType: 'Session', id: 'T9-20270206-pm', minutes: 240, bookedMinutes: 0, custom: true, meta: { versionId: '1' } });
    expect((await app.post('/Session', { theatre: 'T9', date: '2027-02-06', list: 'pm', minutes: 60 })).status).toBe(409);
    expect((await app.post('/Session', { theatre: 'T1', date: '2027-01-04', list: 'am' })).status).toBe(409);
    expect((await app.post('/Session', { theatre: 'T-9', date: '2027-02-06', list: 'pm' })).body.issue[0].expression).toEqual(['theatre']);
    expect((await app.post('/Session/T9-20270206-pm/Case', hip(241))).status).toBe(409);
    expect((await app.post('/Session/T9-20270206-pm/Case', hip(240))).status).toBe(201);
    expect((await app.get('/Session?theatre=T9')).body.entry[0].resource).toMatchObject({ id: 'T9-20270206-pm', remainingMinutes: 0 });
  });

  it('404s unknown sessions and 422s invalid NHS numbers', async () => {
    expect((await app.get('/Session/T5-20270104-am')).status).toBe(404);
    expect((await app.post('/Session/T5-20270104-am/Case', hip())).status).toBe(404);
    const bad = await app.post(`/Session/${SESSION}/Case`, hip(60, '9990000000'));
    expect(bad.status).toBe(422);
    expect(bad.body.issue[0].diagnostics).toMatch(/patient: .*check digit of 10/);
    expect(await seqOf(storage)).toBe(0);
  });
});

describe('theatre under concurrency', () => {
  it('never overbooks a session when 20 cases race for it', async () => {
    const storage = new SlowStorage();
    const app = await startApp('theatre', storage);
    try {
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => app.post(`/Session/${SESSION}/Case`, hip(50, testNhsNumber(i)), `race-${i}`)),
      );
      const won = results.filter((r) => r.status === 201);
      expect(results.filter((r) => r.status !== 201 && r.status !== 409)).toEqual([]);
      expect(won.length).toBeGreaterThanOrEqual(1);
      expect(won.length * 50).toBeLessThanOrEqual(240);
      expect(storage.conflicts).toBeGreaterThan(0);
      const stored = await storage.list<{ minutes: number; status: string }>('Case');
      expect(stored.map((c) => c.id).sort()).toEqual(won.map((r) => r.body.id).sort());
      expect((await storage.get<{ bookedMinutes: number }>('Session', SESSION))?.doc.bookedMinutes).toBe(won.length * 50);

      // What is left is still bookable, to the minute and no further.
      const remaining = 240 - won.length * 50;
      if (remaining > 0) expect((await app.post(`/Session/${SESSION}/Case`, hip(remaining))).status).toBe(201);
      expect((await app.post(`/Session/${SESSION}/Case`, hip(1))).status).toBe(409);
    } finally {
      await app.close();
    }
  });
});
