import { z } from 'zod';
import { NHS_NUMBER_SYSTEM } from '../../services/common/fhir';
import { testNhsNumber } from '../../services/common/nhs_number';
import type { Operation, Workload } from './engine';
import { seededRandom } from './random';
import { OutcomeCode, type ServiceName } from './records';

/**
 * A FHIR R4 workload (docs/ARCHITECTURE.md § 6, "FHIR R4 mix"): standard requests only, so it runs
 * against any FHIR R4 server as well as the mock estate. Every write carries its idempotency key
 * twice: as the `Idempotency-Key` header (the mock apps replay on it; others ignore it) and as a
 * resource identifier `{system, value: key}`, so a black-box read-back can find it by
 * `GET [base]/<type>?identifier=<system>|<key>` (harness/verify/fhir_readback.ts). Creates are
 * conditional (`If-None-Exist: identifier=<system>|<key>`): a retried create finds the first one.
 */

/** Relative weights of the FHIR workflows. */
export const fhirMixSchema = z
  .object({
    create_patient: z.number().min(0).default(20),
    search_slots: z.number().min(0).default(15),
    book_appointment: z.number().min(0).default(25),
    read_appointment: z.number().min(0).default(20),
    cancel_appointment: z.number().min(0).default(5),
    admit_encounter: z.number().min(0).default(15),
  })
  .strict();
export type FhirMix = z.infer<typeof fhirMixSchema>;
export type FhirOpName = keyof FhirMix;

/** The identifier system of the write keys unless the drill names one (`load.fhir.identifier_system`). */
export const DEFAULT_IDENTIFIER_SYSTEM = 'urn:blackstart:write-key';

/** FHIR resource types the workload writes. */
export type FhirWriteType = 'Patient' | 'Appointment' | 'Encounter';

/** Each write operation: the resource type it creates or updates and the service whose base serves it. */
export const FHIR_WRITES: Readonly<Record<string, { resourceType: FhirWriteType; service: ServiceName }>> = {
  create_patient: { resourceType: 'Patient', service: 'pas' },
  book_appointment: { resourceType: 'Appointment', service: 'booking' },
  cancel_appointment: { resourceType: 'Appointment', service: 'booking' },
  admit_encounter: { resourceType: 'Encounter', service: 'pas' },
};

/** The service each FHIR operation goes to: an estate must serve those its mix weighs above 0. */
export const FHIR_OP_SERVICE: Readonly<Record<FhirOpName, ServiceName>> = {
  create_patient: 'pas',
  search_slots: 'booking',
  book_appointment: 'booking',
  read_appointment: 'booking',
  cancel_appointment: 'booking',
  admit_encounter: 'pas',
};

export interface FhirWorkloadOptions {
  seed: number;
  /** Prefix of every key: unique per run. */
  runId: string;
  mix?: Partial<FhirMix>;
  identifierSystem?: string;
  /** First test-patient index (NHS numbers of the never-issued 999 range). */
  patientBase?: number;
  /** `_count` of a Slot search. Default 100. */
  slotPage?: number;
}

interface FreeSlot {
  id: string;
  start?: string;
  end?: string;
}

interface Booked {
  id: string;
  slot: string;
  /** The acknowledged Appointment, which a cancellation PUTs back with status cancelled. */
  resource: Record<string, unknown>;
}

const FHIR_JSON = 'application/fhir+json';
const ACT_CODE = 'http://terminology.hl7.org/CodeSystem/v3-ActCode';

/**
 * The weighted FHIR mix, reproducible from its seed. It learns what it may act on from the server's
 * answers: free slots from Slot searches (a slot is booked once by this run, and offered again only
 * after its cancellation was acknowledged), patients from acknowledged creates (`Patient/<id>`, the
 * server's id), appointments from acknowledged bookings. Cancelling is a FHIR update: the booked
 * Appointment PUT back with status `cancelled`, `If-Match` its acknowledged version, and the
 * cancellation's key added as one more identifier (so the read-back finds the update too).
 */
export function fhirWorkload(options: FhirWorkloadOptions): Workload & { state: () => FhirWorkloadState; identifierSystem: string } {
  const random = seededRandom(options.seed);
  const mix = fhirMixSchema.parse(options.mix ?? {});
  const names = Object.keys(mix) as FhirOpName[];
  const total = names.reduce((s, n) => s + mix[n], 0);
  if (total <= 0) throw new Error('fhir workload mix: at least one weight must be positive');
  const pick = (): FhirOpName => {
    let r = random() * total;
    for (const n of names) if ((r -= mix[n]) < 0) return n;
    return names[names.length - 1];
  };
  const system = options.identifierSystem ?? DEFAULT_IDENTIFIER_SYSTEM;
  const slotPage = options.slotPage ?? 100;
  const key = (i: number) => `${options.runId}-${i}`;
  const keyId = (k: string) => ({ system, value: k });
  const ifNoneExist = (k: string) => ({ 'content-type': FHIR_JSON, 'if-none-exist': `identifier=${system}|${k}` });

  let patientCursor = options.patientBase ?? 0;
  const patients: string[] = [];
  const notAdmitted: string[] = [];
  const free = new Map<string, FreeSlot>();
  /** Slots this run holds: being booked, booked, or possibly booked (indeterminate). */
  const held = new Set<string>();
  const booked: Booked[] = [];
  const any = <T>(items: T[]) => items[Math.floor(random() * items.length)];
  const takeAny = <T>(items: T[]) => items.splice(Math.floor(random() * items.length), 1)[0];

  const build: Record<FhirOpName, (i: number) => Operation | undefined> = {
    create_patient: (i) => {
      const k = key(i);
      const nhs = testNhsNumber(patientCursor++);
      return {
        op: 'create_patient',
        service: 'pas',
        method: 'POST',
        path: '/Patient',
        write: true,
        key: k,
        headers: ifNoneExist(k),
        body: {
          resourceType: 'Patient',
          identifier: [{ system: NHS_NUMBER_SYSTEM, value: nhs }, keyId(k)],
          name: [{ family: any(FAMILY), given: [any(GIVEN)] }],
          birthDate: `19${40 + Math.floor(random() * 60)}-0${1 + Math.floor(random() * 9)}-1${Math.floor(random() * 9)}`,
          gender: random() < 0.5 ? 'female' : 'male',
        },
        onOk: (body) => {
          const id = (body as { id?: string }).id;
          if (!id) return;
          patients.push(`Patient/${id}`);
          notAdmitted.push(`Patient/${id}`);
        },
      };
    },
    search_slots: () => ({
      op: 'search_slots',
      service: 'booking',
      method: 'GET',
      path: `/Slot?status=free&_count=${slotPage}`,
      write: false,
      onOk: (body) => {
        for (const e of (body as { entry?: { resource?: { resourceType?: string; id?: string; status?: string; start?: string; end?: string } }[] }).entry ?? []) {
          const r = e.resource;
          if (r?.resourceType !== 'Slot' || !r.id || r.status !== 'free' || held.has(r.id)) continue;
          if (free.size < 5000) free.set(r.id, { id: r.id, start: r.start, end: r.end });
        }
      },
    }),
    book_appointment: (i) => {
      if (patients.length === 0) return undefined;
      if (free.size === 0) return build.search_slots(i);
      const slot = any([...free.values()]);
      free.delete(slot.id);
      held.add(slot.id);
      const k = key(i);
      return {
        op: 'book_appointment',
        service: 'booking',
        method: 'POST',
        path: '/Appointment',
        write: true,
        key: k,
        headers: ifNoneExist(k),
        body: {
          resourceType: 'Appointment',
          identifier: [keyId(k)],
          status: 'booked',
          slot: [{ reference: `Slot/${slot.id}` }],
          ...(slot.start && slot.end ? { start: slot.start, end: slot.end } : {}),
          participant: [{ actor: { reference: any(patients) }, status: 'accepted' }],
        },
        onOk: (body) => {
          const b = body as Record<string, unknown> & { id?: string };
          if (b.id) booked.push({ id: b.id, slot: slot.id, resource: b });
        },
        onDone: (outcome) => {
          // Certainly not booked: the slot may be offered again (a 409 means someone holds it: forget it).
          if (outcome === OutcomeCode.Fail) held.delete(slot.id);
          if (outcome === OutcomeCode.Dropped) {
            held.delete(slot.id);
            free.set(slot.id, slot);
          }
        },
      };
    },
    read_appointment: () => {
      if (booked.length === 0) return undefined;
      return { op: 'read_appointment', service: 'booking', method: 'GET', path: `/Appointment/${any(booked).id}`, write: false };
    },
    cancel_appointment: (i) => {
      if (booked.length === 0) return undefined;
      const b = takeAny(booked);
      const k = key(i);
      const { meta, ...resource } = b.resource as { meta?: { versionId?: string }; identifier?: unknown[] };
      return {
        op: 'cancel_appointment',
        service: 'booking',
        method: 'PUT',
        path: `/Appointment/${b.id}`,
        write: true,
        key: k,
        headers: { 'content-type': FHIR_JSON, ...(meta?.versionId ? { 'if-match': `W/"${meta.versionId}"` } : {}) },
        body: { ...resource, status: 'cancelled', identifier: [...(resource.identifier ?? []), keyId(k)] },
        onOk: () => held.delete(b.slot),
      };
    },
    admit_encounter: (i) => {
      if (notAdmitted.length === 0) return undefined;
      const patient = takeAny(notAdmitted);
      const k = key(i);
      return {
        op: 'admit_encounter',
        service: 'pas',
        method: 'POST',
        path: '/Encounter',
        write: true,
        key: k,
        headers: ifNoneExist(k),
        body: {
          resourceType: 'Encounter',
          identifier: [keyId(k)],
          status: 'in-progress',
          class: { system: ACT_CODE, code: 'IMP', display: 'inpatient encounter' },
          subject: { reference: patient },
        },
      };
    },
  };

  return {
    identifierSystem: system,
    next(index) {
      // Nothing to act on yet (no patient, no known slot, nothing booked): register a patient.
      return build[pick()](index) ?? build.create_patient(index)!;
    },
    state: () => ({ patients: patients.length, booked: booked.length, freeSlotsKnown: free.size }),
  };
}

export interface FhirWorkloadState {
  patients: number;
  booked: number;
  freeSlotsKnown: number;
}

const FAMILY = ['Patel', 'Jones', 'Smith', 'Williams', 'Brown', 'Taylor', 'Khan', 'Evans', 'Wilson', 'Thomas'];
const GIVEN = ['Amelia', 'Oliver', 'Isla', 'George', 'Ava', 'Noah', 'Mia', 'Arthur', 'Sophia', 'Muhammad'];

const httpUrl = z.string().refine((s) => {
  try {
    return ['http:', 'https:'].includes(new URL(s).protocol);
  } catch {
    return false;
  }
}, 'must be an http(s) URL: a FHIR R4 base, e.g. http://127.0.0.1:8080/fhir');

/** A drill's `load.fhir` block (with `load.workload: fhir`). */
export const fhirLoadSchema = z
  .object({
    /** The system of the identifier every write carries its key in (a URI). */
    identifier_system: z.string().min(1).max(255).default(DEFAULT_IDENTIFIER_SYSTEM),
    /** FHIR R4 base URL per service; a service not named uses the estate's endpoint (the mock app through the front door). */
    base: z.object({ pas: httpUrl, booking: httpUrl, theatre: httpUrl }).partial().strict().default({}),
    mix: fhirMixSchema.partial().optional(),
  })
  .strict();
export type FhirLoad = z.infer<typeof fhirLoadSchema>;
