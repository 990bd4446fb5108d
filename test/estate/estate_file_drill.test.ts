import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { resultSchema } from '../../model/result';
import { processesMentioning, runCli } from '../helpers/drill';

jest.setTimeout(120_000);

/**
 * "Drill your own system": an estate no shipped code knows about (test/estate/fixtures/kv: two
 * sites of a small FHIR patient service, each with its own store, a front door that fails over;
 * plain JavaScript and an estate file) drilled by `blackstart drill` with no TypeScript. Its sites
 * are its own (maidstone, dartford), not the regional estate's dc1 and dc2. Its stores do not
 * replicate, so the drill must find the writes acknowledged at maidstone that dartford never had.
 */
const DRILL = `name: kv-power-cut
description: power cut at maidstone of the kv estate, under the FHIR workload
estate: { file: estate.yaml }
load:
  rate: 25/s
  duration: 13s
  warmup: 2s
  timeout: 2s
  workload: fhir
  fhir:
    mix: { create_patient: 1, search_slots: 0, book_appointment: 0, read_appointment: 0, cancel_appointment: 0, admit_encounter: 0 }
faults:
  - { name: maidstone-power-cut, at: 5s, power_cut: { site: maidstone }, restore_after: 4s }
recovery: { windows: 3, window: 1s, success_ratio: 0.99, max_p95: 1s }
gates:
  - { metric: rto_ms, max: 5000 }
  - { metric: lost_writes, max: 0 }
settle: 1s
`;

/** A fresh copy of the kv estate with `drill` as its drill.yaml; its directory. */
function kvWith(drill: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'blackstart-kv-'));
  cpSync(resolve(__dirname, 'fixtures', 'kv'), dir, { recursive: true });
  writeFileSync(join(dir, 'drill.yaml'), drill);
  return dir;
}

/** `blackstart validate drill.yaml` in `dir`: its exit code and output. */
async function validateIn(dir: string): Promise<[number | null, string]> {
  const validate = runCli(['validate', 'drill.yaml'], dir);
  return [await validate.exited, validate.output()];
}

describe('an estate file drilled end to end (process runtime)', () => {
  it('validate refuses the docker runtime for a file without docker specs, at the drill\'s runtime line', async () => {
    const [code, output] = await validateIn(kvWith(DRILL.replace('estate: { file: estate.yaml }', 'estate:\n  file: estate.yaml\n  runtime: docker')));
    expect(code).toBe(2);
    expect(output).toContain(
      "drill.yaml:5:12: estate.runtime: runtime docker: the estate file's maidstone-store, dartford-store, maidstone-app, dartford-app, frontdoor have no docker spec (an image and its command)",
    );
  });

  it('refuses a site the estate does not have, at file:line:col, naming its sites', async () => {
    const [code, output] = await validateIn(kvWith(DRILL.replace('power_cut: { site: maidstone }', 'power_cut: { site: dc1 }')));
    expect(code).toBe(2);
    expect(output).toContain('drill.yaml:13:61: faults.0.power_cut.site: no site "dc1" in the estate (sites: maidstone, dartford; roles, resolved when applied: active, standby)');
  });

  it('stands the estate up from the file, cuts power at maidstone, finds the writes dartford never had, and leaves nothing running', async () => {
    const dir = kvWith(DRILL);
    expect((await validateIn(dir))[0]).toBe(0);

    const drill = runCli(['drill', 'drill.yaml', '--out', 'out', '--no-history'], dir);
    const code = await drill.exited;
    const result = resultSchema.parse(JSON.parse(readFileSync(join(dir, 'out', 'result.json'), 'utf8')));
    if (result.error) throw new Error(`${result.error}\n${drill.output().slice(-3000)}`);

    // The power cut hit maidstone: the front door moved to dartford and service came back.
    expect(result.faults).toEqual([expect.objectContaining({ name: 'maidstone-power-cut', kind: 'power_cut', error: null, revertError: null })]);
    const rec = result.recovery[0].all;
    expect(rec.failed).toBe(true);
    expect(rec.rto.recovered).toBe(true);
    // The ledger, by FHIR search through the front door (now at dartford): writes acknowledged at maidstone
    // before the cut are absent there, and nothing the estate acknowledged at dc2 is missing.
    expect(result.ledger!.counts.acknowledged).toBeGreaterThan(100);
    expect(result.ledger!.counts.lost).toBeGreaterThan(20);
    expect(result.ledger!.lost.every((w) => w.attempts.some((a) => a.site === 'maidstone'))).toBe(true);
    // Requests record the site that served them by the estate's own names.
    expect(new Set(result.ledger!.lost.flatMap((w) => w.attempts.map((a) => a.site)))).toEqual(new Set(['maidstone']));
    expect(result.gates.find((g) => g.metric === 'lost_writes')).toMatchObject({ passed: false });
    expect(result.gates.find((g) => g.metric === 'rto_ms')).toMatchObject({ passed: true });
    expect([result.verdict, code]).toEqual(['failed', 1]);
    expect(result.residue).toEqual([]);
    // No controller in this estate: the result says what that leaves unmeasured.
    expect(result.controllerEvents).toEqual([]);

    // Everything the drill started is gone.
    expect(processesMentioning(dir)).toEqual([]);
  });
});
