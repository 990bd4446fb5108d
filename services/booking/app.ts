import { randomUUID } from 'node:crypto';
import type { Storage } from '../san/storage';
import { weekdays } from '../common/calendar';
import { etag, requireNhsNumber, searchset } from '../common/fhir';
import type { Router } from '../common/http';
import { conflict, notFound, unprocessable } from '../common/outcome';
import { listRecords, readRecord } from '../common/records';
import { writeRoutes } from '../common/write';
import { CLINICS, findSlot, listSlots, type CatalogueOptions } from './catalogue';
import { appointmentResource, scheduleResource, slotResource } from './resources';
import { appointmentDoc, appointmentInput, appointmentQuery, cancelInput, slotDoc, slotQuery } from './schemas';

export const BOOKING_TABLES = { slot: 'Slot', appointment: 'Appointment' } as const;
const T = BOOKING_TABLES;

/**
 * Outpatient booking. A slot is booked by one commit that compare-and-sets the slot record (busy,
 * holding the appointment) and creates the appointment, so one slot can never hold two bookings.
 */
export function registerBookingRoutes(router: Router, storage: Storage, catalogue: CatalogueOptions = {}): void {
  const write = writeRoutes(router, storage);
  const storedSlot = (id: string) => readRecord(storage, T.slot, slotDoc, id);
  const appointment = (id: string) => readRecord(storage, T.appointment, appointmentDoc, id);

  router.get('/Schedule', {}, async () => {
    const dates = weekdays(catalogue);
    return { status: 200, body: searchset((catalogue.clinics ?? CLINICS).map((clinic) => scheduleResource(clinic, dates))) };
  });

  router.get('/Slot', { query: slotQuery }, async ({ query }) => {
    const slots = listSlots({ ...catalogue, clinic: query.clinic, date: query.date });
    const where = query.clinic === undefined ? undefined : { field: 'clinic', equals: query.clinic };
    const stored = new Map((await listRecords(storage, T.slot, slotDoc, where)).map((r) => [r.id, r]));
    const resources = slots.map((s) => slotResource(s, stored.get(s.id))).filter((s) => query.status === undefined || s.status === query.status);
    return { status: 200, body: searchset(resources) };
  });

  router.get('/Slot/:id', {}, async ({ params }) => {
    const slot = findSlot(params.id, catalogue);
    if (!slot) throw notFound(`Slot/${params.id} is not in the catalogue`);
    const stored = await storedSlot(slot.id);
    return { status: 200, body: slotResource(slot, stored), headers: { ETag: etag(stored?.version ?? 0) } };
  });

  write('/Appointment', { body: appointmentInput }, async ({ body, key }) => {
    const slot = findSlot(body.slot, catalogue);
    if (!slot) throw unprocessable(`slot: '${body.slot}' is not a slot of the catalogue (expected <clinic>-<YYYYMMDD>-<HHMM>)`);
    const nhs = requireNhsNumber(body.patient, 'patient');
    const current = await storedSlot(slot.id);
    if (current?.doc.status === 'busy') throw conflict(`Slot/${slot.id} is already booked (Appointment/${current.doc.appointment})`);
    const id = randomUUID();
    const doc = {
      status: 'booked' as const,
      slot: slot.id,
      clinic: slot.clinic,
      patient: nhs,
      start: slot.start,
      end: slot.end,
      created: new Date().toISOString(),
      idempotencyKey: key,
    };
    return {
      status: 201,
      writes: [
        { table: T.appointment, id, doc, expectVersion: 0 },
        {
          table: T.slot,
          id: slot.id,
          doc: { clinic: slot.clinic, date: slot.date, status: 'busy', appointment: id, idempotencyKey: key },
          expectVersion: current?.version ?? 0,
        },
      ],
      respond: (version) => appointmentResource({ id, version, doc }),
      location: `/Appointment/${id}`,
    };
  });

  write('/Appointment/:id/$cancel', { body: cancelInput }, async ({ params, body, key }) => {
    const current = await appointment(params.id);
    if (!current) throw notFound(`Appointment/${params.id} does not exist`);
    if (current.doc.status === 'cancelled') throw conflict(`Appointment/${params.id} is already cancelled`);
    const slot = await storedSlot(current.doc.slot);
    const doc = { ...current.doc, status: 'cancelled' as const, ...(body?.reason ? { cancellationReason: body.reason } : {}), idempotencyKey: key };
    return {
      status: 200,
      writes: [
        { table: T.appointment, id: params.id, doc, expectVersion: current.version },
        // Only the booking that holds the slot frees it.
        ...(slot?.doc.appointment === params.id
          ? [{ table: T.slot, id: slot.id, doc: { ...slot.doc, status: 'free', appointment: null, idempotencyKey: key }, expectVersion: slot.version }]
          : []),
      ],
      respond: (version) => appointmentResource({ id: params.id, version, doc }),
    };
  });

  router.get('/Appointment/:id', {}, async ({ params }) => {
    const found = await appointment(params.id);
    if (!found) throw notFound(`Appointment/${params.id} does not exist`);
    return { status: 200, body: appointmentResource(found), headers: { ETag: etag(found.version) } };
  });

  router.get('/Appointment', { query: appointmentQuery }, async ({ query }) => {
    const where =
      query.patient !== undefined ? { field: 'patient', equals: query.patient } : query.slot !== undefined ? { field: 'slot', equals: query.slot } : undefined;
    const found = (await listRecords(storage, T.appointment, appointmentDoc, where)).filter(
      (r) => query.slot === undefined || r.doc.slot === query.slot,
    );
    return { status: 200, body: searchset(found.map(appointmentResource)) };
  });
}
