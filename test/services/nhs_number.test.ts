import { isValidNhsNumber, nhsCheckDigit, nhsNumberProblem, testNhsNumber } from '../../services/common/nhs_number';

describe('NHS number Modulus 11', () => {
  it('accepts known valid numbers', () => {
    // 943 476 5919: the NHS's own example; 999 000 0018: the first test number; 999 000 0050: check 11 -> 0.
    for (const n of ['9434765919', '9990000018', '9990000050', '4010232137']) expect(isValidNhsNumber(n)).toBe(true);
  });

  it('computes the check digit with weights 10..2, 11 becoming 0', () => {
    // 9*10+4*9+3*8+4*7+7*6+6*5+5*4+9*3+1*2 = 299; 299 mod 11 = 2; 11 - 2 = 9
    expect(nhsCheckDigit('943476591')).toBe(9);
    // 9*10+9*9+9*8+5*2 = 253 = 23*11: remainder 0, 11 - 0 = 11, written 0
    expect(nhsCheckDigit('999000005')).toBe(0);
  });

  it('rejects a wrong check digit, saying so', () => {
    expect(isValidNhsNumber('9434765918')).toBe(false);
    expect(nhsNumberProblem('9434765918')).toMatch(/check digit is 8 but should be 9/);
  });

  it('never accepts a number whose check digit would be 10', () => {
    // 9*10+9*9+9*8 = 243; 243 mod 11 = 1; 11 - 1 = 10: never issued, whatever the tenth digit
    expect(nhsCheckDigit('999000000')).toBeUndefined();
    for (let d = 0; d <= 9; d++) expect(isValidNhsNumber(`999000000${d}`)).toBe(false);
    expect(nhsNumberProblem('9990000000')).toMatch(/check digit of 10/);
  });

  it('rejects the wrong format', () => {
    for (const n of ['943476591', '94347659190', '943 476 5919', '94347659l9', '', 9434765919]) expect(isValidNhsNumber(n)).toBe(false);
    expect(nhsNumberProblem('12345')).toMatch(/exactly 10 digits/);
  });

  it('generates valid, distinct, ordered numbers in the 999 range, skipping check-digit-10 bases', () => {
    expect(testNhsNumber(0)).toBe('9990000018');
    const numbers = Array.from({ length: 5000 }, (_, i) => testNhsNumber(i));
    expect(new Set(numbers).size).toBe(numbers.length);
    expect(numbers.filter((n) => !/^999\d{7}$/.test(n) || !isValidNhsNumber(n))).toEqual([]);
    expect([...numbers].sort()).toEqual(numbers);
    // Dense: between consecutive numbers only bases whose check digit would be 10 are skipped.
    const wronglySkipped: number[] = [];
    for (let i = 1; i < numbers.length; i++) {
      for (let base = Number(numbers[i - 1].slice(0, 9)) + 1; base < Number(numbers[i].slice(0, 9)); base++) {
        if (nhsCheckDigit(String(base)) !== undefined) wronglySkipped.push(base);
      }
    }
    expect(wronglySkipped).toEqual([]);
  });

  it('answers the n-th number directly, the same as in sequence', () => {
    expect(testNhsNumber(1024 * 3 + 7)).toBe(testNhsNumber(1024 * 3 + 7));
    const far = testNhsNumber(200_000);
    expect(isValidNhsNumber(far)).toBe(true);
    expect(testNhsNumber(200_001) > far).toBe(true);
    expect(() => testNhsNumber(-1)).toThrow(RangeError);
    expect(() => testNhsNumber(1.5)).toThrow(RangeError);
    expect(() => testNhsNumber(2_000_000)).toThrow(RangeError);
  });
});
