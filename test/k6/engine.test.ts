import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { parseDrill } from '../../harness/drill/load';
import { runDrill } from '../../harness/runner/run';
import { resultSchema } from '../../model/result';

jest.setTimeout(90_000);

/**
 * `load: { engine: k6 }` end to end, with a stand-in for k6 first on PATH (test/k6/standin/bin/k6:
 * k6 itself cannot be installed here). The stand-in runs the script for real, VUs as worker threads
 * with k6's synchronous HTTP, on the scenarios' arrival-rate schedules, and writes k6's json output
 * for the requests it made to the estate; blackstart reads it back into its records.
 */
const STANDIN = resolve(__dirname, 'standin', 'bin');

function withPath<T>(path: string, fn: () => Promise<T>): Promise<T> {
  const before = process.env.PATH;
  process.env.PATH = path;
  return fn().finally(() => (process.env.PATH = before));
}

const DRILL = `
name: k6-engine
seed: 7
load:
  engine: k6
  rate: 20/s
  duration: 9s
  warmup: 2s
  timeout: 2s
faults:
  - name: san-hang
    at: 3s
    storage_cut: { site: active, mode: hang }
    duration: 2s
recovery: { windows: 2, window: 1s, max_p95: 1s }   # a fixed ceiling: at 20/s, 3 x the baseline p95 is within a busy machine's noise (ARCHITECTURE § 7.4)
gates:
  - { metric: lost_writes, max: 0 }
  - { metric: rto_ms, max: 6000 }
`;

describe('load engine k6 (with a stand-in k6)', () => {
  it("runs the exported script, reads k6's points into the records, and computes every figure from them", async () => {
    const outDir = mkdtempSync(join(tmpdir(), 'blackstart-k6-'));
    const lines: string[] = [];
    const result = await withPath(`${STANDIN}${delimiter}${process.env.PATH}`, () =>
      runDrill(parseDrill(DRILL, 'k6.yaml'), { file: 'k6.yaml', outDir, print: (l) => lines.push(l) }),
    );
    expect(() => resultSchema.parse(result)).not.toThrow();
    expect(result.error).toBeNull();
    expect(lines.find((l) => l.startsWith('load: '))).toBe('load: k6 (constant-arrival-rate) for 9000 ms; 1 fault(s) planned');
    // The script and k6's output are kept beside the reports.
    expect(existsSync(join(outDir, 'k6-load.js'))).toBe(true);
    const points = readFileSync(join(outDir, 'k6-points.json'), 'utf8');
    expect(points).toMatch(/^\{"type":"Metric","data":\{"name":"blackstart_start"/);
    // 20/s for 9 s: about 180 requests, each a record (a few left out when they named a write the hang refused).
    expect(result.load.scheduled).toBeGreaterThan(140);
    expect(result.load.scheduled).toBeLessThanOrEqual(185);
    // The hang shows in the records as it does with the built-in engine: failures, then recovery.
    const rec = result.recovery[0].all;
    expect([rec.failed, rec.rto.recovered]).toEqual([true, true]);
    expect(rec.rto.recovered && rec.rto.ms).toBeGreaterThan(1000);
    expect(rec.rto.recovered && rec.rto.ms).toBeLessThan(6000);
    // The ledger judged the keyed writes k6 made: acknowledged ones read back, none lost.
    const c = result.ledger!.counts;
    expect(c.acknowledged).toBeGreaterThan(30);
    expect([c.lost, c.unexpected, c.unkeyed]).toEqual([0, 0, 0]);
    expect(result.verdict).toBe('passed');
  });

  it("runs a user's own script unchanged; the ledger checks the writes that carry an Idempotency-Key", async () => {
    const outDir = mkdtempSync(join(tmpdir(), 'blackstart-k6-user-'));
    const file = join(outDir, 'drill.yaml');
    writeFileSync(file, `name: my-k6\nload: { engine: k6, script: ${JSON.stringify(join(__dirname, 'fixtures', 'my-load.js'))}, rate: 10/s, duration: 6s, warmup: 1s }\n`);
    const { loadDrill } = await import('../../harness/drill/load');
    const result = await withPath(`${STANDIN}${delimiter}${process.env.PATH}`, () => runDrill(loadDrill(file), { file, outDir }));
    expect(result.error).toBeNull();
    // 10 iterations a second for 6 s, every other one a registration with a key.
    expect(result.load.scheduled).toBeGreaterThanOrEqual(55);
    expect(result.load.requests.ok).toBe(result.load.scheduled);
    const c = result.ledger!.counts;
    expect(c.attempted).toBeGreaterThanOrEqual(27);
    expect([c.acknowledged, c.lost, c.unverified, c.unkeyed]).toEqual([c.attempted, 0, 0, 0]);
    expect(result.verdict).toBe('passed');
  });

  it('where k6 is not on PATH: an error naming k6, before the estate starts', async () => {
    const outDir = mkdtempSync(join(tmpdir(), 'blackstart-k6-missing-'));
    const result = await withPath('/nonexistent', () => runDrill(parseDrill(DRILL, 'k6.yaml'), { file: 'k6.yaml', outDir }));
    expect(result.verdict).toBe('error');
    expect(result.error).toMatch(/no k6 executable is on PATH/);
    expect(result.phases.map((p) => [p.name, p.status])).toEqual(['estate', 'load', 'faults', 'read-back', 'residue', 'gates', 'result'].map((n) => [n, n === 'estate' ? 'failed' : n === 'gates' || n === 'result' ? 'ok' : 'skipped']));
    expect(existsSync(join(outDir, 'estate'))).toBe(false);
  });
});
