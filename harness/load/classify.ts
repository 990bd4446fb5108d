import { OutcomeCode } from './records';

/**
 * Jepsen-style outcome of one HTTP exchange (docs/ARCHITECTURE.md § 7): ok = acknowledged; fail = refused,
 * so it must not have taken effect; info = indeterminate.
 * - 2xx: ok. 4xx: fail (the server refused it).
 * - 5xx: the estate says whether the write may have been applied (`x-blackstart-indeterminate`);
 *   without that header (a vendor's system) a 5xx write is indeterminate and a 5xx read a failure.
 * - No response (timeout, connection reset or refused after sending): indeterminate.
 */
export function classify(status: number, write: boolean, indeterminateHeader: string | undefined): OutcomeCode {
  if (status >= 200 && status < 300) return OutcomeCode.Ok;
  if (status >= 400 && status < 500) return OutcomeCode.Fail;
  if (status >= 500) {
    if (indeterminateHeader === 'false') return OutcomeCode.Fail;
    if (indeterminateHeader === 'true') return OutcomeCode.Info;
    return write ? OutcomeCode.Info : OutcomeCode.Fail;
  }
  return OutcomeCode.Info;
}

/** No HTTP response: refused before sending is a failure; anything after sending may have applied. */
export function classifyError(code: string | undefined): OutcomeCode {
  return code === 'ECONNREFUSED' ? OutcomeCode.Fail : OutcomeCode.Info;
}
