/**
 * Runs that go side by side within one test file (the suite runs one file at a time): all are
 * started together on the first ask, and each test takes its own: `take(i)` resolves to run i's
 * result, or throws its own error, whatever the others did.
 */
export function sideBySide<T>(runs: (() => Promise<T>)[]): (i: number) => Promise<T> {
  let all: Promise<PromiseSettledResult<T>[]> | undefined;
  return async (i) => {
    const settled = (await (all ??= Promise.allSettled(runs.map((run) => run()))))[i];
    if (settled.status === 'rejected') throw settled.reason;
    return settled.value;
  };
}
