import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Rng } from '../../bench/proxy_fuzz';
import { DrillError, loadDrill, parseDrill } from '../../harness/drill/load';
import { FileProblemsError } from '../../lib/located_yaml';
import { firstInvalidUtf8, readTextFile } from '../../lib/text_file';
import { loadEstateFile, parseEstateFile } from '../../services/estate/estate_file';
import { runNode, CLI } from '../helpers/drill';

/**
 * Hostile drill and estate files (issue 14): alias bombs, a 10 MB file, binary garbage, wrong
 * encodings, deep nesting, durations such as `1e309s` or `-3s`, rates of 0 and 10^9. Each is one
 * clear error naming the file and the field (exit 2 from `blackstart validate`), within a second
 * and in bounded memory; never a hang, a stack trace or a bare exception. Then a seeded generator
 * mutates the shipped drills and an estate file (hostile fragments inserted, bytes flipped, lines
 * cut): each mutant is accepted or refused with file:line:col problems, and nothing else.
 *
 * About 11 s on 2 cores (most of it the CLI's start, 0.3 s a run). FUZZ_SEED repeats a run,
 * FUZZ_MUTANTS (default 150 a source file) makes it longer.
 */

const SEED = Number(process.env.FUZZ_SEED ?? Date.now() % 0xffffffff);
/** Mutants of each source file (FUZZ_MUTANTS for a longer run). */
const MUTANTS = Number(process.env.FUZZ_MUTANTS ?? 150);
/** Generous: the bound that matters is no hang; each case takes 0.2-0.6 s, mostly Node's start. */
const CLI_BOUND_MS = 5_000;
const MiB = 1 << 20;

let dir: string;
let preload: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'blackstart-file-fuzz-'));
  // The CLI's peak memory, reported by the CLI process itself as it exits.
  preload = join(dir, 'maxrss.js');
  writeFileSync(preload, "process.on('exit', () => process.stderr.write('\\nMAXRSS ' + process.resourceUsage().maxRSS + '\\n'));\n");
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const drillWith = (load: string, extra = '') => `name: hostile\n${extra}load: ${load}\n`;
const OK_LOAD = '{ rate: 10/s, duration: 5s }';

function aliasBomb(): string {
  const lines = ['lol: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
  let prev = 'a';
  for (const n of 'bcdefghi') {
    lines.push(`${n}: &${n} [${Array(9).fill(`*${prev}`).join(',')}]`);
    prev = n;
  }
  return lines.join('\n') + '\n';
}

/** [case, file bytes, the field the error must name ("(file)" for the file as a whole), what it must say]. */
const HOSTILE: [string, Buffer | string, string, RegExp][] = [
  ['an alias bomb ("billion laughs")', `name: bomb\n${aliasBomb()}load: ${OK_LOAD}\n`, '(file)', /aliases expand past 100/],
  ['a 10 MB file', 'name: big\n# ' + 'x'.repeat(10 * MiB) + `\nload: ${OK_LOAD}\n`, '(file)', /the file is 10\.0 MiB: at most 1\.0 MiB/],
  ['binary garbage', Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 7919 + 13) % 256)), '(file)', /not UTF-8|binary data/],
  ['UTF-16 with a byte order mark', Buffer.from('\ufeff' + drillWith(OK_LOAD), 'utf16le'), '(file)', /UTF-16 \(little-endian\) text: save the file as UTF-8/],
  ['UTF-16 without one', Buffer.from(drillWith(OK_LOAD), 'utf16le'), '(file)', /binary data, not text .*UTF-16 without a byte order mark/],
  ['Latin-1', Buffer.from('name: caf\xe9\n' + `load: ${OK_LOAD}\n`, 'latin1'), '(file)', /not UTF-8: byte 0xe9 at line 1, column 10/],
  ['flow collections nested 200,000 deep', drillWith('['.repeat(200_000) + ']'.repeat(200_000)), '(file)', /nested more than 1000 deep/],
  ['block mappings nested 1,400 deep', 'name: deep\nload:\n' + Array.from({ length: 1400 }, (_, i) => `${' '.repeat(i + 1)}k${i}:`).join('\n') + '\n', '(file)', /nested too deeply|load/],
  ['duration 1e309s', drillWith('{ rate: 10/s, duration: 1e309s }'), 'load.duration', /"1e309s" is not a duration: .*no exponent/],
  ['duration -3s', drillWith('{ rate: 10/s, duration: -3s }'), 'load.duration', /"-3s" is not a duration: a duration cannot be negative/],
  ['duration of 400 nines (Infinity)', drillWith(`{ rate: 10/s, duration: ${'9'.repeat(400)}s }`), 'load.duration', /is too long: at most 24h/],
  ['duration 25h', drillWith('{ rate: 10/s, duration: 25h }'), 'load.duration', /"25h" is too long: at most 24h/],
  ['rate 0/s', drillWith('{ rate: 0/s, duration: 5s }'), 'load.rate', /must be above 0/],
  ['rate 10^9/s', drillWith('{ rate: 1000000000/s, duration: 5s }'), 'load.rate', /is too high: at most 100000\/s/],
  ['rate -5/s', drillWith('{ rate: -5/s, duration: 5s }'), 'load.rate', /a rate cannot be negative/],
  ['a 1 MB value', drillWith(`{ rate: 10/s, duration: ${'x'.repeat(1_000_000)} }`), 'load.duration', /"x{40}\.\.\." is not a duration/],
  ['a heartbeat past a timer (2^31 ms)', drillWith(OK_LOAD, 'estate: { failover: { heartbeat_ms: 99999999999 } }\n'), 'estate.failover.heartbeat_ms', /at most 86400000 \(24 h\)/],
  ['a NUL byte', `name: t\x00\nload: ${OK_LOAD}\n`, '(file)', /binary data, not text \(a NUL byte at line 1, column 8\)/],
];

/** Runs `blackstart <args>`: exit code, output, time taken and the CLI's peak memory. */
async function cli(args: string[]) {
  const started = performance.now();
  const run = runNode([CLI, ...args], dir, { NODE_OPTIONS: `--require ${preload}` });
  const code = await run.exited;
  const ms = performance.now() - started;
  const stderr = run.err();
  const maxRssKiB = Number(/MAXRSS (\d+)/.exec(stderr)?.[1] ?? NaN);
  return { code, ms, stdout: run.out(), stderr: stderr.replace(/\nMAXRSS \d+\n/, ''), maxRssKiB };
}

/** A stack trace, or an exception printed as such. */
const STACK = /^\s+at .+[(:]\d+|^(TypeError|RangeError|ReferenceError|SyntaxError|Error):/m;

describe('hostile drill files: blackstart validate', () => {
  test.each(HOSTILE)('%s: exit 2, the file and the field named, no stack trace, bounded time and memory', async (name, content, field, says) => {
    const file = join(dir, `${name.replace(/\W+/g, '-')}.yaml`);
    writeFileSync(file, content);
    const r = await cli(['validate', file]);
    expect({ code: r.code, stdout: r.stdout }).toEqual({ code: 2, stdout: '' });
    const first = r.stderr.split('\n')[0];
    expect(first.startsWith(`${file}:`)).toBe(true);
    expect(first).toContain(`: ${field}: `);
    expect(first).toMatch(says);
    expect(r.stderr).toContain(`${file}: 1 problem(s); nothing was run`);
    expect(r.stderr).not.toMatch(STACK);
    expect(r.stderr.length).toBeLessThan(2_000);
    expect(r.ms).toBeLessThan(CLI_BOUND_MS);
    // The CLI alone takes about 90 MB; a file must not add more than a few tens.
    expect(r.maxRssKiB).toBeLessThan(250 * 1024);
  });

  test('a directory, a device that never ends, a missing file: exit 2, named', async () => {
    for (const [file, says] of [
      [dir, /a directory, not a file/],
      ['/dev/zero', /more than 1\.0 MiB: at most 1\.0 MiB is read/],
      [join(dir, 'missing.yaml'), /ENOENT/],
    ] as const) {
      const r = await cli(['validate', file]);
      expect({ code: r.code, first: r.stderr.split('\n')[0] }).toEqual({ code: 2, first: expect.stringMatching(new RegExp(`^${file}:0:0: \\(file\\): `)) });
      expect(r.stderr).toMatch(says);
      expect(r.ms).toBeLessThan(CLI_BOUND_MS);
    }
  });

  test('the same files as an estate file: refused in the drill that names it, at the estate file\'s own line', async () => {
    for (const [name, content, , says] of HOSTILE.filter(([, , field]) => field === '(file)')) {
      const estateFile = join(dir, `estate-${name.replace(/\W+/g, '-')}.yaml`);
      writeFileSync(estateFile, content);
      const drill = join(dir, 'uses-estate.yaml');
      writeFileSync(drill, `name: t\nestate: { file: ${estateFile} }\nload: ${OK_LOAD}\n`);
      const r = await cli(['validate', drill]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`${drill}:2:`);
      expect(r.stderr).toContain('estate.file: the estate file cannot be used:');
      expect(r.stderr).toContain(`${estateFile}:`);
      expect(r.stderr).toMatch(says);
      expect(r.stderr).not.toMatch(STACK);
      expect(r.ms).toBeLessThan(CLI_BOUND_MS);
    }
  }, 60_000);
});

describe('hostile files in-process: parseDrill, loadDrill, parseEstateFile, loadEstateFile', () => {
  test.each(HOSTILE)('%s: a DrillError and a FileProblemsError naming the file', (name, content, field, says) => {
    const file = join(dir, `inproc-${name.replace(/\W+/g, '-')}.yaml`);
    writeFileSync(file, content);
    const started = performance.now();
    expectRefused(() => loadDrill(file), DrillError, file, says, field);
    // An estate file reports its own fields; the file-level refusals are the same.
    if (field === '(file)') expectRefused(() => loadEstateFile(file), FileProblemsError, file, says, field);
    else expectRefused(() => loadEstateFile(file), FileProblemsError, file, /./);
    expect(performance.now() - started).toBeLessThan(CLI_BOUND_MS);
  });
});

function expectRefused(run: () => unknown, type: typeof FileProblemsError, file: string, says: RegExp, field?: string): void {
  let error: unknown;
  try {
    run();
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(type);
  const problems = (error as FileProblemsError).problems;
  expect(problems.length).toBeGreaterThan(0);
  expect(problems.every((p) => p.file === file && p.message.length > 0 && p.message.length < 2_000)).toBe(true);
  if (field !== undefined) expect(problems[0].path || '(file)').toBe(field);
  expect(problems.map((p) => p.message).join('\n')).toMatch(says);
}

test('the UTF-8 check agrees with TextDecoder\'s fatal mode on 20,000 random byte strings', () => {
  const rng = new Rng(SEED);
  const fatal = new TextDecoder('utf-8', { fatal: true });
  for (let i = 0; i < 20_000; i++) {
    const bytes = rng.bytes(1 + rng.int(12));
    // Bias towards multi-byte sequences, where the mistakes would be.
    if (i % 2) for (let k = 0; k < bytes.length; k++) bytes[k] |= rng.chance(0.7) ? 0x80 : 0;
    let valid = true;
    try {
      fatal.decode(bytes);
    } catch {
      valid = false;
    }
    if (valid !== firstInvalidUtf8(bytes) < 0) throw new Error(`disagree on ${bytes.toString('hex')}: TextDecoder says ${valid ? 'valid' : 'invalid'}`);
  }
});

// ---------------------------------------------------------------- mutants

const DRILLS = resolve(__dirname, '..', '..', 'drills');
const ESTATE_FILE = resolve(__dirname, '..', '..', 'estates', 'regional-patroni.yaml');

/** Fragments a mutant gets: each hostile in its own way, inserted at a random line and indentation. */
const FRAGMENTS = [
  aliasBomb(),
  `k: ${'['.repeat(5_000)}`,
  `k: ${'{a: '.repeat(2_000)}1${'}'.repeat(2_000)}`,
  'duration: 1e309s',
  'duration: -3s',
  `duration: ${'9'.repeat(400)}s`,
  'at: 25h',
  'rate: 0/s',
  'rate: 1000000000/s',
  'seed: .nan',
  'seed: -.inf',
  'max: 1e309',
  'restore_after: NaN',
  '<<: *nowhere',
  '? [complex, key]\n: value',
  'x: !!binary aGVsbG8=',
  'x: !!js/function "function () {}"',
  'x: !custom tag',
  '\tindented: with a tab',
  'name: "\\u0000\\ud800"',
  'key: value\nkey: duplicate',
  '---\nsecond: document',
  '%YAML 1.1\n---',
  'heartbeat_ms: 99999999999',
  'timeout_ms: -1',
  `description: ${'é'.repeat(10_000)}`,
  '&anchor\n*anchor',
  '\r',
  '\ufeff',
];

function mutate(text: string, rng: Rng): Buffer {
  const lines = text.split('\n');
  const edits = 1 + rng.int(3);
  for (let e = 0; e < edits; e++) {
    const at = rng.int(lines.length + 1);
    switch (rng.int(5)) {
      case 0:
      case 1: {
        const indent = ' '.repeat(rng.pick([0, 2, 4, 6]));
        lines.splice(at, 0, ...rng.pick(FRAGMENTS).split('\n').map((l) => indent + l));
        break;
      }
      case 2:
        lines.splice(at, 1);
        break;
      case 3:
        lines.splice(at, 0, lines[rng.int(lines.length)] ?? '');
        break;
      default:
        lines.length = Math.max(1, at);
    }
  }
  const bytes = Buffer.from(lines.join('\n'));
  // Now and then flip bytes.
  if (rng.chance(0.2)) for (let k = 0; k < 1 + rng.int(5); k++) bytes[rng.int(bytes.length)] = rng.int(256);
  return bytes;
}

describe(`mutants (seed ${SEED}, FUZZ_SEED to repeat)`, () => {
  const sources: [string, (text: string, file: string) => unknown, typeof FileProblemsError][] = [
    ...[
      'maidstone-san-outage.yaml',
      'failback.yaml',
      'network-latency.yaml',
      'async-replication-loss.yaml',
    ].map((f): [string, (text: string, file: string) => unknown, typeof FileProblemsError] => [join(DRILLS, f), parseDrill, DrillError]),
    [ESTATE_FILE, (text, file) => parseEstateFile(text, file, dir), FileProblemsError],
  ];

  test.each(sources)(`%s: ${MUTANTS} mutants, each accepted or refused with file:line:col problems`, (source, parse, type) => {
    const rng = new Rng(SEED ^ source.length);
    const original = readFileSync(source, 'utf8');
    let refused = 0;
    for (let i = 0; i < MUTANTS; i++) {
      const bytes = mutate(original, rng);
      const file = join(dir, `mutant-${i}.yaml`);
      const started = performance.now();
      let error: unknown;
      try {
        // Through the file reader (size, encoding), as the CLI reads it.
        writeFileSync(file, bytes);
        let text: string;
        try {
          text = readTextFile(file);
        } catch (e) {
          throw new type([{ file, line: 0, column: 0, path: '', message: (e as Error).message }]);
        }
        parse(text, file);
      } catch (e) {
        error = e;
      }
      const ms = performance.now() - started;
      if (error !== undefined) {
        refused++;
        if (!(error instanceof FileProblemsError)) throw new Error(`mutant ${i} of ${source} (seed ${SEED}) threw ${(error as Error).stack}\n--- mutant:\n${bytes.toString('latin1').slice(0, 2000)}`);
        for (const p of error.problems) {
          const ok = p.file === file && Number.isInteger(p.line) && p.line >= 0 && p.message.length > 0 && p.message.length < 2_000;
          if (!ok) throw new Error(`mutant ${i} of ${source} (seed ${SEED}): a problem ${JSON.stringify({ ...p, message: p.message.slice(0, 300) + (p.message.length > 300 ? `... (${p.message.length} characters)` : '') })}`);
        }
      }
      if (ms > 1_000) throw new Error(`mutant ${i} of ${source} (seed ${SEED}) took ${ms.toFixed(0)} ms`);
    }
    // Most mutants are refused; the point is that none escapes as an exception or a hang.
    expect(refused).toBeGreaterThan(MUTANTS / 3);
  });
});
