import { z } from 'zod';
import { NHS_NUMBER_SYSTEM, identifierSchema, referenceId, referenceSchema } from '../common/fhir';

/** PAS request bodies and stored documents. NHS numbers are checked by the app (422), not here (400). */

const text = (max: number) => z.string().trim().min(1).max(max);
const key = z.string().nullable();

export const GENDERS = ['male', 'female', 'other', 'unknown'] as const;
export const ENCOUNTER_CLASSES = ['inpatient', 'day-case', 'emergency'] as const;

export const patientInput = z.object({
  nhsNumber: z.string(),
  name: z.object({ family: text(100), given: z.array(text(100)).max(10) }),
  birthDate: z.iso.date().refine((d) => d <= new Date().toISOString().slice(0, 10), 'birthDate is in the future'),
  gender: z.enum(GENDERS),
});
export type PatientInput = z.infer<typeof patientInput>;

export const patientQuery = z.object({ identifier: z.string().optional() });

/** The standard FHIR R4 Patient a client may POST instead: the NHS number is its identifier of the NHS system. */
export const fhirPatientInput = z
  .object({
    resourceType: z.literal('Patient'),
    identifier: z.array(identifierSchema).max(20).refine((ids) => ids.some((i) => i.system === NHS_NUMBER_SYSTEM), `needs an identifier of system ${NHS_NUMBER_SYSTEM}`),
    name: z.array(z.object({ family: text(100), given: z.array(text(100)).max(10).default([]) })).min(1),
    birthDate: patientInput.shape.birthDate,
    gender: z.enum(GENDERS),
  })
  .transform((p) => ({
    nhsNumber: p.identifier.find((i) => i.system === NHS_NUMBER_SYSTEM)!.value,
    name: { family: p.name[0].family, given: p.name[0].given },
    birthDate: p.birthDate,
    gender: p.gender,
    /** Identifiers other than the NHS number (which is the id). */
    identifier: p.identifier.filter((i) => i.system !== NHS_NUMBER_SYSTEM),
  }));

export const encounterInput = z.object({
  patient: z.string(),
  class: z.enum(ENCOUNTER_CLASSES),
  reason: text(500).optional(),
});

export const encounterQuery = z.object({ patient: z.string().optional(), identifier: z.string().optional() });

// FHIR R4 Encounter.class (v3 ActCode) to the app's classes; resources.ts maps them back.
const CLASS_OF_ACT_CODE = { IMP: 'inpatient', SS: 'day-case', EMER: 'emergency' } as const;

/** The standard FHIR R4 Encounter a client may POST: an admission in progress of a registered Patient. */
export const fhirEncounterInput = z
  .object({
    resourceType: z.literal('Encounter'),
    identifier: z.array(identifierSchema).max(20).default([]),
    status: z.literal('in-progress'),
    class: z.object({ system: z.string().optional(), code: z.enum(['IMP', 'SS', 'EMER']) }),
    subject: referenceSchema.refine((r) => referenceId(r.reference, 'Patient') !== undefined, 'must be a reference to a Patient (Patient/<id>)'),
    reasonCode: z.array(z.object({ text: text(500) })).max(1).optional(),
  })
  .transform((e) => ({
    patient: referenceId(e.subject.reference, 'Patient')!,
    class: CLASS_OF_ACT_CODE[e.class.code],
    ...(e.reasonCode?.[0] ? { reason: e.reasonCode[0].text } : {}),
    identifier: e.identifier,
  }));

export const patientDoc = z.object({
  nhsNumber: z.string(),
  name: z.object({ family: z.string(), given: z.array(z.string()) }),
  birthDate: z.string(),
  gender: z.enum(GENDERS),
  /** Identifiers a FHIR client gave besides the NHS number. */
  identifier: z.array(identifierSchema).optional(),
  idempotencyKey: key,
});
export type PatientDoc = z.infer<typeof patientDoc>;

export const encounterDoc = z.object({
  patient: z.string(),
  class: z.enum(ENCOUNTER_CLASSES),
  reason: z.string().optional(),
  status: z.enum(['in-progress', 'finished']),
  start: z.string(),
  end: z.string().optional(),
  identifier: z.array(identifierSchema).optional(),
  idempotencyKey: key,
});
export type EncounterDoc = z.infer<typeof encounterDoc>;

/**
 * One per patient: the encounter in progress, if any. Admissions compare-and-set it, so two
 * concurrent admissions of one patient cannot both succeed.
 */
export const admissionDoc = z.object({
  patient: z.string(),
  encounter: z.string().nullable(),
  idempotencyKey: key,
});
export type AdmissionDoc = z.infer<typeof admissionDoc>;
