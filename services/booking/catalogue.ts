import { compactDate, expandDate, weekdays, type CalendarOptions } from '../common/calendar';

/**
 * The outpatient slot catalogue: pure and deterministic, so the load generator computes the same
 * slots as the app without asking it. A slot exists here whether or not it was ever booked; storage
 * only holds the slots that were written.
 */

export const CLINICS = ['cardiology', 'orthopaedics', 'ophthalmology', 'dermatology', 'respiratory'] as const;
export const SLOT_MINUTES = 15;
const DAY_START_MIN = 9 * 60;
const DAY_END_MIN = 17 * 60;

export interface CatalogueOptions extends CalendarOptions {
  clinics?: readonly string[];
}

export interface CatalogueSlot {
  /** `<clinic>-<YYYYMMDD>-<HHMM>`, e.g. cardiology-20270104-0915 */
  id: string;
  clinic: string;
  /** YYYY-MM-DD */
  date: string;
  /** ISO instants; the mock's clinic hours are UTC. */
  start: string;
  end: string;
}

const hhmm = (minutes: number) => `${String(Math.floor(minutes / 60)).padStart(2, '0')}${String(minutes % 60).padStart(2, '0')}`;
const instant = (date: string, minutes: number) => `${date}T${hhmm(minutes).slice(0, 2)}:${hhmm(minutes).slice(2)}:00Z`;

/** Slot start times of a clinic day, as HHMM: 0900, 0915, ... 1645. */
export const SLOT_TIMES: readonly string[] = Array.from(
  { length: (DAY_END_MIN - DAY_START_MIN) / SLOT_MINUTES },
  (_, i) => hhmm(DAY_START_MIN + i * SLOT_MINUTES),
);

export const slotId = (clinic: string, date: string, time: string) => `${clinic}-${compactDate(date)}-${time}`;

function slot(clinic: string, date: string, time: string): CatalogueSlot {
  const startMin = Number(time.slice(0, 2)) * 60 + Number(time.slice(2));
  return { id: slotId(clinic, date, time), clinic, date, start: instant(date, startMin), end: instant(date, startMin + SLOT_MINUTES) };
}

/** The catalogue's slots, optionally of one clinic and/or one date, ordered by clinic, date, time. */
export function listSlots(options: CatalogueOptions & { clinic?: string; date?: string } = {}): CatalogueSlot[] {
  const clinics = (options.clinics ?? CLINICS).filter((c) => options.clinic === undefined || c === options.clinic);
  const dates = weekdays(options).filter((d) => options.date === undefined || d === options.date);
  return clinics.flatMap((clinic) => dates.flatMap((date) => SLOT_TIMES.map((time) => slot(clinic, date, time))));
}

/** The catalogue slot with this id, or undefined when there is none. */
export function findSlot(id: string, options: CatalogueOptions = {}): CatalogueSlot | undefined {
  // The clinic is everything before the date, so clinic names may contain hyphens.
  const m = /^(.+)-(\d{8})-(\d{4})$/.exec(id);
  if (!m) return undefined;
  const [, clinic, compact, time] = m;
  const date = expandDate(compact);
  if (!(options.clinics ?? CLINICS).includes(clinic) || !SLOT_TIMES.includes(time) || !weekdays(options).includes(date)) return undefined;
  return slot(clinic, date, time);
}

export const isSlotId = (id: string, options: CatalogueOptions = {}): boolean => findSlot(id, options) !== undefined;
