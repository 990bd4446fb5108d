import { randomUUID } from 'node:crypto';
import type { Storage } from '../san/storage';
import { weekdays } from '../common/calendar';
import { etag, isResource, referenceId, requireNhsNumber, searchset, versionOfEtag, type Identifier } from '../common/fhir';
import { parse, type Router } from '../common/http';
import { conditionalMatch, identifierWrites, ifNoneExist, searchByIdentifier } from '../common/identifiers';
import { HttpError, badRequest, conflict, notFound, unprocessable } from '../common/outcome';
import { listRecords, readRecord, type Rec } from '../common/records';
import { writeRoutes } from '../common/write';
import { CLINICS, findSlot, listSlots, type CatalogueOptions } from './catalogue';
import { appointmentResource, scheduleResource, slotResource } from './resources';
import {
  appointmentDoc,
  appointmentInput,
  appointmentQuery,
  cancelInput,
  fhirAppointmentInput,
  fhirAppointmentUpdate,
  slotDoc,
  slotQuery,
  type AppointmentDoc,
} from './schemas';

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
  const appointmentsWith = (token: string) =>
    searchByIdentifier(storage, T.appointment, token, {
      load: appointment,
      scan: () => listRecords(storage, T.appointment, appointmentDoc),
      identifiers: (r: Rec<AppointmentDoc>) => r.doc.identifier ?? [],
    });

  router.get('/Schedule', {}, async () => {
    const dates = weekdays(catalogue);
    return { status: 200, body: searchset((catalogue.clinics ?? CLINICS).map((clinic) => scheduleResource(clinic, dates))) };
  });

  router.get('/Slot', { query: slotQuery }, async ({ query }) => {
    const clinic = query.clinic ?? (query.schedule === undefined ? undefined : (referenceId(query.schedule, 'Schedule') ?? query.schedule));
    const slots = listSlots({ ...catalogue, clinic, date: query.date });
    const where = clinic === undefined ? undefined : { field: 'clinic', equals: clinic };
    const stored = new Map((await listRecords(storage, T.slot, slotDoc, where)).map((r) => [r.id, r]));
    const resources = slots.map((s) => slotResource(s, stored.get(s.id))).filter((s) => query.status === undefined || s.status === query.status);
    // `_count` is a page size: the first page only (no next link), `total` counts every match.
    const page = query._count === undefined ? resources : resources.slice(0, query._count);
    return { status: 200, body: { ...searchset(page), total: resources.length } };
  });

  router.get('/Slot/:id', {}, async ({ params }) => {
    const slot = findSlot(params.id, catalogue);
    if (!slot) throw notFound(`Slot/${params.id} is not in the catalogue`);
    const stored = await storedSlot(slot.id);
    return { status: 200, body: slotResource(slot, stored), headers: { ETag: etag(stored?.version ?? 0) } };
  });

  write('/Appointment', {}, async ({ json, key, headers }) => {
    const fhir = isResource(json, 'Appointment');
    const body = fhir ? parse(fhirAppointmentInput, json, 'body') : { ...parse(appointmentInput, json, 'body'), identifier: [] as Identifier[] };
    const match = await conditionalMatch(headers, (i) => appointmentsWith(`${i.system}|${i.value}`));
    if (match) {
      return { existing: { status: 200, body: appointmentResource(match), headers: { ETag: etag(match.version), Location: `/Appointment/${match.id}` } } };
    }
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
      ...(body.identifier.length ? { identifier: body.identifier } : {}),
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
        ...(await identifierWrites(storage, T.appointment, body.identifier, id, key, ifNoneExist(headers))),
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

  // FHIR update: cancel (booked -> cancelled, freeing the slot as $cancel does) and/or add identifiers.
  write('/Appointment/:id', { method: 'PUT' }, async ({ params, json, key, headers }) => {
    const body = parse(fhirAppointmentUpdate, json, 'body');
    if (body.id !== params.id) throw badRequest(`the resource's id '${body.id}' is not the id in the URL ('${params.id}')`);
    const current = await appointment(params.id);
    if (!current) throw notFound(`Appointment/${params.id} does not exist (this server does not create by update)`);
    const ifMatch = headers['if-match'];
    if (ifMatch !== undefined && versionOfEtag(String(ifMatch)) !== String(current.version)) {
      throw new HttpError(412, 'conflict', `If-Match: Appointment/${params.id} is at version ${current.version}, not ${versionOfEtag(String(ifMatch))}`);
    }
    const cancelling = current.doc.status === 'booked' && body.status === 'cancelled';
    if (body.status !== current.doc.status && !cancelling) {
      throw unprocessable(`Appointment/${params.id}: only cancelling (booked -> cancelled) is supported, not ${current.doc.status} -> ${body.status}`);
    }
    const had = current.doc.identifier ?? [];
    const kept = (i: Identifier) => body.identifier.some((b) => b.system === i.system && b.value === i.value);
    const dropped = had.filter((i) => !kept(i));
    if (dropped.length) throw unprocessable(`Appointment/${params.id}: identifiers cannot be removed (${dropped.map((i) => `${i.system}|${i.value}`).join(', ')})`);
    const added = body.identifier.filter((b) => !had.some((i) => i.system === b.system && i.value === b.value));
    const slot = cancelling ? await storedSlot(current.doc.slot) : undefined;
    const reason = body.cancelationReason?.text;
    const doc = {
      ...current.doc,
      status: body.status,
      ...(reason ? { cancellationReason: reason } : {}),
      ...(had.length + added.length ? { identifier: [...had, ...added] } : {}),
      idempotencyKey: key,
    };
    return {
      status: 200,
      writes: [
        { table: T.appointment, id: params.id, doc, expectVersion: current.version },
        // Only the booking that holds the slot frees it.
        ...(slot?.doc.appointment === params.id
          ? [{ table: T.slot, id: slot.id, doc: { ...slot.doc, status: 'free', appointment: null, idempotencyKey: key }, expectVersion: slot.version }]
          : []),
        ...(await identifierWrites(storage, T.appointment, added, params.id, key)),
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
    const patient = query.patient === undefined ? undefined : (referenceId(query.patient, 'Patient') ?? query.patient);
    const slot = query.slot === undefined ? undefined : (referenceId(query.slot, 'Slot') ?? query.slot);
    const where = patient !== undefined ? { field: 'patient', equals: patient } : slot !== undefined ? { field: 'slot', equals: slot } : undefined;
    const candidates = query.identifier !== undefined ? await appointmentsWith(query.identifier) : await listRecords(storage, T.appointment, appointmentDoc, where);
    const found = candidates.filter(
      (r) =>
        (patient === undefined || r.doc.patient === patient) &&
        (slot === undefined || r.doc.slot === slot) &&
        (query.status === undefined || r.doc.status === query.status),
    );
    return { status: 200, body: searchset(found.map(appointmentResource)) };
  });
}
