export function check(value, sets) {
  return Object.values(sets).every((f) => f(value));
}
export function sleep(seconds) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, seconds * 1000);
}
export function fail(message) {
  throw new Error(message);
}
export function group(name, fn) {
  return fn();
}
