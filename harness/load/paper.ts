import type { PaperStats } from '../../model/figures/paper';
import { classify, classifyError } from './classify';
import type { Operation, Workload } from './engine';
import { OutcomeCode, type RequestLog, type ServiceName } from './records';

interface Provisional {
  slot: string;
  patient: string;
  key: string;
}

export interface PaperOptions {
  log: RequestLog;
  /** Base URL of the booking service. */
  bookingUrl: string;
  /** Bookings staff re-enter at once from the paper backlog. */
  concurrency?: number;
  timeoutMs?: number;
}

/**
 * Paper mode: while booking is unreachable, a clerk writes the booking down as provisional; once
 * the service answers again the backlog is keyed back in (a few at a time). Re-entries are
 * recorded as `paper_booking` writes with their own keys, so the ledger checks them too.
 */
export class PaperBacklog {
  private readonly backlog: Provisional[] = [];
  private stats: Omit<PaperStats, 'definition' | 'drainMs' | 'remaining'> = {
    queued: 0,
    backlogMax: 0,
    submitted: 0,
    conflicts: 0,
    failed: 0,
    tRecovered: null,
    tDrained: null,
  };
  private inFlight = 0;
  private reachable = true;
  private idle: (() => void) | undefined;

  constructor(private readonly o: PaperOptions) {}

  /** Wraps a workload: failed bookings (service unreachable) go on paper. */
  wrap(workload: Workload): Workload {
    return {
      next: (index) => {
        const op = workload.next(index);
        if (op.op !== 'book_appointment') return op;
        return this.watch(op);
      },
    };
  }

  private watch(op: Operation): Operation {
    const inner = op.onDone;
    return {
      ...op,
      onDone: (outcome, status) => {
        inner?.(outcome, status);
        const unreachable = outcome === OutcomeCode.Dropped || status === 0 || status === 502 || status === 503 || status === 504;
        if (outcome === OutcomeCode.Ok) this.serviceAnswered();
        else if (unreachable) this.queue(op);
      },
    };
  }

  private queue(op: Operation): void {
    const body = op.body as { slot: string; patient: string };
    this.reachable = false;
    this.backlog.push({ slot: body.slot, patient: body.patient, key: `${op.key}-paper` });
    this.stats.queued++;
    this.stats.backlogMax = Math.max(this.stats.backlogMax, this.backlog.length);
  }

  private serviceAnswered(): void {
    if (this.reachable) return;
    this.reachable = true;
    if (this.backlog.length > 0 && this.stats.tRecovered === null) this.stats.tRecovered = performance.now();
    this.pump();
  }

  private pump(): void {
    while (this.reachable && this.inFlight < (this.o.concurrency ?? 2) && this.backlog.length > 0) {
      void this.submit(this.backlog.shift()!);
    }
    if (this.backlog.length === 0 && this.inFlight === 0) {
      if (this.stats.tRecovered !== null && this.stats.tDrained === null) this.stats.tDrained = performance.now();
      this.idle?.();
    }
  }

  private async submit(p: Provisional): Promise<void> {
    this.inFlight++;
    const log = this.o.log;
    const now = performance.now();
    const i = log.add(now, 'paper_booking', 'booking' as ServiceName, true, p.key);
    log.started(i, now);
    let outcome: OutcomeCode;
    let status = 0;
    try {
      const res = await fetch(`${this.o.bookingUrl}/Appointment`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': p.key },
        body: JSON.stringify({ slot: p.slot, patient: p.patient }),
        signal: AbortSignal.timeout(this.o.timeoutMs ?? 5000),
      });
      status = res.status;
      const body = (await res.json().catch(() => ({}))) as { id?: string; meta?: { versionId?: string } };
      outcome = classify(status, true, res.headers.get('x-blackstart-indeterminate') ?? undefined);
      const ack = outcome === OutcomeCode.Ok ? { id: body.id, version: Number(body.meta?.versionId ?? 0), seq: Number(res.headers.get('x-blackstart-seq') ?? 0) } : undefined;
      log.finished(i, performance.now(), outcome, status, res.headers.get('x-blackstart-site') ?? '', ack);
    } catch (e) {
      outcome = classifyError((e as { code?: string }).code);
      log.finished(i, performance.now(), outcome, 0);
    }
    this.stats.submitted++;
    if (status === 409) this.stats.conflicts++;
    else if (outcome !== OutcomeCode.Ok) {
      // Still unreachable: back on the pile, retried when the service next answers.
      if (status === 0 || status >= 500) {
        this.backlog.unshift(p);
        this.reachable = false;
      } else this.stats.failed++;
    }
    this.inFlight--;
    this.pump();
  }

  /** Waits (bounded) for the backlog to drain after the load stopped, then reports. */
  async finish(timeoutMs = 30_000): Promise<PaperStats> {
    if (this.backlog.length > 0 || this.inFlight > 0) {
      // The load has stopped: nothing else will notice recovery, so probe by re-entering.
      this.reachable = true;
      if (this.stats.tRecovered === null && this.backlog.length > 0) this.stats.tRecovered = performance.now();
      const drained = new Promise<void>((r) => (this.idle = r));
      const deadline = performance.now() + timeoutMs;
      const retry = setInterval(() => {
        if (performance.now() > deadline) this.idle?.();
        else if (!this.reachable) {
          this.reachable = true;
          this.pump();
        }
      }, 200);
      this.pump();
      await drained;
      clearInterval(retry);
    }
    const s = this.stats;
    return {
      definition:
        'A booking that got no answer, a 502/503/504, or was dropped is queued on paper (one provisional booking per attempt). ' +
        'When a booking next succeeds, the backlog is re-entered a few at a time with new Idempotency-Keys (<key>-paper). ' +
        'drainMs = time the backlog was empty again - time of the first successful booking after the first queued one; conflicts = re-entries refused with 409.',
      ...s,
      failed: s.failed,
      remaining: this.backlog.length,
      drainMs: s.tDrained !== null && s.tRecovered !== null ? s.tDrained - s.tRecovered : null,
    };
  }
}
