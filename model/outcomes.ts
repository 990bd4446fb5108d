/**
 * Operation outcomes, as in Jepsen histories (docs/ARCHITECTURE.md § Figures): `ok` acknowledged
 * (it must have taken effect), `fail` refused (it must not have), `info` indeterminate (it may or
 * may not have), `dropped` (its scheduled start could not be honoured).
 */
export const OUTCOMES = ['ok', 'fail', 'info', 'dropped'] as const;
export type Outcome = (typeof OUTCOMES)[number];
