import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { processesMentioning, runCli } from '../helpers/drill';

/**
 * The disk under --out fills up mid-drill (issue 14): a tmpfs of 64 MiB is mounted as the output
 * directory (the estate's state, SANs and logs included, lives there too on the process runtime),
 * and once the faults are applied a file fills it. The drill still reverts every fault and stops
 * its estate, and says what it could not write: the progress lines, the journal's later lines,
 * the reports; exit 2. Needs root and a kernel that lets it mount tmpfs; skipped (with the reason)
 * otherwise. About 25 s.
 */

jest.setTimeout(120_000);

const DRILL = `name: full-disk
seed: 5
estate:
  failover: { heartbeat_ms: 200, detect_after: 5, promotion_delay_ms: 300, hold_down_ms: 600000 }
load: { rate: 20/s, duration: 10s, warmup: 1s, timeout: 2s }
settle: 1s
faults:
  - { name: slow-link, at: 1s, network: { link: dc2-booking, toxic: latency, attributes: { latency: 200 } } }
  - { name: cut-link, at: 1s, network: { link: dc2-theatre, toxic: down } }
  - { name: frozen-app, at: 1s, freeze: { component: dc2-pas } }
gates:
  - { metric: lost_writes, max: 0 }
`;

function tryMount(dir: string): string | undefined {
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64m', 'tmpfs', dir], { encoding: 'utf8' });
  return r.status === 0 ? undefined : (r.stderr || r.error?.message || `mount exited ${r.status}`).trim();
}

const cwd = mkdtempSync(join(tmpdir(), 'blackstart-diskfull-'));
const out = join(cwd, 'out');
mkdirSync(out);
const cannot = process.getuid?.() === 0 ? tryMount(out) : 'not root';
if (cannot) console.warn(`SKIPPED "disk full under --out": cannot mount a tmpfs (${cannot})`);
const maybe = cannot ? describe.skip : describe;

afterAll(() => {
  if (!cannot) spawnSync('umount', ['-l', out]);
});

maybe(`the disk under --out fills up mid-drill${cannot ? ` [SKIPPED: cannot mount a tmpfs: ${cannot}]` : ''}`, () => {
  test('every fault is reverted, the estate stopped, and what could not be written is named: exit 2', async () => {
    writeFileSync(join(cwd, 'full.yaml'), DRILL);
    const drill = runCli(['drill', 'full.yaml', '--out', out], cwd);
    // Full before the first progress line (a second into the load) and before the faults (at 1 s):
    // the journal's open page may still take a fault's lines, or may not (then the fault is not
    // applied: one that could not be journaled is never applied).
    await drill.waitFor(/^load: /m);
    // Fill it: every byte left, in one file.
    const fd = openSync(join(out, 'filler'), 'w');
    const block = Buffer.alloc(1 << 20);
    try {
      for (;;) writeSync(fd, block);
    } catch (e) {
      expect((e as NodeJS.ErrnoException).code).toBe('ENOSPC');
    } finally {
      closeSync(fd);
    }
    const code = await drill.exited;
    const output = drill.output();
    process.stdout.write(`${output.split('\n').filter((l) => /WARNING|blackstart:|revert/.test(l)).join('\n')}\n`);
    expect(code).toBe(2);
    // Every fault applied was reverted, and the estate is gone. The residue is none, or a SAN that
    // died of the full disk itself (its data is on it too: a replica that cannot write what it is
    // sent stops; its log, on the same disk, cannot say why), which the residue check rightly reports
    // as not running.
    const [, reverted, applied, residue] = /the drill ran to its end \(verdict \w+; (\d+) of (\d+) applied fault\(s\) reverted, residue: ([^)]*)\)/.exec(output) ?? [];
    expect(reverted).toBeDefined();
    expect(reverted).toBe(applied);
    expect(residue).toMatch(/^(none|(dc[12]-san is not running(; |$))+)$/);
    for (const [, name] of output.matchAll(/apply \S+ .* \((\S+)\)|t=[\d.]+s apply .*?$/gm)) if (name) expect(output).toContain(`revert ${name}`);
    for (const [, name, why] of output.matchAll(/fault (\S+) failed to apply: (.*)/g)) expect([name, why]).toEqual([name, expect.stringMatching(/could not write it to the journal .* before applying it \(ENOSPC.*\): not applied/)]);
    expect(processesMentioning(out)).toEqual([]);
    // What could not be written is named: the progress, the reports (at least result.json).
    expect(output).toMatch(/could not write .*progress\.jsonl \(ENOSPC/);
    expect(output).toMatch(/could not write .*result\.json: ENOSPC/);
    expect(output).not.toMatch(/^\s+at .+:\d+/m);
    // The journal: every line it holds is whole; its lines after the disk filled are named as lost.
    const journal = readFileSync(join(out, 'journal.jsonl'), 'utf8');
    for (const line of journal.trim().split('\n')) expect(() => JSON.parse(line)).not.toThrow();
    if (/line\(s\) to the journal/.test(output)) expect(output).toMatch(/could not write \d+ line\(s\) to the journal .*ENOSPC.*blackstart restore/);
    // No report cut short is left behind, and no history line for a run whose result.json is missing.
    expect(existsSync(join(out, 'result.json'))).toBe(false);
    expect(output).toMatch(/was not added to blackstart-reports\/history\.jsonl/);
  });
});
