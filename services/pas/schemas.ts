import { z } from 'zod';

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

export const encounterInput = z.object({
  patient: z.string(),
  class: z.enum(ENCOUNTER_CLASSES),
  reason: text(500).optional(),
});

export const encounterQuery = z.object({ patient: z.string().optional() });

export const patientDoc = z.object({
  nhsNumber: z.string(),
  name: z.object({ family: z.string(), given: z.array(z.string()) }),
  birthDate: z.string(),
  gender: z.enum(GENDERS),
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
