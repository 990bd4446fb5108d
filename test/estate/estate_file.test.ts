import { FileProblemsError, type FileProblem } from '../../lib/located_yaml';
import { parseEstateFile, render, type EstatePlan } from '../../services/estate/estate_file';

/** Two sites of a small key-value app with a store, a shared front door: an estate no shipped code knows. */
const KV = `name: kv
description: two sites of a small key-value app with a store
sites: [dc1, dc2]
components:
  - name: store
    per_site: true
    role: storage
    ports: { tcp: auto }
    process: { command: node, args: [store.js, "\${port:tcp}", "\${data}"] }
    health: { tcp: { port: tcp } }
    data: true
  - name: app
    per_site: true
    role: app
    ports: { http: auto }
    process: { command: node, args: [app.js] }
    env:
      PORT: "\${port:http}"
      STORE: "\${link:\${site}-store}"
      SITE: "\${site}"
      TOKEN: "\${env:KV_TOKEN}"
    health: { http: { port: http, path: /health } }
    after: ["\${site}-store"]
  - name: frontdoor
    role: entry
    ports: { http: 18080 }
    process: { command: node, args: [frontdoor.js, "\${bind}:\${port:http}"] }
    files:
      routes.json: '{"dc1": "\${link:dc1-app}", "dc2": "\${link:dc2-app}", "admin": "\${host:dc1-store}:\${port:dc1-store.tcp}"}'
    health: { http: { port: http } }
    after: [dc1-app, dc2-app]
links:
  - { name: "\${site}-store", per_site: true, to: "\${site}-store:tcp" }
  - { name: "\${site}-app", per_site: true, to: "\${site}-app:http" }
  - { name: clients, to: "frontdoor:http" }
entry: { link: clients, services: { pas: /pas } }
`;

function problems(text: string): FileProblem[] {
  try {
    parseEstateFile(text, 'estate.yaml', '/srv/kv');
  } catch (e) {
    if (e instanceof FileProblemsError) return e.problems;
    throw e;
  }
  throw new Error('expected the estate file to be refused');
}

const lineOf = (text: string, needle: string) => text.split('\n').findIndex((l) => l.includes(needle)) + 1;

describe('estate files', () => {
  let plan: EstatePlan;
  beforeAll(() => {
    plan = parseEstateFile(KV, 'estate.yaml', '/srv/kv');
  });

  it('expands per-site components and links, one per site', () => {
    expect(plan.components.map((c) => [c.name, c.site, c.role])).toEqual([
      ['dc1-store', 'dc1', 'storage'],
      ['dc2-store', 'dc2', 'storage'],
      ['dc1-app', 'dc1', 'app'],
      ['dc2-app', 'dc2', 'app'],
      ['frontdoor', undefined, 'entry'],
    ]);
    expect(plan.links).toEqual([
      { name: 'dc1-store', to: { component: 'dc1-store', port: 'tcp' } },
      { name: 'dc2-store', to: { component: 'dc2-store', port: 'tcp' } },
      { name: 'dc1-app', to: { component: 'dc1-app', port: 'http' } },
      { name: 'dc2-app', to: { component: 'dc2-app', port: 'http' } },
      { name: 'clients', to: { component: 'frontdoor', port: 'http' } },
    ]);
    expect(plan.components[2].after).toEqual(['dc1-store']);
  });

  it('orders the start by `after`: stores, then apps, then the front door', () => {
    expect(plan.startOrder).toEqual([['dc1-store', 'dc2-store'], ['dc1-app', 'dc2-app'], ['frontdoor']]);
  });

  it('renders a component with every reference resolved, through the links', () => {
    const app = plan.components.find((c) => c.name === 'dc2-app')!;
    const ctx = {
      ports: { 'dc1-store': { tcp: 20001 }, 'dc2-store': { tcp: 20002 }, 'dc1-app': { http: 20003 }, 'dc2-app': { http: 20004 }, frontdoor: { http: 18080 } },
      linkPorts: { 'dc1-store': 21001, 'dc2-store': 21002, 'dc1-app': 21003, 'dc2-app': 21004, clients: 21005 },
      proxyHost: '127.0.0.1',
      hostOf: (c: string) => `host-of-${c}`,
      bind: '0.0.0.0',
      dataDir: '/data/dc2-app',
      env: { KV_TOKEN: 's3cret' },
    };
    expect(render(plan, app, ctx)).toEqual({
      command: 'node',
      args: ['app.js'],
      dockerCommand: undefined,
      cwd: undefined,
      env: { PORT: '20004', STORE: '127.0.0.1:21002', SITE: 'dc2', TOKEN: 's3cret' },
      files: [],
    });
    const frontdoor = render(plan, plan.components.find((c) => c.name === 'frontdoor')!, ctx);
    expect(frontdoor.args).toEqual(['frontdoor.js', '0.0.0.0:18080']);
    expect(JSON.parse(frontdoor.files[0].content)).toEqual({ dc1: '127.0.0.1:21003', dc2: '127.0.0.1:21004', admin: 'host-of-dc1-store:20001' });
    expect(() => render(plan, app, { ...ctx, env: {} })).toThrow('estate.yaml: dc2-app env.TOKEN: ${env:KV_TOKEN}: the environment variable KV_TOKEN is not set');
  });

  it('refuses an unknown component in a reference, at its line', () => {
    const text = KV.replace('"${link:dc1-app}"', '"${link:dc3-app}"').replace('"${host:dc1-store}', '"${host:dc9-store}');
    const p = problems(text);
    expect(p.map((x) => x.message)).toEqual([
      '${link:dc3-app}: no link "dc3-app" (links: dc1-store, dc2-store, dc1-app, dc2-app, clients)',
      '${host:dc9-store}: no component "dc9-store"',
    ]);
    expect(p[0]).toMatchObject({ file: 'estate.yaml', path: 'components.2.files.routes.json', line: lineOf(text, 'routes.json') });
  });

  it('refuses a link to a port that does not exist', () => {
    const text = KV.replace('to: "${site}-store:tcp"', 'to: "${site}-store:sql"');
    const p = problems(text);
    expect(p).toHaveLength(2);
    expect(p[0]).toMatchObject({ path: 'links.0.to', line: lineOf(text, 'store:sql'), message: 'component "dc1-store" has no port "sql" (ports: tcp)' });
  });

  it('takes the sites the file names; a witness site hosts only the shared components that name it', () => {
    const text = KV.replace('sites: [dc1, dc2]', 'sites: [dc1, dc2, { name: quorum, witness: true }]').replace(
      '  - name: frontdoor\n',
      '  - name: arbiter\n    site: quorum\n    ports: { tcp: auto }\n    process: { command: node, args: [arbiter.js] }\n    health: { tcp: { port: tcp } }\n  - name: frontdoor\n',
    );
    const p = parseEstateFile(text, 'estate.yaml', '/srv/kv');
    expect(p.sites).toEqual(['dc1', 'dc2', 'quorum']);
    expect(p.servingSites).toEqual(['dc1', 'dc2']);
    // Per-site components and links at the serving sites only; the arbiter at the witness.
    expect(p.components.filter((c) => c.site === 'quorum').map((c) => c.name)).toEqual(['arbiter']);
    expect(p.components.some((c) => c.name.startsWith('quorum-'))).toBe(false);
    expect(p.links.some((l) => l.name.startsWith('quorum-'))).toBe(false);
    expect(Object.keys(p.endpoints.sites)).toEqual(['dc1', 'dc2']);
  });

  it('refuses a site name that is not one, a site declared twice, and an estate of witnesses only', () => {
    const names = problems(KV.replace('sites: [dc1, dc2]', 'sites: [dc1, DC-2, active, dc1]'));
    expect(names.map((x) => `${x.path}: ${x.message}`)).toEqual([
      'sites.1: a site name is lower-case letters and digits, starting with a letter (no "-": its parts are named <site>-<part>)',
      'sites.2: active and standby are the roles a fault may name a site by, not site names',
    ]);
    const twice = problems(KV.replace('sites: [dc1, dc2]', 'sites: [dc1, dc2, dc1]'));
    expect(twice.map((x) => `${x.path}: ${x.message}`)).toEqual(['sites.2: site "dc1" is declared twice']);
    const witnesses = problems(KV.replace('sites: [dc1, dc2]', 'sites: [{ name: dc1, witness: true }]'));
    expect(witnesses.map((x) => `${x.path}: ${x.message}`)).toEqual(['sites: every site is a witness: at least one site must serve']);
  });

  it('refuses a cycle in the start order', () => {
    const text = KV.replace('process: { command: node, args: [store.js', 'after: [frontdoor]\n    process: { command: node, args: [store.js');
    const p = problems(text);
    expect(p).toHaveLength(1);
    expect(p[0].message).toMatch(/^start order has a cycle: dc1-store -> frontdoor -> dc1-app -> dc1-store$/);
  });

  it('refuses two components on one fixed port', () => {
    const text = KV.replace('ports: { http: auto }', 'ports: { http: 18080 }');
    const p = problems(text);
    // Per site: the dc1 app takes 18080 first, then dc2's app and the front door collide with it.
    expect(p.map((x) => x.message)).toEqual([
      "port 18080 is also dc1-app.http's: two components cannot listen on one fixed port",
      "port 18080 is also dc1-app.http's: two components cannot listen on one fixed port",
    ]);
    // The second problem is the front door's own port, on its own line.
    const frontdoorPorts = text.split('\n').findIndex((l, i) => i > lineOf(text, 'name: frontdoor') && l.includes('ports: { http: 18080 }')) + 1;
    expect(p[1]).toMatchObject({ path: 'components.2.ports.http', line: frontdoorPorts });
  });

  it('refuses unknown keys and references, a port the health check lacks, and a missing entry link', () => {
    const text = KV.replace('role: storage', 'role: storage\n    volumes: 3')
      .replace('"${site}"', '"${region}"')
      .replace('health: { tcp: { port: tcp } }', 'health: { tcp: { port: sql } }')
      .replace('entry: { link: clients', 'entry: { link: customers');
    const schema = problems(text);
    expect(schema).toEqual([expect.objectContaining({ path: 'components.0.volumes', message: 'unknown key "volumes"', line: lineOf(text, 'volumes: 3') })]);
    const refs = problems(text.replace('\n    volumes: 3', ''));
    expect(refs.map((x) => `${x.path}: ${x.message}`)).toEqual([
      'entry.link: no link "customers" (links: dc1-store, dc2-store, dc1-app, dc2-app, clients)',
      'components.0.health: no port "sql" on dc1-store (ports: tcp)',
      'components.0.health: no port "sql" on dc2-store (ports: tcp)',
      'components.1.env.SITE: unknown reference ${region} (references: ${site}, ${name}, ${port:...}, ${link:...}, ${host:...}, ${bind}, ${data}, ${env:...}, ${config:...}, ${proxy})',
      'components.1.env.SITE: unknown reference ${region} (references: ${site}, ${name}, ${port:...}, ${link:...}, ${host:...}, ${bind}, ${data}, ${env:...}, ${config:...}, ${proxy})',
    ]);
  });

  it('refuses a YAML syntax error at its position', () => {
    const p = problems('name: kv\nsites: [dc1\n');
    expect(p[0]).toMatchObject({ file: 'estate.yaml', line: expect.any(Number), message: expect.stringMatching(/^YAML: /) });
  });
});
