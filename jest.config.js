/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  // examples/: the README's examples run as part of the suite (examples/jest: a resilience test through the public API).
  roots: ['<rootDir>/test', '<rootDir>/examples'],
  // The package's own name resolves to its sources here, as `exports` does for a user (package.json).
  moduleNameMapper: { '^blackstart$': '<rootDir>/api/index.ts', '^blackstart/jest$': '<rootDir>/api/jest.ts' },
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
  testTimeout: 30000,
  // One test file at a time: the estate, drill and docker suites each run a dozen processes or
  // containers, and two of them at once on 2 cores starve the heartbeats and latencies they
  // measure (seen: a shortened drill's p99 gate and a failover held down). In band, the whole
  // suite takes about 14-15 minutes on 2 cores (95 files: 827-860 s on a clean clone, 2026-11-30); in parallel it was 4.5, and not repeatable.
  // Within a file, drills whose verdicts do not rest on fine timings run side by side (test/patroni/
  // faults.test.ts, test/drill/shipped.test.ts, test/docker/{drill,external}.test.ts).
  maxWorkers: 1,
};
