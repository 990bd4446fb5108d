import { z } from 'zod';
import { listSlots } from '../../services/booking/catalogue';
import { testNhsNumber } from '../../services/common/nhs_number';
import { listSessions } from '../../services/theatre/catalogue';
import type { Operation, Workload } from './engine';
import { seededRandom } from './random';
import { OutcomeCode } from './records';

/** Relative weights of the clinical workflows in the mix. */
export const mixSchema = z
  .object({
    lookup_patient: z.number().min(0).default(30),
    list_free_slots: z.number().min(0).default(15),
    register_patient: z.number().min(0).default(10),
    book_appointment: z.number().min(0).default(25),
    cancel_appointment: z.number().min(0).default(5),
    schedule_case: z.number().min(0).default(10),
    admit_patient: z.number().min(0).default(5),
  })
  .strict();
export type Mix = z.infer<typeof mixSchema>;
export type OpName = keyof Mix;

export interface ClinicalWorkloadOptions {
  seed: number;
  mix?: Partial<Mix>;
  /** Prefix of every Idempotency-Key and generated id: unique per run, so reruns never collide. */
  runId: string;
  /** First test-patient index to use (reruns against one estate use different ranges). */
  patientBase?: number;
}

/**
 * The weighted mix of clinical workflows over the three services, reproducible from its seed.
 * Conflicts arise only from faults: every booking takes a slot nobody else took (catalogue order
 * shuffled by the seed, a slot reused only after its cancellation was acknowledged), and theatre
 * cases are sized to the minutes a session has left. Every write carries a unique Idempotency-Key.
 */
export function clinicalWorkload(options: ClinicalWorkloadOptions): Workload & { state: () => WorkloadState } {
  const random = seededRandom(options.seed);
  const mix = mixSchema.parse(options.mix ?? {});
  const names = Object.keys(mix) as OpName[];
  const total = names.reduce((s, n) => s + mix[n], 0);
  if (total <= 0) throw new Error('workload mix: at least one weight must be positive');
  const pick = (): OpName => {
    let r = random() * total;
    for (const n of names) if ((r -= mix[n]) < 0) return n;
    return names[names.length - 1];
  };

  const slots = shuffle(listSlots().map((s) => s.id), random);
  const freedSlots: string[] = [];
  let slotCursor = 0;
  const sessions = listSessions().map((s) => ({ id: s.id, left: s.minutes }));
  let patientCursor = options.patientBase ?? 0;
  const registered: string[] = [];
  const notAdmitted: string[] = [];
  const booked: string[] = [];
  const key = (i: number) => `${options.runId}-${i}`;

  const build: Record<OpName, (i: number) => Operation | undefined> = {
    register_patient: (i) => {
      const nhs = testNhsNumber(patientCursor++);
      return {
        op: 'register_patient',
        service: 'pas',
        method: 'POST',
        path: '/Patient',
        write: true,
        key: key(i),
        body: {
          nhsNumber: nhs,
          name: { family: FAMILY[Math.floor(random() * FAMILY.length)], given: [GIVEN[Math.floor(random() * GIVEN.length)]] },
          birthDate: `19${40 + Math.floor(random() * 60)}-0${1 + Math.floor(random() * 9)}-1${Math.floor(random() * 9)}`,
          gender: random() < 0.5 ? 'female' : 'male',
        },
        onOk: () => {
          registered.push(nhs);
          notAdmitted.push(nhs);
        },
      };
    },
    lookup_patient: () => {
      if (registered.length === 0) return undefined;
      const nhs = registered[Math.floor(random() * registered.length)];
      return { op: 'lookup_patient', service: 'pas', method: 'GET', path: `/Patient/${nhs}`, write: false };
    },
    admit_patient: (i) => {
      if (notAdmitted.length === 0) return undefined;
      const nhs = notAdmitted.splice(Math.floor(random() * notAdmitted.length), 1)[0];
      return { op: 'admit_patient', service: 'pas', method: 'POST', path: '/Encounter', write: true, key: key(i), body: { patient: nhs, class: 'inpatient' } };
    },
    list_free_slots: () => {
      const slot = slots[Math.floor(random() * slots.length)];
      const [clinic, date] = [slot.split('-')[0], slot.split('-')[1]];
      const iso = `${date.slice(0, 4)}-${date.slice(4, 6)}-${date.slice(6, 8)}`;
      return { op: 'list_free_slots', service: 'booking', method: 'GET', path: `/Slot?clinic=${clinic}&date=${iso}&status=free`, write: false };
    },
    book_appointment: (i) => {
      const slot = freedSlots.shift() ?? slots[slotCursor];
      if (slot === undefined) return undefined;
      if (slot === slots[slotCursor]) slotCursor++;
      const patient = registered.length > 0 ? registered[Math.floor(random() * registered.length)] : testNhsNumber(patientCursor++);
      return {
        op: 'book_appointment',
        service: 'booking',
        method: 'POST',
        path: '/Appointment',
        write: true,
        key: key(i),
        body: { slot, patient },
        onOk: (body) => {
          const id = (body as { id?: string }).id;
          if (id) booked.push(`${id} ${slot}`);
        },
      };
    },
    cancel_appointment: (i) => {
      if (booked.length === 0) return undefined;
      const [id, slot] = booked.splice(Math.floor(random() * booked.length), 1)[0].split(' ');
      return {
        op: 'cancel_appointment',
        service: 'booking',
        method: 'POST',
        path: `/Appointment/${id}/$cancel`,
        write: true,
        key: key(i),
        onOk: () => freedSlots.push(slot),
      };
    },
    schedule_case: (i) => {
      const minutes = CASE_MINUTES[Math.floor(random() * CASE_MINUTES.length)];
      const session = sessions.find((s) => s.left >= minutes);
      if (!session) return undefined;
      // Reserve now; give back only what was certainly not booked.
      session.left -= minutes;
      const patient = registered.length > 0 ? registered[Math.floor(random() * registered.length)] : testNhsNumber(patientCursor++);
      return {
        op: 'schedule_case',
        service: 'theatre',
        method: 'POST',
        path: `/Session/${session.id}/Case`,
        write: true,
        key: key(i),
        body: { patient, procedure: PROCEDURES[Math.floor(random() * PROCEDURES.length)], minutes },
        onDone: (outcome) => {
          if (outcome === OutcomeCode.Fail || outcome === OutcomeCode.Dropped) session.left += minutes;
        },
      };
    },
  };

  return {
    next(index) {
      // Fall back to registering a patient when a workflow has nothing to act on yet.
      return build[pick()](index) ?? build.register_patient(index)!;
    },
    state: () => ({ registered: registered.length, booked: booked.length, slotsLeft: slots.length - slotCursor + freedSlots.length }),
  };
}

export interface WorkloadState {
  registered: number;
  booked: number;
  slotsLeft: number;
}

function shuffle<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j], items[i]];
  }
  return items;
}

const FAMILY = ['Patel', 'Jones', 'Smith', 'Williams', 'Brown', 'Taylor', 'Khan', 'Evans', 'Wilson', 'Thomas'];
const GIVEN = ['Amelia', 'Oliver', 'Isla', 'George', 'Ava', 'Noah', 'Mia', 'Arthur', 'Sophia', 'Muhammad'];
const PROCEDURES = ['hip replacement', 'cataract extraction', 'hernia repair', 'knee arthroscopy', 'cholecystectomy'];
const CASE_MINUTES = [30, 45, 60, 90];
