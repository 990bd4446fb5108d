import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Fault, FaultContext } from '../../chaos/faults/fault';
import { findJournals, Journal, readJournal } from '../../chaos/journal';
import { restoreAll } from '../../chaos/restore';
import { estateRecordFile, type EstateRecord } from '../../model/estate_record';
import type { Estate } from '../../services/runtime';
import { readLines } from './helpers';

/** A pid that certainly belongs to no process: one that has just exited. */
const deadPid = () => spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout.trim();

const UNREACHABLE_API = 'http://127.0.0.1:1';

function fakeContext(dataDir: string): FaultContext {
  return { estate: { id: 'estate-x', runtime: 'process', dataDir } as unknown as Estate, toxiproxy: undefined as never };
}

/** The record of an estate whose harness is `harnessPid`, as the process runtime writes it (nothing listens). */
function writeRecord(dataDir: string, harnessPid: number): void {
  const services = { pas: UNREACHABLE_API, booking: UNREACHABLE_API, theatre: UNREACHABLE_API };
  const site = { sanAdmin: UNREACHABLE_API, apps: services };
  const endpoints = { proxyApi: UNREACHABLE_API, controller: UNREACHABLE_API, frontdoorAdmin: UNREACHABLE_API, services, sites: { dc1: site, dc2: site } };
  const record: EstateRecord = { id: 'estate-x', runtime: 'process', dataDir, startedAt: new Date().toISOString(), harnessPid, endpoints, pids: {} };
  writeFileSync(estateRecordFile(dataDir), JSON.stringify(record));
}

function fakeFault(id: string): Fault {
  return {
    id,
    spec: { kind: 'network', spec: { link: 'frontdoor', toxic: 'latency', attributes: { latency: 1 }, stream: 'downstream', toxicity: 1 } },
    describe: () => `fake ${id}`,
    revertPlan: () => [{ type: 'remove-toxic', proxyApi: UNREACHABLE_API, proxy: 'frontdoor', toxic: `blackstart-${id}` }],
    apply: async () => {},
    revert: async () => {},
  };
}

/** A journal as a harness with pid `pid` would have left it, with one applied fault. */
function leftJournal(root: string, runId: string, pid: number, dataDir: string): string {
  const dir = join(root, '.blackstart', 'journals');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${runId}.jsonl`);
  const at = new Date().toISOString();
  const fault = fakeFault('f1');
  const lines = [
    { type: 'journal', version: 1, runId, pid, host: hostname(), cwd: root, at },
    {
      type: 'fault',
      id: 'f1',
      kind: 'network',
      description: 'fake f1',
      spec: fault.spec.spec,
      revertPlan: fault.revertPlan(fakeContext(dataDir)),
      estate: { id: 'estate-x', runtime: 'process', dataDir, record: join(dataDir, 'estate.json') },
      at,
    },
    { type: 'state', id: 'f1', state: 'applied', pid, at },
  ];
  writeFileSync(path, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
  return path;
}

describe('rollback journal file', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'blackstart-journal-unit-'));
  });

  it('is JSONL in .blackstart/journals/<run-id>.jsonl: header, fault with plan, states, end', () => {
    const journal = Journal.open({ runId: 'run-1', root });
    expect(journal.path).toBe(join(root, '.blackstart', 'journals', 'run-1.jsonl'));
    const ctx = fakeContext(join(root, 'estate'));
    journal.record(fakeFault('a'), ctx);
    journal.mark('a', 'applied');
    journal.mark('a', 'revert-failed', new Error('boom'));
    journal.close();
    const lines = readLines(journal.path);
    expect(lines.map((l) => `${l.type}${l.state ? ' ' + l.state : ''}`)).toEqual(['journal', 'fault', 'state applied', 'state revert-failed', 'end']);
    expect(lines[0]).toMatchObject({ version: 1, runId: 'run-1', pid: process.pid, host: hostname() });
    expect(lines[1]).toMatchObject({ id: 'a', kind: 'network', description: 'fake a', revertPlan: [{ type: 'remove-toxic', toxic: 'blackstart-a' }] });
    const contents = readJournal(journal.path);
    expect(contents.faults[0]).toMatchObject({ id: 'a', state: 'revert-failed', error: 'boom' });
    expect(contents.ended).toBe(true);
    expect(() => Journal.open({ runId: 'run-1', root })).toThrow(/exists already/);
  });

  it('kept elsewhere (beside a report), it is still found through a link in the known place', () => {
    const path = join(root, 'reports', 'drill-1', 'journal.jsonl');
    const journal = Journal.open({ runId: 'drill-1', root, path });
    journal.close();
    expect(journal.path).toBe(path);
    expect(existsSync(join(root, '.blackstart', 'journals', 'drill-1.link'))).toBe(true);
    const other = Journal.open({ runId: 'drill-2', root });
    other.close();
    expect(findJournals(root).sort()).toEqual([path, other.path].sort());
  });

  it('a line cut short by a crash is skipped; the lines before it still count', () => {
    const journal = Journal.open({ runId: 'torn', root });
    journal.record(fakeFault('a'), fakeContext(root));
    appendFileSync(journal.path, '{"type":"state","id":"a","sta');
    const contents = readJournal(journal.path);
    expect(contents.faults.map((f) => f.state)).toEqual(['applying']);
    expect(contents.unreadable).toBe(1);
  });
});

describe('restoreAll without an estate', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'blackstart-restore-unit-'));
  });

  it('leaves a journal whose harness is still running to it, unless forced', async () => {
    // The test runner's parent: certainly alive, certainly not this process.
    const path = leftJournal(root, 'live', process.ppid, join(root, 'gone-estate'));
    const report = await restoreAll({ root });
    expect(report).toMatchObject({ undone: 0, failed: 0, left: 1, ok: false });
    expect(report.journals[0].skipped).toMatch(/is running/);
    expect(readJournal(path).faults[0].state).toBe('applied');

    // Forced: the estate's record is gone, so its (embedded) proxy server went with it.
    const forced = await restoreAll({ root, force: true });
    expect(forced).toMatchObject({ undone: 1, failed: 0, left: 0, ok: true });
    expect(forced.journals[0].faults[0].steps[0]).toMatchObject({ outcome: 'already', detail: expect.stringMatching(/stopped with its estate/) });
    expect(readJournal(path).faults[0].state).toBe('reverted');
  });

  it('a step that cannot be carried out is a revert-failed entry, and a later restore tries again', async () => {
    const dataDir = join(root, 'estate');
    mkdirSync(dataDir);
    // The estate still has a record (so its proxy should answer), but its proxy API does not.
    writeRecord(dataDir, Number(deadPid()));
    const path = leftJournal(root, 'dead', Number(deadPid()), dataDir);
    const report = await restoreAll({ root, stopEstates: false });
    expect(report).toMatchObject({ undone: 0, failed: 1, ok: false });
    expect(report.journals[0].faults[0]).toMatchObject({ after: 'revert-failed', steps: [{ outcome: 'failed' }] });
    expect(readJournal(path).faults[0]).toMatchObject({ state: 'revert-failed', error: expect.stringContaining('blackstart-f1') });
    expect(readFileSync(path, 'utf8')).not.toContain('"type":"end"');

    // Once the orphaned estate is stopped (its record removed), the toxic went with it.
    const again = await restoreAll({ root });
    expect(again).toMatchObject({ undone: 1, failed: 0, estatesStopped: 1, ok: true });
    expect(again.journals[0].faults[0].steps[0]).toMatchObject({ outcome: 'already', detail: expect.stringMatching(/stopped with its estate/) });
    expect(existsSync(join(dataDir, 'estate.json'))).toBe(false);
    expect(readJournal(path)).toMatchObject({ ended: true, faults: [{ state: 'reverted' }] });
    expect(await restoreAll({ root })).toMatchObject({ journals: [], ok: true });
  });

  it('a corrupt estate record is a failed stop naming the file and the field', async () => {
    const dataDir = join(root, 'estate');
    mkdirSync(dataDir);
    const file = join(dataDir, 'estate.json');
    writeFileSync(file, JSON.stringify({ id: 'estate-x', runtime: 'process', dataDir, harnessPid: Number(deadPid()), pids: {} }));
    leftJournal(root, 'corrupt', Number(deadPid()), dataDir);
    const report = await restoreAll({ root });
    expect(report).toMatchObject({ estatesFailed: 1, ok: false });
    expect(report.journals[0].estates[0]).toMatchObject({ outcome: 'failed', detail: expect.stringContaining(file) });
    expect(report.journals[0].estates[0].detail).toMatch(/invalid estate record: .*endpoints: /);
    expect(existsSync(file)).toBe(true);

    writeFileSync(file, JSON.stringify({ ...JSON.parse(readFileSync(file, 'utf8')), runtime: 'kubernetes' }));
    expect((await restoreAll({ root })).journals[0].estates[0].detail).toMatch(/runtime: .*'process' \| 'docker'/);
    writeFileSync(file, '{"id": "estate-x", ');
    expect((await restoreAll({ root })).journals[0].estates[0].detail).toMatch(/invalid estate record: not JSON/);
  });

  it('`blackstart restore` exits 1 and says so when a revert fails', () => {
    const dataDir = join(root, 'estate');
    mkdirSync(dataDir);
    // The estate's harness is alive (so restore leaves the estate alone), its proxy API is not.
    writeRecord(dataDir, process.ppid);
    leftJournal(root, 'stuck', Number(deadPid()), dataDir);
    const cli = spawnSync(process.execPath, [resolve(__dirname, '..', '..', 'bin', 'blackstart.js'), 'restore'], { cwd: root, encoding: 'utf8' });
    expect(cli.status).toBe(1);
    expect(cli.stdout).toMatch(/REVERT FAILED: f1 fake f1/);
    expect(cli.stdout).toMatch(/FAILED: remove toxic blackstart-f1 from frontdoor: /);
    expect(cli.stdout).toMatch(/estate estate-x: skipped \(its harness \(pid \d+\) is alive\)/);
    expect(cli.stdout).toMatch(/0 faults reverted, 0 estates stopped; 1 revert failed$/m);
  });
});
