import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileProblemsError, type FileProblem } from '../../lib/located_yaml';
import { DrillError, parseDrill } from '../../harness/drill/load';
import { EstateParameterError } from '../../services/estate/parameters';
import { loadEstateFile, parseEstateFile } from '../../services/estate/estate_file';

/** An estate file with a parameter of choices (a replication mode) and a plain one. */
const DB = `name: db
sites: [dc1, dc2]
parameters:
  replication:
    default: sync
    choices:
      async: { sync: "false", strict: "false" }
      sync: { sync: "true", strict: "false" }
      sync-strict: { sync: "true", strict: "true" }
  lag:
    default: "1048576"
components:
  - name: db
    per_site: true
    role: storage
    ports: { pg: auto }
    process: { command: db, args: ["--mode=\${param:replication}"] }
    files:
      conf.yml: "sync: \${param:replication.sync}\\nstrict: \${param:replication.strict}\\nlag: \${param:lag}\\n"
    health: { tcp: { port: pg } }
links:
  - { name: clients, to: "dc1-db:pg" }
entry: { link: clients, services: { pas: /pas } }
`;

function fileProblems(text: string, parameters: Record<string, string> = {}): FileProblem[] {
  try {
    parseEstateFile(text, 'estate.yaml', '/srv', parameters);
  } catch (e) {
    if (e instanceof FileProblemsError) return e.problems;
    throw e;
  }
  throw new Error('expected the estate file to be refused');
}

const lineOf = (text: string, needle: string) => text.split('\n').findIndex((l) => l.includes(needle)) + 1;

describe('estate file parameters', () => {
  it('renders the defaults, or a drill’s values, into every string', () => {
    const conf = (p: Record<string, string>) => {
      const plan = parseEstateFile(DB, 'estate.yaml', '/srv', p);
      const db = plan.components.find((c) => c.name === 'dc2-db')!;
      return [plan.parameters, db.spec.process!.args[0], db.spec.files['conf.yml']];
    };
    expect(conf({})).toEqual([{ replication: 'sync', lag: '1048576' }, '--mode=sync', 'sync: true\nstrict: false\nlag: 1048576\n']);
    expect(conf({ replication: 'async', lag: '0' })).toEqual([{ replication: 'async', lag: '0' }, '--mode=async', 'sync: false\nstrict: false\nlag: 0\n']);
    expect(conf({ replication: 'sync-strict' })[2]).toBe('sync: true\nstrict: true\nlag: 1048576\n');
  });

  it('refuses a value that is no choice, or a parameter the file lacks, naming it', () => {
    let err: unknown;
    try {
      parseEstateFile(DB, 'estate.yaml', '/srv', { replication: 'quorum', lag2: '1' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(EstateParameterError);
    expect((err as EstateParameterError).refused).toEqual([
      { name: 'replication', message: '"quorum" is not one of async, sync, sync-strict' },
      { name: 'lag2', message: 'the estate file has no parameter "lag2" (parameters: replication, lag)' },
    ]);
  });

  it('finds the file’s own mistakes at file:line:col', () => {
    const bad = DB.replace('default: sync', 'default: fast').replace('sync: { sync: "true", strict: "false" }', 'sync: { sync: "true" }').replace('${param:lag}', '${param:lagg}').replace('${param:replication.sync}', '${param:replication.synch}');
    const found = fileProblems(bad).map((p) => [p.line, p.path, p.message]);
    expect(found).toEqual(
      expect.arrayContaining([
        [lineOf(bad, 'default: fast'), 'parameters.replication.default', '"fast" is not one of the choices (async, sync, sync-strict)'],
        [lineOf(bad, 'sync: { sync: "true" }'), 'parameters.replication.choices.sync', 'every choice sets the same keys: sync sets (sync), async sets (strict, sync)'],
        [lineOf(bad, 'conf.yml'), 'components.0.files.conf.yml', '${param:lagg}: no parameter "lagg" (parameters: replication, lag)'],
        [lineOf(bad, 'conf.yml'), 'components.0.files.conf.yml', '${param:replication.synch}: the choices of "replication" set no key "synch" (keys: sync, strict)'],
      ]),
    );
    const plain = fileProblems(DB.replace('${param:lag}', '${param:lag.x}'));
    expect(plain.map((p) => p.message)).toEqual(['${param:lag.x}: parameter "lag" has no choices: refer to it as ${param:lag}']);
  });

  it('a drill’s parameter the estate refuses is reported at the drill’s own line', () => {
    const dir = mkdtempSync(join(tmpdir(), 'blackstart-params-'));
    try {
      writeFileSync(join(dir, 'estate.yaml'), DB);
      const drill = `name: p\nestate:\n  file: estate.yaml\n  parameters:\n    replication: quorum\nload: { rate: 1/s, duration: 1s }\n`;
      let err: unknown;
      try {
        parseDrill(drill, join(dir, 'drill.yaml'));
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(DrillError);
      expect((err as DrillError).problems).toEqual([expect.objectContaining({ line: 5, path: 'estate.parameters.replication', message: '"quorum" is not one of async, sync, sync-strict' })]);
      expect(loadEstateFile(join(dir, 'estate.yaml'), { replication: 'async' }).parameters).toEqual({ replication: 'async', lag: '1048576' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the shipped Patroni estate takes each replication mode', () => {
    const file = join(__dirname, '..', '..', 'estates', 'regional-patroni.yaml');
    const yml = (replication: string) => loadEstateFile(file, { replication }).components.find((c) => c.name === 'dc1-db')!.spec.files['patroni.yml'];
    expect(yml('async')).toMatch(/synchronous_mode: false\n\s+synchronous_mode_strict: false/);
    expect(yml('sync')).toMatch(/synchronous_mode: true\n\s+synchronous_mode_strict: false/);
    expect(yml('sync-strict')).toMatch(/synchronous_mode: true\n\s+synchronous_mode_strict: true/);
  });
});
