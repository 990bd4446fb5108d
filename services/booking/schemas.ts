import { z } from 'zod';

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
});

export const appointmentQuery = z.object({
  patient: z.string().optional(),
  slot: z.string().optional(),
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
  idempotencyKey: key,
});
export type AppointmentDoc = z.infer<typeof appointmentDoc>;
