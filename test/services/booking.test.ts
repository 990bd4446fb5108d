import { CLINICS, SLOT_TIMES, findSlot, isSlotId, listSlots } from '../../services/booking/catalogue';
import { testNhsNumber } from '../../services/common/nhs_number';
import { MemoryStorage } from '../../services/san/memory_storage';
import { SlowStorage, seqOf, startApp, type TestApp } from './helpers';

const SLOT = 'cardiology-20270104-0900';
const P1 = testNhsNumber(1);
const P2 = testNhsNumber(2);

describe('slot catalogue', () => {
  it('has every clinic, 20 weekdays from 2027-01-04, slots every 15 minutes 09:00-17:00', () => {
    const slots = listSlots();
    expect(SLOT_TIMES).toHaveLength(32);
    expect(SLOT_TIMES[0]).toBe('0900');
    expect(SLOT_TIMES[31]).toBe('1645');
    expect(slots).toHaveLength(CLINICS.length * 20 * 32);
    expect(new Set(slots.map((s) => s.id)).size).toBe(slots.length);
    expect(slots[0]).toEqual({ id: SLOT, clinic: 'cardiology', date: '2027-01-04', start: '2027-01-04T09:00:00Z', end: '2027-01-04T09:15:00Z' });
    const dates = [...new Set(slots.map((s) => s.date))];
    expect(dates).toHaveLength(20);
    expect(dates.at(-1)).toBe('2027-01-29');
    expect(dates.map((d) => new Date(d).getUTCDay()).filter((day) => day === 0 || day === 6)).toEqual([]);
  });

  it('recognises its slot ids and nothing else', () => {
    expect(isSlotId(SLOT)).toBe(true);
    expect(isSlotId('respiratory-20270129-1645')).toBe(true);
    for (const id of ['cardiology-20270109-0900', 'cardiology-20270104-1700', 'cardiology-20270104-0910', 'cardiology-20270201-0900', 'podiatry-20270104-0900', 'cardiology-2027-01-04-0900', '']) {
      expect(isSlotId(id)).toBe(false);
    }
    expect(findSlot('dermatology-20270105-1330')).toMatchObject({ clinic: 'dermatology', date: '2027-01-05', start: '2027-01-05T13:30:00Z', end: '2027-01-05T13:45:00Z' });
  });

  it('takes a start, a number of days and clinics', () => {
    // 2027-03-06 is a Saturday: the calendar starts on Monday the 8th.
    const slots = listSlots({ start: '2027-03-06', days: 2, clinics: ['ear-nose-throat'] });
    expect(slots).toHaveLength(64);
    expect(slots[0].id).toBe('ear-nose-throat-20270308-0900');
    expect(isSlotId('ear-nose-throat-20270309-1645', { start: '2027-03-06', days: 2, clinics: ['ear-nose-throat'] })).toBe(true);
    expect(listSlots({ clinic: 'cardiology', date: '2027-01-05' })).toHaveLength(32);
    expect(() => listSlots({ start: '2027-02-30' })).toThrow(RangeError);
  });
});

describe('booking app', () => {
  let app: TestApp;
  let storage: MemoryStorage;
  beforeEach(async () => {
    storage = new MemoryStorage();
    app = await startApp('booking', storage);
  });
  afterEach(() => app.close());

  it('lists clinics and slots, merging the catalogue with what is booked', async () => {
    const schedules = await app.get('/Schedule');
    expect(schedules.body.entry.map((e: { resource: { id: string } }) => e.resource.id)).toEqual([...CLINICS]);
    const day = await app.get('/Slot?clinic=cardiology&date=2027-01-04');
    expect(day.body.total).toBe(32);
    expect(day.body.entry[0].resource).toEqual({
      resourceType: 'Slot',
      id: SLOT,
      schedule: { reference: 'Schedule/cardiology' },
      status: 'free',
      start: '2027-01-04T09:00:00Z',
      end: '2027-01-04T09:15:00Z',
    });
    await app.post('/Appointment', { slot: SLOT, patient: P1 });
    const busy = await app.get('/Slot?clinic=cardiology&date=2027-01-04&status=busy');
    expect(busy.body.entry.map((e: { resource: { id: string; status: string } }) => [e.resource.id, e.resource.status])).toEqual([[SLOT, 'busy']]);
    expect((await app.get('/Slot?clinic=cardiology&date=2027-01-04&status=free')).body.total).toBe(31);
    expect((await app.get(`/Slot/${SLOT}`)).body).toMatchObject({ status: 'busy', meta: { versionId: '1' } });
    expect((await app.get('/Slot?status=maybe')).status).toBe(400);
  });

  it('books a slot as a FHIR Appointment', async () => {
    const res = await app.post('/Appointment', { slot: SLOT, patient: P1 }, 'book-1');
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      resourceType: 'Appointment',
      meta: { versionId: '1' },
      status: 'booked',
      slot: [{ reference: `Slot/${SLOT}` }],
      participant: [{ actor: { reference: `Patient/${P1}` } }],
      start: '2027-01-04T09:00:00Z',
      end: '2027-01-04T09:15:00Z',
    });
    expect(res.headers.get('etag')).toBe('W/"1"');
    const id = res.body.id as string;
    expect((await storage.get('Slot', SLOT))?.doc).toMatchObject({ status: 'busy', appointment: id, idempotencyKey: 'book-1' });
    expect((await storage.get('Appointment', id))?.doc).toMatchObject({ idempotencyKey: 'book-1' });
    expect((await app.get(`/Appointment/${id}`)).body).toEqual(res.body);
    expect((await app.get(`/Appointment?patient=${P1}`)).body.total).toBe(1);
    expect((await app.get(`/Appointment?patient=${P2}`)).body.total).toBe(0);
    expect((await app.get('/Appointment/unknown')).status).toBe(404);
  });

  it('refuses slots outside the catalogue and invalid NHS numbers with 422', async () => {
    const noSlot = await app.post('/Appointment', { slot: 'cardiology-20270109-0900', patient: P1 });
    expect(noSlot.status).toBe(422);
    expect(noSlot.body.issue[0].diagnostics).toMatch(/not a slot of the catalogue/);
    const badNhs = await app.post('/Appointment', { slot: SLOT, patient: '9434765918' });
    expect(badNhs.status).toBe(422);
    expect(badNhs.body.issue[0].diagnostics).toMatch(/patient: .*check digit/);
    expect((await app.post('/Appointment', { slot: SLOT })).status).toBe(400);
    expect(await seqOf(storage)).toBe(0);
  });

  it('never books one slot twice, and replays a retry of the booking instead of refusing it', async () => {
    const first = await app.post('/Appointment', { slot: SLOT, patient: P1 }, 'book-a');
    const second = await app.post('/Appointment', { slot: SLOT, patient: P2 }, 'book-b');
    expect(second.status).toBe(409);
    expect(second.body.issue[0]).toMatchObject({ code: 'conflict', diagnostics: `Slot/${SLOT} is already booked (Appointment/${first.body.id})` });

    const seq = await seqOf(storage);
    const retry = await app.post('/Appointment', { slot: SLOT, patient: P1 }, 'book-a');
    expect(retry.status).toBe(201);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(retry.body).toEqual(first.body);
    expect(retry.headers.get('etag')).toBe(first.headers.get('etag'));
    expect(await seqOf(storage)).toBe(seq);
    expect(await storage.list('Appointment')).toHaveLength(1);
  });

  it('cancels: the appointment is cancelled and the slot free again, in one commit', async () => {
    const booked = await app.post('/Appointment', { slot: SLOT, patient: P1 });
    const id = booked.body.id as string;
    const seq = await seqOf(storage);
    const cancel = await app.post(`/Appointment/${id}/$cancel`, { reason: 'patient unwell' }, 'cancel-1');
    expect(cancel.status).toBe(200);
    expect(cancel.body).toMatchObject({ id, status: 'cancelled', meta: { versionId: '2' }, cancelationReason: { text: 'patient unwell' } });
    expect(await seqOf(storage)).toBe(seq + 1);
    expect((await storage.get('Slot', SLOT))?.doc).toMatchObject({ status: 'free', appointment: null, idempotencyKey: 'cancel-1' });
    expect((await app.post(`/Appointment/${id}/$cancel`)).status).toBe(409);
    expect((await app.post('/Appointment/unknown/$cancel')).status).toBe(404);

    const rebooked = await app.post('/Appointment', { slot: SLOT, patient: P2 });
    expect(rebooked.status).toBe(201);
    expect((await storage.get('Slot', SLOT))?.version).toBe(3);
  });
});

describe('booking under concurrency', () => {
  it('gives 20 concurrent bookings of one slot, with different keys, exactly one 201', async () => {
    const storage = new SlowStorage();
    const app = await startApp('booking', storage);
    try {
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => app.post('/Appointment', { slot: SLOT, patient: testNhsNumber(i) }, `race-${i}`)),
      );
      const won = results.filter((r) => r.status === 201);
      expect(won).toHaveLength(1);
      expect(results.filter((r) => r.status === 409)).toHaveLength(19);
      expect(storage.conflicts).toBeGreaterThan(0); // the requests overlapped: compare-and-set kept them apart
      const appointments = await storage.list('Appointment');
      expect(appointments.map((a) => a.id)).toEqual([won[0].body.id]);
      expect((await storage.get('Slot', SLOT))?.doc).toMatchObject({ status: 'busy', appointment: won[0].body.id });
    } finally {
      await app.close();
    }
  });

  it('applies one key once when its retries race', async () => {
    const storage = new SlowStorage();
    const app = await startApp('booking', storage);
    try {
      const results = await Promise.all(Array.from({ length: 5 }, () => app.post('/Appointment', { slot: SLOT, patient: P1 }, 'same-key')));
      expect(results.map((r) => r.status)).toEqual([201, 201, 201, 201, 201]);
      expect(new Set(results.map((r) => r.body.id)).size).toBe(1);
      expect(results.filter((r) => r.headers.get('idempotent-replayed') === 'true')).toHaveLength(4);
      expect(await storage.list('Appointment')).toHaveLength(1);
      expect(await seqOf(storage)).toBe(1);
    } finally {
      await app.close();
    }
  });
});
