import { z } from 'zod';
import { DEFAULT_SESSION_MINUTES, LISTS } from './catalogue';

/** Theatre request bodies, queries and stored documents. The patient's NHS number is checked by the app (422). */

const key = z.string().nullable();
const DAY_MINUTES = 24 * 60;

export const CASE_STATUSES = ['scheduled', 'in-theatre', 'completed', 'cancelled'] as const;
export type CaseStatus = (typeof CASE_STATUSES)[number];

export const sessionInput = z.object({
  // Letters and digits only: the theatre is part of the session id, which hyphens delimit.
  theatre: z.string().regex(/^[A-Za-z0-9]{1,16}$/, 'theatre must be 1 to 16 letters or digits'),
  date: z.iso.date(),
  list: z.enum(LISTS),
  minutes: z.number().int().min(1).max(DAY_MINUTES).default(DEFAULT_SESSION_MINUTES),
});

export const sessionQuery = z.object({
  theatre: z.string().optional(),
  date: z.iso.date().optional(),
});

export const caseInput = z.object({
  patient: z.string(),
  procedure: z.string().trim().min(1).max(200),
  minutes: z.number().int().min(1).max(DAY_MINUTES),
});

export const caseStatusInput = z.object({ status: z.enum(CASE_STATUSES) });

/** A session once written. bookedMinutes is the sum of its cases not cancelled; compare-and-set keeps it within minutes. */
export const sessionDoc = z.object({
  theatre: z.string(),
  date: z.string(),
  list: z.enum(LISTS),
  minutes: z.number().int(),
  bookedMinutes: z.number().int(),
  custom: z.boolean(),
  idempotencyKey: key,
});
export type SessionDoc = z.infer<typeof sessionDoc>;

export const caseDoc = z.object({
  session: z.string(),
  patient: z.string(),
  procedure: z.string(),
  minutes: z.number().int(),
  status: z.enum(CASE_STATUSES),
  idempotencyKey: key,
});
export type CaseDoc = z.infer<typeof caseDoc>;
