import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeHook, fileHooks, journalHooks, maskSecrets, refusedUrl, renderTemplate, templateRefs, TemplateError, type Hook, type StatusProbe } from '../../model/hooks';
import { HookError, HookRefused, pollProbe, runHook, runHookStep } from '../../services/runtime';

/**
 * Hooks (model/hooks.ts) and their runner (services/runtime/external/hooks.ts): the schemas, the
 * templates and secrets, the allow-list, commands (exit codes, timeouts) and HTTP calls (statuses,
 * headers) against a local server, and status probes polled to a deadline.
 */

const hook = (input: unknown): Hook => fileHooks.hook.parse(input);
const probe = (input: unknown): StatusProbe => fileHooks.probe.parse(input);
const issues = (schema: { safeParse(v: unknown): { success: boolean; error?: { issues: { path: PropertyKey[]; message: string }[] } } }, input: unknown) =>
  (schema.safeParse(input).error?.issues ?? []).map((i) => `${i.path.join('.')}: ${i.message}`);

const LOCAL = ['127.0.0.1'];
const opts = (vars: Record<string, string> = {}, env: NodeJS.ProcessEnv = {}) => ({ vars, allowedHosts: LOCAL, where: 'test.hook', env: { ...process.env, ...env } });

describe('hook schemas', () => {
  it('a command hook and an http hook, times with units, defaults filled in', () => {
    expect(hook({ command: { path: 'docker', args: ['kill', 'x'], timeout: '15s' } })).toEqual({ command: { path: 'docker', args: ['kill', 'x'], timeout: 15_000, expect_exit: 0 } });
    expect(hook({ http: { url: 'https://v.example/x', method: 'POST', timeout: '2s', expect_status: [200, 202] } })).toEqual({
      http: { url: 'https://v.example/x', method: 'POST', timeout: 2000, expect_status: [200, 202] },
    });
    // GET by default, as Chaos Toolkit's http provider.
    expect(hook({ http: { url: 'http://a/', timeout: '1s' } }).http!.method).toBe('GET');
  });

  it('refuses a hook that is neither or both, unknown keys, a bare number for a time', () => {
    expect(issues(fileHooks.hook, {})).toEqual([': a hook is one of { command: { path, args, timeout, ... } } or { http: { method, url, timeout, ... } }']);
    expect(issues(fileHooks.hook, { command: { path: 'a', timeout: '1s' }, http: { url: 'http://a', timeout: '1s' } })).toHaveLength(1);
    expect(issues(fileHooks.hook, { command: { path: 'a', timeout: '1s', shell: true } })).toEqual(['command: Unrecognized key: "shell"']);
    expect(issues(fileHooks.hook, { command: { path: 'a', timeout: 1000 } })).toEqual(['command.timeout: must be a duration string such as "15s"']);
  });

  it('a probe says what it waits for; an http probe cannot wait for an exit code', () => {
    expect(probe({ http: { url: 'http://a/', timeout: '1s' }, until: { status: 200 }, every: '100ms', deadline: '5s' })).toMatchObject({ until: { status: 200 }, every: 100, deadline: 5000 });
    expect(issues(fileHooks.probe, { http: { url: 'http://a/', timeout: '1s' }, until: { exit: 0 }, deadline: '5s' })).toEqual(['until.exit: an http probe answers a status, not an exit code']);
    expect(issues(fileHooks.probe, { command: { path: 'a', timeout: '1s' }, until: {}, deadline: '5s' })).toEqual(['until: until needs exit, status or body_contains']);
  });

  it('the journal form takes the parsed hook back (times in ms)', () => {
    const parsed = hook({ command: { path: 'a', args: ['${site}'], timeout: '3s' } });
    expect(journalHooks.hook.parse(JSON.parse(JSON.stringify(parsed)))).toEqual(parsed);
  });
});

describe('templates and secrets', () => {
  it('fills variables and environment variables; $${ is a literal', () => {
    expect(renderTemplate('kill ${site}-san $${site}', { site: 'dc1' }, { run: {} }, 'f')).toBe('kill dc1-san ${site}');
    expect(renderTemplate('Bearer ${env:TOKEN}', {}, { run: { TOKEN: 's3cret' } }, 'f')).toBe('Bearer s3cret');
    // Shown (a dry run): the secret stays as written.
    expect(renderTemplate('Bearer ${env:TOKEN}', {}, 'show', 'f')).toBe('Bearer ${env:TOKEN}');
  });

  it('a variable nobody fills in and an environment variable not set are errors naming the field', () => {
    expect(() => renderTemplate('${host}', { site: 'dc1' }, 'show', 'hooks.power_cut.inject.http.url')).toThrow(
      new TemplateError('hooks.power_cut.inject.http.url: no value for ${host} (known: site)'),
    );
    expect(() => renderTemplate('${env:NOPE}', {}, { run: {} }, 'x.headers.Authorization')).toThrow('x.headers.Authorization: environment variable NOPE is not set (${env:NOPE})');
    expect(templateRefs('${site} ${env:A} ${Bad-Name} ${env:1x}')).toEqual({
      vars: ['site'],
      env: ['A'],
      problems: [expect.stringMatching(/^\$\{Bad-Name\}: not a variable/), expect.stringMatching(/^\$\{env:1x\}: an environment variable's name/)],
    });
  });

  it('describeHook (the dry run) fills variables and leaves secrets as ${env:NAME}', () => {
    const h = hook({ http: { method: 'POST', url: 'https://v.example/sites/${site}/power', headers: { Authorization: 'Bearer ${env:TOKEN}' }, body: { state: 'off' }, timeout: '5s' } });
    expect(describeHook(h, { site: 'dc2' })).toBe(
      `POST https://v.example/sites/dc2/power -H 'Authorization: Bearer \${env:TOKEN}' body {"state":"off"}; timeout 5000 ms, expect any 2xx`,
    );
    expect(maskSecrets('token s3cret in s3cret', ['s3cret'])).toBe('token *** in ***');
  });

  it('the allow-list: a host, a host with a port, a wildcard domain; anything else refused', () => {
    const allowed = ['vendor.example.org', '127.0.0.1:8080', '*.staging.example.org'];
    expect(refusedUrl('https://vendor.example.org/x', allowed)).toBeUndefined();
    expect(refusedUrl('http://127.0.0.1:8080/', allowed)).toBeUndefined();
    expect(refusedUrl('http://a.staging.example.org/', allowed)).toBeUndefined();
    expect(refusedUrl('http://127.0.0.1:9090/', allowed)).toBe('http://127.0.0.1:9090/: host 127.0.0.1:9090 is not on allowed_hosts (vendor.example.org, 127.0.0.1:8080, *.staging.example.org)');
    expect(refusedUrl('https://evil.example.com/', allowed)).toMatch(/host evil.example.com is not on allowed_hosts/);
    expect(refusedUrl('http://staging.example.org/', allowed)).toMatch(/not on allowed_hosts/);
    expect(refusedUrl('file:///etc/passwd', allowed)).toMatch(/only http and https/);
  });
});

describe('the hook runner: commands', () => {
  it('runs without a shell, with args and env; a different exit code fails with the output', async () => {
    const run = await runHook(hook({ command: { path: 'sh', args: ['-c', 'echo "$1 $GREETING"', 'sh', '${site}'], env: { GREETING: 'hello' }, timeout: '5s' } }), opts({ site: 'dc1' }));
    expect(run).toMatchObject({ exit: 0, output: 'dc1 hello\n' });
    await expect(runHook(hook({ command: { path: 'sh', args: ['-c', 'echo no such site >&2; exit 3'], timeout: '5s' } }), opts())).rejects.toThrow(
      new HookError('test.hook: sh exited 3 (expected 0): no such site'),
    );
    // expect_exit: a command whose success is another code.
    await expect(runHook(hook({ command: { path: 'sh', args: ['-c', 'exit 3'], timeout: '5s', expect_exit: 3 } }), opts())).resolves.toMatchObject({ exit: 3 });
    await expect(runHook(hook({ command: { path: '/no/such/program', timeout: '5s' } }), opts())).rejects.toThrow(/cannot run \/no\/such\/program: .*ENOENT/);
  });

  it('a command past its timeout is killed, with what it started', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'blackstart-hook-'));
    const t0 = performance.now();
    await expect(runHook(hook({ command: { path: 'sh', args: ['-c', `sleep 5; touch ${dir}/late`], timeout: '300ms' } }), opts())).rejects.toThrow(
      'test.hook: sh did not finish within 300 ms (killed)',
    );
    expect(performance.now() - t0).toBeLessThan(2000);
    await new Promise((r) => setTimeout(r, 300));
    expect(existsSync(join(dir, 'late'))).toBe(false);
  });

  it('a secret from the environment reaches the command and is masked in what comes back; missing, nothing runs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'blackstart-hook-'));
    const h = hook({ command: { path: 'sh', args: ['-c', `echo token=$TOKEN; touch ${dir}/ran; exit 1`], env: { TOKEN: '${env:BLACKSTART_TEST_SECRET}' }, timeout: '5s' } });
    const failed = runHook(h, opts({}, { BLACKSTART_TEST_SECRET: 'hunter2-secret' }));
    await expect(failed).rejects.toThrow('test.hook: sh exited 1 (expected 0): token=***');
    expect(existsSync(join(dir, 'ran'))).toBe(true);

    const missing = mkdtempSync(join(tmpdir(), 'blackstart-hook-'));
    const env = { ...process.env };
    delete env.BLACKSTART_TEST_SECRET;
    const h2 = hook({ command: { path: 'touch', args: [`${missing}/ran`], env: { TOKEN: '${env:BLACKSTART_TEST_SECRET}' }, timeout: '5s' } });
    await expect(runHook(h2, { ...opts(), env })).rejects.toThrow(new HookRefused('test.hook.command.env.TOKEN: environment variable BLACKSTART_TEST_SECRET is not set (${env:BLACKSTART_TEST_SECRET})'));
    expect(existsSync(join(missing, 'ran'))).toBe(false);
  });

  it('a command argument that is a URL off the allowed hosts is refused before anything runs', async () => {
    await expect(runHook(hook({ command: { path: 'curl', args: ['-X', 'POST', 'https://prod.example.org/power/off'], timeout: '5s' } }), opts())).rejects.toThrow(
      'test.hook.command.args.2 refused: https://prod.example.org/power/off: host prod.example.org is not on allowed_hosts (127.0.0.1)',
    );
  });
});

describe('the hook runner: HTTP and status probes', () => {
  let server: http.Server;
  let base: string;
  const seen: { method: string; url: string; headers: http.IncomingHttpHeaders; body: string }[] = [];
  let answers: number[] = [];

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        seen.push({ method: req.method!, url: req.url!, headers: req.headers, body });
        if (req.url === '/redirect') {
          res.writeHead(302, { location: 'http://evil.example.com/' }).end();
          return;
        }
        if (req.url === '/slow') {
          const timer = setTimeout(() => res.end('late'), 2000);
          res.on('close', () => clearTimeout(timer));
          return;
        }
        const status = req.url === '/status' ? (answers.shift() ?? 200) : 200;
        res.writeHead(status, { 'content-type': 'text/plain' }).end(req.url === '/status' ? (status === 200 ? 'state: on' : 'state: booting') : `echo ${req.headers.authorization ?? ''}`);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });
  beforeEach(() => {
    seen.length = 0;
    answers = [];
  });

  it('sends method, headers (secret from the environment), JSON body; checks the status; masks the secret', async () => {
    const h = hook({ http: { method: 'POST', url: `${base}/sites/\${site}/power`, headers: { Authorization: 'Bearer ${env:BLACKSTART_TEST_SECRET}' }, body: { state: 'off' }, timeout: '2s' } });
    const run = await runHook(h, opts({ site: 'dc1' }, { BLACKSTART_TEST_SECRET: 'hunter2-secret' }));
    expect(seen).toEqual([expect.objectContaining({ method: 'POST', url: '/sites/dc1/power', body: '{"state":"off"}' })]);
    expect(seen[0].headers).toMatchObject({ authorization: 'Bearer hunter2-secret', 'content-type': 'application/json' });
    // The server echoed the secret: it comes back masked.
    expect(run).toMatchObject({ status: 200, output: 'echo Bearer ***' });
    await expect(runHook(hook({ http: { url: `${base}/x`, timeout: '2s', expect_status: [204] } }), opts())).rejects.toThrow(/test.hook: GET http:\/\/127.0.0.1:\d+\/x answered 200 \(expected 204\)/);
  });

  it('a timeout, a redirect (never followed), a refused URL (never called)', async () => {
    await expect(runHook(hook({ http: { url: `${base}/slow`, timeout: '200ms' } }), opts())).rejects.toThrow(/no answer within 200 ms/);
    await expect(runHook(hook({ http: { url: `${base}/redirect`, timeout: '2s' } }), opts())).rejects.toThrow(/answered 302/);
    seen.length = 0;
    await expect(runHook(hook({ http: { url: `${base}/x`, timeout: '2s' } }), { ...opts(), allowedHosts: ['vendor.example.org'] })).rejects.toThrow(/test.hook.http.url refused: .* not on allowed_hosts \(vendor.example.org\)/);
    expect(seen).toEqual([]);
  });

  it('a status probe is polled until it matches', async () => {
    answers = [503, 503, 503];
    const run = await pollProbe(probe({ http: { url: `${base}/status`, timeout: '1s' }, until: { status: 200, body_contains: 'on' }, every: '50ms', deadline: '5s' }), opts());
    expect(run.status).toBe(200);
    expect(seen.length).toBe(4);
  });

  it('a status probe that does not match by its deadline fails with its last answer', async () => {
    answers = Array(100).fill(503);
    const t0 = performance.now();
    await expect(pollProbe(probe({ http: { url: `${base}/status`, timeout: '1s' }, until: { status: 200 }, every: '50ms', deadline: '400ms' }), opts())).rejects.toThrow(
      /test.hook: status probe did not match until status 200, every 50 ms, deadline 400 ms \(\d+ tries\); last: status 503: state: booting/,
    );
    expect(performance.now() - t0).toBeLessThan(1500);
    // A command probe: an exit code, the output.
    await expect(pollProbe(probe({ command: { path: 'sh', args: ['-c', 'echo running'], timeout: '1s' }, until: { exit: 0, body_contains: 'running' }, deadline: '1s' }), opts())).resolves.toMatchObject({ exit: 0 });
  });

  it('a journaled rollback step runs the hook and its probe from the step alone', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'blackstart-hook-'));
    const step = {
      type: 'hook' as const,
      fault: 'power_cut',
      source: 'estate.external.hooks.power_cut.rollback',
      hook: hook({ command: { path: 'sh', args: ['-c', `echo "on $0 $TOKEN" >> ${dir}/rollback`, '${site}'], env: { TOKEN: '${env:BLACKSTART_TEST_SECRET}' }, timeout: '5s' } }),
      status: probe({ http: { url: `${base}/status`, timeout: '1s' }, until: { status: 200 }, every: '50ms', deadline: '2s' }),
      vars: { site: 'dc2' },
      allowed_hosts: LOCAL,
    };
    const done = await runHookStep(step, { ...process.env, BLACKSTART_TEST_SECRET: 'tok' });
    expect(done).toMatch(/^ran estate.external.hooks.power_cut.rollback \(.*TOKEN=\$\{env:BLACKSTART_TEST_SECRET\}.*\): exit 0, status probe matched$/);
    expect(readFileSync(join(dir, 'rollback'), 'utf8')).toBe('on dc2 tok\n');
  });
});
