import { NHS_NUMBER_SYSTEM, meta, reference } from '../common/fhir';
import type { Rec } from '../common/records';
import type { EncounterDoc, PatientDoc } from './schemas';

/** Stored PAS documents as FHIR R4 resources. */

export function patientResource({ id, version, doc }: Rec<PatientDoc>) {
  return {
    resourceType: 'Patient' as const,
    id,
    meta: meta(version, doc.idempotencyKey),
    identifier: [{ system: NHS_NUMBER_SYSTEM, value: doc.nhsNumber }, ...(doc.identifier ?? [])],
    name: [{ family: doc.name.family, given: doc.name.given }],
    birthDate: doc.birthDate,
    gender: doc.gender,
  };
}

// FHIR R4 Encounter.class is a v3 ActCode.
const ACT_CODES = {
  inpatient: { code: 'IMP', display: 'inpatient encounter' },
  'day-case': { code: 'SS', display: 'short stay' },
  emergency: { code: 'EMER', display: 'emergency' },
} as const;

export function encounterResource({ id, version, doc }: Rec<EncounterDoc>) {
  return {
    resourceType: 'Encounter' as const,
    id,
    meta: meta(version, doc.idempotencyKey),
    ...(doc.identifier?.length ? { identifier: doc.identifier } : {}),
    status: doc.status,
    class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', ...ACT_CODES[doc.class] },
    /** The class as requested (inpatient, day-case, emergency). */
    type: [{ text: doc.class }],
    subject: reference('Patient', doc.patient),
    ...(doc.reason ? { reasonCode: [{ text: doc.reason }] } : {}),
    period: { start: doc.start, ...(doc.end ? { end: doc.end } : {}) },
  };
}
