import { randomUUID } from 'node:crypto';
import type { Storage } from '../san/storage';
import type { CalendarOptions } from '../common/calendar';
import { etag, requireNhsNumber, searchset } from '../common/fhir';
import type { Router } from '../common/http';
import { conflict, notFound } from '../common/outcome';
import { listRecords, readRecord, type Rec } from '../common/records';
import { writeRoutes } from '../common/write';
import { findSession, listSessions, sessionId, type SessionDef } from './catalogue';
import { caseResource, sessionResource } from './resources';
import { caseDoc, caseInput, caseStatusInput, sessionDoc, sessionInput, sessionQuery, type CaseDoc, type CaseStatus, type SessionDoc } from './schemas';

export const THEATRE_TABLES = { session: 'Session', case: 'Case' } as const;
const T = THEATRE_TABLES;

// Where a case may go next; completed and cancelled are final.
const NEXT: Record<CaseStatus, readonly CaseStatus[]> = {
  scheduled: ['in-theatre', 'cancelled'],
  'in-theatre': ['completed'],
  completed: [],
  cancelled: [],
};

/** A catalogue session as it stands before its first write. */
const unwritten = (s: SessionDef): Rec<SessionDoc> => ({
  id: s.id,
  version: 0,
  doc: { theatre: s.theatre, date: s.date, list: s.list, minutes: s.minutes, bookedMinutes: 0, custom: false, idempotencyKey: null },
});

const order = (a: Rec<SessionDoc>, b: Rec<SessionDoc>) =>
  a.doc.date.localeCompare(b.doc.date) || a.doc.theatre.localeCompare(b.doc.theatre) || a.doc.list.localeCompare(b.doc.list);

/**
 * Theatre scheduling. Booking a case compare-and-sets its session's bookedMinutes in the same
 * commit that creates the case, so a session is never booked beyond its minutes.
 */
export function registerTheatreRoutes(router: Router, storage: Storage, calendar: CalendarOptions = {}): void {
  const write = writeRoutes(router, storage);
  const theatreCase = (id: string) => readRecord(storage, T.case, caseDoc, id);
  const session = async (id: string): Promise<Rec<SessionDoc> | undefined> => {
    const stored = await readRecord(storage, T.session, sessionDoc, id);
    if (stored) return stored;
    const def = findSession(id, calendar);
    return def && unwritten(def);
  };

  const freeMinutes = async (c: CaseDoc, key: string | null) => {
    const s = await session(c.session);
    if (!s) throw new Error(`a case refers to Session/${c.session}, which does not exist`);
    return { table: T.session, id: s.id, doc: { ...s.doc, bookedMinutes: s.doc.bookedMinutes - c.minutes, idempotencyKey: key }, expectVersion: s.version };
  };

  write('/Session', { body: sessionInput }, async ({ body, key }) => {
    const id = sessionId(body.theatre, body.date, body.list);
    if (await session(id)) throw conflict(`Session/${id} already exists`);
    const doc = { ...body, bookedMinutes: 0, custom: true, idempotencyKey: key };
    return {
      status: 201,
      writes: [{ table: T.session, id, doc, expectVersion: 0 }],
      respond: (version) => sessionResource({ id, version, doc }),
      location: `/Session/${id}`,
    };
  });

  router.get('/Session', { query: sessionQuery }, async ({ query }) => {
    const merged = new Map(listSessions({ ...calendar, ...query }).map((s) => [s.id, unwritten(s)]));
    for (const r of await listRecords(storage, T.session, sessionDoc)) {
      if ((query.theatre === undefined || r.doc.theatre === query.theatre) && (query.date === undefined || r.doc.date === query.date)) merged.set(r.id, r);
    }
    return { status: 200, body: searchset([...merged.values()].sort(order).map(sessionResource)) };
  });

  router.get('/Session/:id', {}, async ({ params }) => {
    const found = await session(params.id);
    if (!found) throw notFound(`Session/${params.id} does not exist`);
    const cases = await listRecords(storage, T.case, caseDoc, { field: 'session', equals: found.id });
    return {
      status: 200,
      body: { ...sessionResource(found), cases: cases.map(caseResource) },
      headers: { ETag: etag(found.version) },
    };
  });

  write('/Session/:id/Case', { body: caseInput }, async ({ params, body, key }) => {
    const current = await session(params.id);
    if (!current) throw notFound(`Session/${params.id} does not exist`);
    const nhs = requireNhsNumber(body.patient, 'patient');
    const remaining = current.doc.minutes - current.doc.bookedMinutes;
    if (body.minutes > remaining) {
      throw conflict(
        `Session/${current.id} cannot take a ${body.minutes}-minute case: only ${remaining} of its ${current.doc.minutes} minutes remain`,
      );
    }
    const id = randomUUID();
    const doc = { session: current.id, patient: nhs, procedure: body.procedure, minutes: body.minutes, status: 'scheduled' as const, idempotencyKey: key };
    return {
      status: 201,
      writes: [
        { table: T.case, id, doc, expectVersion: 0 },
        {
          table: T.session,
          id: current.id,
          doc: { ...current.doc, bookedMinutes: current.doc.bookedMinutes + body.minutes, idempotencyKey: key },
          expectVersion: current.version,
        },
      ],
      respond: (version) => caseResource({ id, version, doc }),
      location: `/Case/${id}`,
    };
  });

  router.get('/Case/:id', {}, async ({ params }) => {
    const found = await theatreCase(params.id);
    if (!found) throw notFound(`Case/${params.id} does not exist`);
    return { status: 200, body: caseResource(found), headers: { ETag: etag(found.version) } };
  });

  write('/Case/:id/$status', { body: caseStatusInput }, async ({ params, body, key }) => {
    const current = await theatreCase(params.id);
    if (!current) throw notFound(`Case/${params.id} does not exist`);
    const from = current.doc.status;
    if (!NEXT[from].includes(body.status)) {
      const allowed = NEXT[from].length ? `it can go to ${NEXT[from].join(' or ')}` : `${from} is final`;
      throw conflict(`Case/${params.id} cannot go from ${from} to ${body.status}: ${allowed}`);
    }
    const doc = { ...current.doc, status: body.status, idempotencyKey: key };
    // Cancelling gives the minutes back to the session in the same commit, so capacity and cases always agree.
    const freed = body.status === 'cancelled' ? [await freeMinutes(current.doc, key)] : [];
    return {
      status: 200,
      writes: [{ table: T.case, id: params.id, doc, expectVersion: current.version }, ...freed],
      respond: (version) => caseResource({ id: params.id, version, doc }),
    };
  });
}
