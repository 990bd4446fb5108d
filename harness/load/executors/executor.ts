/**
 * An executor turns a run into a schedule: the due time of every request, decided in advance,
 * whatever the system under test does (the open model: an outage cannot slow the arrivals down).
 */
export interface Executor {
  readonly name: string;
  /** Due time of the next request, in ms after the start, or undefined when the schedule is over. */
  next(): number | undefined;
  /** Planned length of the run, ms. */
  readonly durationMs: number;
}
