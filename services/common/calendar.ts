/** The working days the mock estate's catalogues cover; booking and theatre share them. */
export interface CalendarOptions {
  /** First day, YYYY-MM-DD (moved to the next weekday when it falls on a weekend). */
  start?: string;
  /** How many weekdays. */
  days?: number;
}

export const DEFAULT_CALENDAR = { start: '2027-01-04', days: 20 } as const;

const DAY_MS = 86_400_000;

/** The calendar's weekdays, YYYY-MM-DD, in order. */
export function weekdays(options: CalendarOptions = {}): string[] {
  const start = options.start ?? DEFAULT_CALENDAR.start;
  const days = options.days ?? DEFAULT_CALENDAR.days;
  if (!Number.isInteger(days) || days < 0) throw new RangeError(`calendar days must be a non-negative integer, got ${days}`);
  let t = Date.parse(`${start}T00:00:00Z`);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(start) || Number.isNaN(t) || new Date(t).toISOString().slice(0, 10) !== start) {
    throw new RangeError(`calendar start must be a real date YYYY-MM-DD, got '${start}'`);
  }
  const out: string[] = [];
  for (; out.length < days; t += DAY_MS) {
    const day = new Date(t).getUTCDay();
    if (day !== 0 && day !== 6) out.push(new Date(t).toISOString().slice(0, 10));
  }
  return out;
}

/** 2027-01-04 -> 20270104, the form used inside ids. */
export const compactDate = (date: string): string => date.replaceAll('-', '');

/** 20270104 -> 2027-01-04. */
export const expandDate = (compact: string): string => `${compact.slice(0, 4)}-${compact.slice(4, 6)}-${compact.slice(6, 8)}`;
