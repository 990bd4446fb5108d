import { z } from 'zod';
import { identifierSchema, referenceId, referenceSchema } from '../common/fhir';

/** Booking request bodies, queries and stored documents. The patient's NHS number is checked by the app (422). */

const key = z.string().nullable();

export const SLOT_STATUSES = ['free', 'busy'] as const;

export const appointmentInput = z.object({
  slot: z.string().min(1),
  patient: z.string(),
});

export const cancelInput = z.object({ reason: z.string().trim().min(1).max(500).optional() }).optional();

export const slotQuery = z.object({
  clinic: z.string().optional(),
  date: z.iso.date().optional(),
  status: z.enum(SLOT_STATUSES).optional(),
  /** FHIR: `Schedule/<clinic>` (or the clinic), the same as `clinic`. */
  schedule: z.string().optional(),
  /** FHIR page size: at most this many entries (`total` still counts every match). */
  _count: z.coerce.number().int().min(0).max(10_000).optional(),
});

/** `patient` and `slot` take an id or a FHIR reference (`Patient/<nhs>`, `Slot/<id>`). */
export const appointmentQuery = z.object({
  patient: z.string().optional(),
  slot: z.string().optional(),
  /** FHIR token: `<system>|<value>`, `<system>|` or a bare value. */
  identifier: z.string().optional(),
  status: z.enum(['booked', 'cancelled']).optional(),
});

/** The standard FHIR R4 Appointment a client may POST: booked, on one catalogue Slot, for one Patient. */
export const fhirAppointmentInput = z
  .object({
    resourceType: z.literal('Appointment'),
    identifier: z.array(identifierSchema).max(20).default([]),
    status: z.literal('booked'),
    slot: z.array(referenceSchema.refine((r) => referenceId(r.reference, 'Slot') !== undefined, 'must be a reference to a Slot (Slot/<id>)')).length(1),
    participant: z
      .array(z.object({ actor: referenceSchema.optional(), status: z.string() }))
      .min(1)
      .refine((ps) => ps.some((p) => p.actor && referenceId(p.actor.reference, 'Patient') !== undefined), 'needs a participant whose actor is a Patient'),
  })
  .transform((a) => ({
    slot: referenceId(a.slot[0].reference, 'Slot')!,
    patient: referenceId(a.participant.find((p) => p.actor && referenceId(p.actor.reference, 'Patient'))!.actor!.reference, 'Patient')!,
    identifier: a.identifier,
  }));

/**
 * A FHIR update (`PUT /Appointment/:id`) of a stored appointment. This server supports what the
 * workload needs: cancelling (status booked -> cancelled, optionally with a cancelationReason) and
 * adding identifiers; anything else it refuses (422).
 */
export const fhirAppointmentUpdate = z.object({
  resourceType: z.literal('Appointment'),
  id: z.string(),
  status: z.enum(['booked', 'cancelled']),
  identifier: z.array(identifierSchema).max(40).default([]),
  cancelationReason: z.object({ text: z.string().trim().min(1).max(500) }).optional(),
});

/** A slot that has been written (booked at least once). The catalogue holds all the others, free. */
export const slotDoc = z.object({
  clinic: z.string(),
  date: z.string(),
  status: z.enum(SLOT_STATUSES),
  /** The appointment holding the slot while busy. */
  appointment: z.string().nullable(),
  idempotencyKey: key,
});
export type SlotDoc = z.infer<typeof slotDoc>;

export const appointmentDoc = z.object({
  status: z.enum(['booked', 'cancelled']),
  slot: z.string(),
  clinic: z.string(),
  patient: z.string(),
  start: z.string(),
  end: z.string(),
  created: z.string(),
  cancellationReason: z.string().optional(),
  identifier: z.array(identifierSchema).optional(),
  idempotencyKey: key,
});
export type AppointmentDoc = z.infer<typeof appointmentDoc>;
