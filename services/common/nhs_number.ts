/**
 * NHS numbers: ten digits, the last a Modulus 11 check digit over the first nine (weights 10..2;
 * check = 11 - (sum mod 11), 11 becomes 0, and a base whose check would be 10 is never issued).
 */

/** The check digit for nine digits, or undefined when it would be 10 (no such number is issued). */
export function nhsCheckDigit(nineDigits: string): number | undefined {
  let sum = 0;
  for (let i = 0; i < 9; i++) sum += (nineDigits.charCodeAt(i) - 48) * (10 - i);
  return checkFromSum(sum);
}

function checkFromSum(sum: number): number | undefined {
  const check = 11 - (sum % 11);
  if (check === 10) return undefined;
  return check === 11 ? 0 : check;
}

// Plain arithmetic, no strings or globals: the generator calls this a million times for the far end
// of the range, and global lookups are slow inside jest's sandbox.
function baseCheckDigit(base: number): number | undefined {
  let sum = 0;
  for (let weight = 2; weight <= 10; weight++) {
    const digit = base % 10;
    sum += digit * weight;
    base = (base - digit) / 10;
  }
  return checkFromSum(sum);
}

/** Why `value` is not a valid NHS number, in words a clerk would understand; undefined when it is valid. */
export function nhsNumberProblem(value: string): string | undefined {
  if (!/^\d{10}$/.test(value)) return `NHS number '${value}' has the wrong format: it must be exactly 10 digits`;
  const expected = nhsCheckDigit(value.slice(0, 9));
  if (expected === undefined) {
    return `NHS number ${value} is invalid: its first nine digits give a check digit of 10, so it is never issued`;
  }
  if (expected !== Number(value[9])) {
    return `NHS number ${value} fails the Modulus 11 check: the check digit is ${value[9]} but should be ${expected}`;
  }
  return undefined;
}

export const isValidNhsNumber = (value: unknown): boolean => typeof value === 'string' && nhsNumberProblem(value) === undefined;

// The 999 range is never issued to real patients, so generated test patients can never be real people.
const FIRST_BASE = 999_000_000;
const LAST_BASE = 999_999_999;
// Every STRIDE-th test number's base is remembered, so the n-th is found without scanning from the start.
const STRIDE = 1024;
const checkpoints: number[] = [];

function nextIssuableBase(from: number): number {
  for (let base = from; base <= LAST_BASE; base++) if (baseCheckDigit(base) !== undefined) return base;
  throw new RangeError('the 999 test range has no more valid NHS numbers');
}

/**
 * The n-th (from 0) valid NHS number of the never-issued 999 range, in order:
 * testNhsNumber(0) is 9990000018 (999000000 is skipped: its check digit would be 10).
 */
export function testNhsNumber(n: number): string {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`testNhsNumber: n must be a non-negative integer, got ${n}`);
  const checkpoint = Math.floor(n / STRIDE);
  if (checkpoints.length === 0) checkpoints.push(nextIssuableBase(FIRST_BASE));
  while (checkpoints.length <= checkpoint) {
    let base = checkpoints[checkpoints.length - 1];
    for (let i = 0; i < STRIDE; i++) base = nextIssuableBase(base + 1);
    checkpoints.push(base);
  }
  let base = checkpoints[checkpoint];
  for (let i = 0; i < n % STRIDE; i++) base = nextIssuableBase(base + 1);
  return `${base}${baseCheckDigit(base)}`;
}
