import { meta, reference } from '../common/fhir';
import type { Rec } from '../common/records';
import type { CaseDoc, SessionDoc } from './schemas';

/** Theatre sessions and cases: not FHIR R4 resources, but shaped like them. */

export function sessionResource({ id, version, doc }: Rec<SessionDoc>) {
  return {
    resourceType: 'Session' as const,
    id,
    // A catalogue session never written has version 0 and no meta.
    ...(version > 0 ? { meta: meta(version, doc.idempotencyKey) } : {}),
    theatre: doc.theatre,
    date: doc.date,
    list: doc.list,
    minutes: doc.minutes,
    bookedMinutes: doc.bookedMinutes,
    remainingMinutes: doc.minutes - doc.bookedMinutes,
    custom: doc.custom,
  };
}

export function caseResource({ id, version, doc }: Rec<CaseDoc>) {
  return {
    resourceType: 'Case' as const,
    id,
    meta: meta(version, doc.idempotencyKey),
    status: doc.status,
    session: reference('Session', doc.session),
    patient: reference('Patient', doc.patient),
    procedure: doc.procedure,
    minutes: doc.minutes,
  };
}
