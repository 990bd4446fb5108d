import { compactDate, expandDate, weekdays, type CalendarOptions } from '../common/calendar';

/**
 * The theatre session catalogue: every theatre has an am and a pm list on each calendar day. Pure
 * and deterministic, like the slot catalogue; storage only holds sessions once written (a case
 * booked, or a custom session created).
 */

export const THEATRES = ['T1', 'T2', 'T3', 'T4'] as const;
export const LISTS = ['am', 'pm'] as const;
export type List = (typeof LISTS)[number];
export const DEFAULT_SESSION_MINUTES = 240;

export interface SessionDef {
  /** `<theatre>-<YYYYMMDD>-<am|pm>`, e.g. T1-20270104-am */
  id: string;
  theatre: string;
  /** YYYY-MM-DD */
  date: string;
  list: List;
  minutes: number;
}

export const sessionId = (theatre: string, date: string, list: List) => `${theatre}-${compactDate(date)}-${list}`;

/** The catalogue's sessions, optionally of one theatre and/or one date, ordered by date, theatre, list. */
export function listSessions(options: CalendarOptions & { theatre?: string; date?: string } = {}): SessionDef[] {
  const theatres = THEATRES.filter((t) => options.theatre === undefined || t === options.theatre);
  const dates = weekdays(options).filter((d) => options.date === undefined || d === options.date);
  return dates.flatMap((date) =>
    theatres.flatMap((theatre) => LISTS.map((list) => ({ id: sessionId(theatre, date, list), theatre, date, list, minutes: DEFAULT_SESSION_MINUTES }))),
  );
}

/** The catalogue session with this id, or undefined. */
export function findSession(id: string, options: CalendarOptions = {}): SessionDef | undefined {
  const m = /^([A-Za-z0-9]+)-(\d{8})-(am|pm)$/.exec(id);
  if (!m) return undefined;
  const [, theatre, compact, list] = m;
  const date = expandDate(compact);
  if (!(THEATRES as readonly string[]).includes(theatre) || !weekdays(options).includes(date)) return undefined;
  return { id, theatre, date, list: list as List, minutes: DEFAULT_SESSION_MINUTES };
}
