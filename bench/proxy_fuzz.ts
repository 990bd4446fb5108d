import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import { join } from 'node:path';
import { TOXIC_TYPES, toxicAttributes } from '../model/toxics';
import type { Estate } from '../services/runtime';

/**
 * Fuzzing the Toxiproxy-compatible API (issue 14): generated hostile requests against a running
 * proxy server, every answer checked, traffic through the server's own proxies checked every few
 * requests, and its memory read before and after. Used by test/proxy/fuzz.test.ts (a bounded
 * count) and by `npm run bench:fuzz-proxy` (10,000 by default, BENCH_FUZZ_REQUESTS).
 *
 * Deterministic: request i is generated from the seed alone (never from an answer), so a seed
 * and an index name one request. Traffic goes to 127.0.0.1 (and ::1) only: a listen or upstream
 * never names a host but an address or `localhost`, so no name is ever looked up in the DNS; no
 * listen binds a wildcard address or a fixed port other than one the server already holds.
 */

// ---------------------------------------------------------------- a small seeded generator

/** xorshift32 (Marsaglia): deterministic, fast, good enough to pick cases. */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0 || 0x9e3779b9;
  }
  next(): number {
    let x = this.s;
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    this.s = x >>> 0;
    return this.s / 0x100000000;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }
  bytes(n: number): Buffer {
    const b = Buffer.alloc(n);
    for (let i = 0; i < n; i++) b[i] = this.int(256);
    return b;
  }
}

// ---------------------------------------------------------------- the API's routes (proxy/api.ts)

type RouteKind =
  | 'list'
  | 'create'
  | 'populate'
  | 'proxy'
  | 'proxy-update'
  | 'proxy-delete'
  | 'toxics'
  | 'toxic-create'
  | 'toxic'
  | 'toxic-update'
  | 'toxic-delete'
  | 'reset'
  | 'version'
  | 'metrics';

// `*` is a parameter: a non-empty segment.
const ROUTES: { parts: string[]; methods: Record<string, RouteKind> }[] = [
  { parts: ['proxies'], methods: { GET: 'list', POST: 'create' } },
  { parts: ['populate'], methods: { POST: 'populate' } },
  { parts: ['proxies', '*'], methods: { GET: 'proxy', POST: 'proxy-update', PATCH: 'proxy-update', DELETE: 'proxy-delete' } },
  { parts: ['proxies', '*', 'toxics'], methods: { GET: 'toxics', POST: 'toxic-create' } },
  { parts: ['proxies', '*', 'toxics', '*'], methods: { GET: 'toxic', POST: 'toxic-update', PATCH: 'toxic-update', DELETE: 'toxic-delete' } },
  { parts: ['reset'], methods: { POST: 'reset' } },
  { parts: ['version'], methods: { GET: 'version' } },
  { parts: ['metrics'], methods: { GET: 'metrics' } },
];

/**
 * What the server should do with a method and path: its route and parameters, or the mux's
 * answer. Segments are unescaped one by one, so `a%2Fb` names `a/b`.
 */
function routeOf(method: string, rawPath: string): { kind: RouteKind; params: string[] } | { status: 400 | 404 | 405 } {
  let segments: string[];
  try {
    segments = rawPath.split('?')[0].split('/').map(decodeURIComponent);
  } catch {
    return { status: 400 };
  }
  if (segments.shift() !== '') return { status: 404 };
  for (const r of ROUTES) {
    if (r.parts.length !== segments.length || !r.parts.every((p, i) => (p === '*' ? segments[i] !== '' : p === segments[i]))) continue;
    const kind = r.methods[method];
    return kind ? { kind, params: segments.filter((_, i) => r.parts[i] === '*') } : { status: 405 };
  }
  return { status: 404 };
}

// ---------------------------------------------------------------- checking an answer

export interface Answer {
  status: number;
  type: string | undefined;
  body: string;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function toxicProblem(t: unknown): string | undefined {
  if (!isObject(t)) return 'a toxic is not an object';
  if (typeof t.name !== 'string' || !TOXIC_TYPES.includes(t.type as never)) return 'a toxic without a name or with an unknown type';
  if (t.stream !== 'upstream' && t.stream !== 'downstream') return `a toxic with stream ${JSON.stringify(t.stream)}`;
  if (typeof t.toxicity !== 'number' || !Number.isFinite(t.toxicity)) return 'a toxic without a finite toxicity';
  if (!isObject(t.attributes) || !Object.values(t.attributes).every((v) => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0)) {
    return `a toxic with attributes ${JSON.stringify(t.attributes)}`;
  }
  return undefined;
}

function proxyProblem(p: unknown, name?: string): string | undefined {
  if (!isObject(p)) return 'a proxy is not an object';
  if (typeof p.name !== 'string' || typeof p.listen !== 'string' || typeof p.upstream !== 'string' || typeof p.enabled !== 'boolean') return 'a proxy without name, listen, upstream or enabled';
  if (name !== undefined && p.name !== name) return `the proxy is ${JSON.stringify(p.name).slice(0, 80)}, not the one asked for`;
  if (!Array.isArray(p.toxics)) return 'a proxy without a toxics array';
  for (const t of p.toxics) {
    const problem = toxicProblem(t);
    if (problem) return problem;
  }
  return undefined;
}

/** The 500s the server may give: a listen it cannot resolve or bind (Toxiproxy's own). */
const EXPECTED_500 = /^(listen tcp|address |listen EMFILE)/;

/**
 * Why an answer to a request the server could parse as HTTP is wrong, or undefined when it is
 * right: Toxiproxy's error shape (`{"error":"...","status":N}`, N the HTTP status), a correct
 * success for the route, or the mux's own answer for an unknown path or method.
 */
export function answerProblem(method: string, rawPath: string, a: Answer, opts: { mozilla?: boolean; head?: boolean } = {}): string | undefined {
  if (opts.mozilla) return a.status === 403 && (opts.head || a.body === 'User agent not allowed\n') ? undefined : `a browser's request got ${a.status}`;
  const route = routeOf(method, rawPath);
  if (opts.head) return a.status === 404 || a.status === 405 || a.status === 400 ? undefined : `HEAD got ${a.status}`;
  if ('status' in route) {
    if (a.status !== route.status) return `expected the mux's ${route.status}, got ${a.status}`;
    if (route.status === 404 && a.body !== '404 page not found\n') return 'a 404 without Go\'s "404 page not found"';
    if (route.status === 405 && a.body !== '') return 'a 405 with a body';
    return undefined;
  }
  if (a.status >= 400) return errorProblem(route.kind, a);
  let body: unknown;
  const text = a.body;
  const json = () => {
    try {
      body = JSON.parse(text);
      return undefined;
    } catch {
      return `a ${a.status} whose body is not JSON: ${text.slice(0, 80)}`;
    }
  };
  const expect = (status: number) => (a.status === status ? undefined : `success ${a.status}, expected ${status}`);
  switch (route.kind) {
    case 'version':
      return expect(200) ?? (text === '{"version": "2.12.0"}\n' ? undefined : `version body ${text}`);
    case 'metrics':
      return expect(200) ?? (text.startsWith('# HELP ') ? undefined : 'metrics not in Prometheus text');
    case 'proxy-delete':
    case 'toxic-delete':
    case 'reset':
      return expect(204) ?? (text === '' ? undefined : 'a 204 with a body');
    case 'list': {
      const problem = expect(200) ?? json();
      if (problem) return problem;
      if (!isObject(body)) return 'the proxy list is not an object';
      for (const [name, p] of Object.entries(body)) {
        const pp = proxyProblem(p, name);
        if (pp) return pp;
      }
      return undefined;
    }
    case 'create':
      return expect(201) ?? json() ?? proxyProblem(body);
    case 'populate': {
      const problem = expect(201) ?? json();
      if (problem) return problem;
      if (!isObject(body) || !(body.proxies === null || Array.isArray(body.proxies))) return 'populate without proxies';
      for (const p of (body.proxies as unknown[] | null) ?? []) {
        const pp = proxyProblem(p);
        if (pp) return pp;
      }
      return undefined;
    }
    case 'proxy':
    case 'proxy-update':
      return expect(200) ?? json() ?? proxyProblem(body, route.params[0]);
    case 'toxics': {
      const problem = expect(200) ?? json();
      if (problem) return problem;
      if (!Array.isArray(body)) return 'the toxic list is not an array';
      for (const t of body) {
        const tp = toxicProblem(t);
        if (tp) return tp;
      }
      return undefined;
    }
    case 'toxic-create':
      return expect(200) ?? json() ?? toxicProblem(body);
    case 'toxic':
    case 'toxic-update': {
      const problem = expect(200) ?? json() ?? toxicProblem(body);
      if (problem) return problem;
      return (body as { name: string }).name === route.params[1] ? undefined : 'not the toxic asked for';
    }
  }
}

function errorProblem(kind: RouteKind, a: Answer): string | undefined {
  if (![400, 404, 409, 413, 500].includes(a.status)) return `an error status ${a.status}`;
  let body: unknown;
  try {
    body = JSON.parse(a.body);
  } catch {
    return `a ${a.status} whose body is not Toxiproxy's error JSON: ${a.body.slice(0, 120)}`;
  }
  if (!isObject(body) || typeof body.error !== 'string' || body.status !== a.status) return `a ${a.status} without Toxiproxy's error shape: ${a.body.slice(0, 120)}`;
  if (kind === 'populate') {
    if (!('proxies' in body) || !(body.proxies === null || Array.isArray(body.proxies))) return 'a populate error without proxies';
  } else if (!a.body.endsWith('}\n') || a.type !== 'text/plain; charset=utf-8') return 'an error not as http.Error writes it (text/plain, newline)';
  if (a.status === 500 && !EXPECTED_500.test(body.error)) return `an internal error: ${body.error.slice(0, 200)}`;
  if (body.error.length > 4096) return `an error message of ${body.error.length} characters (echoing the input?)`;
  return undefined;
}

// ---------------------------------------------------------------- generating requests

/** A JSON value with tokens no JS value serialises to (1e400, -0, NaN, 1e-400): spliced in as text. */
class Raw {
  constructor(readonly text: string) {}
}

function serialise(value: unknown): string {
  const raws: string[] = [];
  const text = JSON.stringify(value, (_k, v: unknown) => {
    if (v instanceof Raw) {
      raws.push(v.text);
      return `\u0001RAW${raws.length - 1}\u0001`;
    }
    return v;
  });
  return (text ?? 'null').replace(/"\\u0001RAW(\d+)\\u0001"/g, (_, i: string) => raws[Number(i)]);
}

export interface Generated {
  index: number;
  kind: 'http' | 'raw' | 'malformed' | 'slow' | 'drop';
  method: string;
  path: string;
  headers: Record<string, string>;
  body: Buffer | undefined;
  /** http: send the body in pieces (chunked), with pauses. */
  trickle?: boolean;
  /** raw/malformed/slow/drop: the bytes written. */
  bytes?: Buffer;
  /** slow: hold the connection to the end of the run, else drop it after `dropAfterMs`. */
  hold?: boolean;
  dropAfterMs?: number;
  mozilla?: boolean;
}

export interface FuzzPools {
  /** Names the fuzzer may read but never changes (the server's own links). */
  protectedNames: string[];
  /** An upstream the fuzz proxies point at (an echo server). */
  upstream: string;
  /** The port of a proxy the server already holds: a listen on it fails to bind. */
  heldPort: number;
}

const MiB = 1 << 20;

export class RequestGenerator {
  private readonly proxyNames: string[];
  private readonly toxicNames = ['t0', 't1', 't2', 'T0', 'latency_downstream', 'latency_upstream', 'timeout_downstream', 'noop_upstream', 'x'.repeat(1024), 'x'.repeat(1025), 'é', ''];
  private readonly streams = ['upstream', 'downstream', 'UpStream', 'DOWNSTREAM', '', 'sideways', 'up'];
  private readonly types = [...TOXIC_TYPES, ...TOXIC_TYPES, 'down', 'LATENCY', 'latency ', 'x', '', '__proto__', 'constructor'];

  constructor(
    private readonly rng: Rng,
    private readonly pools: FuzzPools,
  ) {
    this.proxyNames = ['fz-0', 'fz-1', 'fz-2', 'fz-3', 'FZ-0', 'fz é', 'fz-😀', 'fz/slash', 'fz%2F', '..', '.', 'fz\u0000nul', ' ', 'y'.repeat(1024), '__proto__', 'constructor', 'toString'];
  }

  /** Request `index` of the run. */
  next(index: number): Generated {
    const r = this.rng.next();
    if (r < 0.72) return this.http(index);
    if (r < 0.82) return this.raw(index);
    if (r < 0.9) return this.malformed(index);
    if (r < 0.95) return this.slow(index);
    return this.drop(index);
  }

  // ---- values

  private hostileNumber(): number | Raw {
    return this.rng.pick<number | Raw>([
      0, 1, 5, 100, 1000, -1, -5, 1.5, -0.5, 2 ** 31, 2 ** 31 - 1, 2 ** 40, 2 ** 53 - 1, 2 ** 53 + 2, 2 ** 63, -(2 ** 63), 1e308,
      new Raw('1e400'), new Raw('-1e400'), new Raw('-0'), new Raw('1e-400'), new Raw('1E2'), new Raw('0.0000001'),
    ]);
  }

  private deep(depth: number): Raw {
    const open = this.rng.chance(0.5) ? '[' : '{"a":';
    const close = open === '[' ? ']' : '}';
    return new Raw(open.repeat(depth) + (open === '[' ? '' : '1') + close.repeat(depth));
  }

  private hostileValue(): unknown {
    const k = this.rng.int(14);
    switch (k) {
      case 0:
        return null;
      case 1:
        return this.rng.chance(0.5);
      case 2:
        return this.hostileNumber();
      case 3:
        return [];
      case 4:
        return {};
      case 5:
        return [1, 'a', null];
      case 6:
        return { a: { b: { c: 1 } } };
      case 7:
        return this.deep(this.rng.pick([50, 20_000, 200_000]));
      case 8:
        return 'z'.repeat(this.rng.pick([1025, 100_000, 1_000_000]));
      case 9:
        return '\u0000\ud800\udfff\u202e';
      case 10:
        return '5';
      case 11:
        return new Raw('NaN');
      case 12:
        return new Raw('Infinity');
      default:
        return 'x';
    }
  }

  private proxyName(): string {
    return this.rng.chance(0.08) ? this.rng.pick(this.pools.protectedNames.length ? this.pools.protectedNames : ['nope']) : this.rng.chance(0.1) ? 'nope-' + this.rng.int(5) : this.rng.pick(this.proxyNames);
  }

  private listen(): string {
    return this.rng.pick([
      '127.0.0.1:0', '127.0.0.1:0', '127.0.0.1:0', 'localhost:0', '[::1]:0', `127.0.0.1:${this.pools.heldPort}`, '',
      'nonsense', '127.0.0.1', '127.0.0.1:99999', '127.0.0.1:-1', '[::1', 'a:b:c', '127.0.0.1:0x10', 'localhost:+1', 'z'.repeat(1100) + ':0',
    ]);
  }

  private upstream(): string {
    return this.rng.pick([
      this.pools.upstream, this.pools.upstream, this.pools.upstream, '127.0.0.1:1', 'localhost:1', '[::1]:1', '',
      'nohost', ':80', '127.0.0.1:0', '127.0.0.1:70000', '127.0.0.1:', 'z'.repeat(2000) + ':1', '[::1]:99999',
    ]);
  }

  /** A body for a proxy: a sensible one, then mutated (missing, wrong-typed, huge, extra, re-cased fields). */
  private proxyBody(name = this.rng.pick(this.proxyNames)): Record<string, unknown> {
    const body: Record<string, unknown> = { name, listen: this.listen(), upstream: this.upstream() };
    if (this.rng.chance(0.3)) body.enabled = this.rng.pick<unknown>([true, false, false, 'true', 1, null, []]);
    this.mutate(body, ['name', 'listen', 'upstream', 'enabled']);
    return body;
  }

  private toxicBody(): Record<string, unknown> {
    const type = this.rng.chance(0.75) ? this.rng.pick(TOXIC_TYPES) : this.rng.pick(this.types);
    const body: Record<string, unknown> = { type };
    if (this.rng.chance(0.6)) body.name = this.rng.pick(this.toxicNames);
    if (this.rng.chance(0.6)) body.stream = this.rng.pick(this.streams);
    if (this.rng.chance(0.4)) body.toxicity = this.rng.chance(0.7) ? this.rng.pick([0, 0.5, 1, 1, 2, -1]) : this.hostileNumber();
    if (this.rng.chance(0.8)) body.attributes = this.attributes(type);
    this.mutate(body, ['name', 'type', 'stream', 'toxicity', 'attributes']);
    return body;
  }

  private attributes(type: string): unknown {
    if (this.rng.chance(0.05)) return this.hostileValue();
    const own = toxicAttributes(type)?.attributeNames ?? [];
    const names = ['latency', 'jitter', 'rate', 'delay', 'timeout', 'average_size', 'size_variation', 'bytes', 'LATENCY', 'unknown', '__proto__'];
    const out: Record<string, unknown> = {};
    const n = this.rng.int(4);
    for (let i = 0; i < n; i++) {
      const name = own.length && this.rng.chance(0.7) ? this.rng.pick(own) : this.rng.pick(names);
      // Mostly sensible and short, so traffic through the fuzz proxies keeps moving; else past a
      // timer's reach (2^31 ms), or any hostile number or value.
      const r = this.rng.next();
      out[name] = r < 0.55 ? this.rng.pick([0, 1, 10, 50, 100]) : r < 0.65 ? this.rng.pick([2 ** 31, 2 ** 40]) : r < 0.85 ? this.hostileNumber() : this.hostileValue();
    }
    return out;
  }

  private mutate(body: Record<string, unknown>, fields: string[]): void {
    const n = this.rng.chance(0.5) ? 0 : 1 + this.rng.int(3);
    for (let i = 0; i < n; i++) {
      const f = this.rng.pick(fields);
      switch (this.rng.int(5)) {
        case 0:
          delete body[f];
          break;
        case 1:
          body[f] = this.hostileValue();
          break;
        case 2: {
          const v = body[f];
          delete body[f];
          body[this.rng.chance(0.5) ? f.toUpperCase() : f[0].toUpperCase() + f.slice(1)] = v;
          break;
        }
        case 3:
          body[this.rng.pick(['extra', 'toxics', 'Logger', '__proto__', 'constructor', 'z'.repeat(300)])] = this.hostileValue();
          break;
        default:
          body[f] = null;
      }
    }
  }

  private rawBody(): Buffer {
    const k = this.rng.int(16);
    switch (k) {
      case 0:
        return Buffer.alloc(0);
      case 1:
        return Buffer.from(this.rng.pick([' ', '\n', 'null', 'true', '123', '"str"', '[]', '{}', '{', '}', '[{]', '{"name":}', 'NaN', '{"name":NaN}', '{"a":1,}', '\u00ef\u00bb\u00bf{}']));
      case 2:
        return this.rng.bytes(1 + this.rng.int(2000));
      case 3: // invalid UTF-8 inside a JSON string
        return Buffer.concat([Buffer.from('{"name":"fz-'), Buffer.from([0xff, 0xfe, 0xc3, 0x28, 0xe2, 0x82]), Buffer.from(`","upstream":"${this.pools.upstream}","listen":"127.0.0.1:0"}`)]);
      case 4: // a UTF-8 BOM before the JSON
        return Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(serialise(this.proxyBody()))]);
      case 5: // over the 1 MiB limit
        return Buffer.alloc(MiB + 1 + this.rng.int(1000), 0x20);
      case 6:
        return Buffer.from(serialise(this.deep(this.rng.pick([10_001, 100_000, 400_000]))));
      case 7: // a 1 MB name, just under the limit
        return Buffer.from(serialise({ name: 'n'.repeat(1_000_000), upstream: this.pools.upstream }));
      case 8: // UTF-16
        return Buffer.from(serialise(this.proxyBody()), 'utf16le');
      default:
        return Buffer.from(serialise(this.rng.chance(0.5) ? this.proxyBody() : this.toxicBody()));
    }
  }

  /** A path segment for a name: percent-encoded mostly; raw, double-encoded or broken escapes sometimes. */
  private segment(name: string): string {
    const k = this.rng.int(10);
    if (k === 0) return name.replace(/[^\x21-\x7e]/gu, (c) => encodeURIComponent(c));
    if (k === 1) return encodeURIComponent(encodeURIComponent(name));
    if (k === 2) return encodeURIComponent(name) + this.rng.pick(['%', '%z', '%E0%A4%A', '%ff', '%00', '%2e%2e']);
    if (k === 3) return encodeURIComponent(name) + '?x=' + encodeURIComponent(name);
    return encodeURIComponent(name);
  }

  private http(index: number): Generated {
    const routeKind = this.rng.int(20);
    const method = (good: string) => (this.rng.chance(0.1) ? this.rng.pick(['GET', 'POST', 'PATCH', 'DELETE', 'PUT', 'OPTIONS', 'HEAD', 'TRACE']) : good);
    let m = 'GET';
    let path = '/';
    let body: Buffer | undefined;
    const json = (v: unknown) => Buffer.from(this.rng.chance(0.1) ? this.rawBody() : Buffer.from(serialise(v)));
    switch (routeKind) {
      case 0:
        m = method('GET');
        path = '/proxies';
        break;
      case 1:
      case 2:
      case 3:
        m = method('POST');
        path = '/proxies';
        body = json(this.proxyBody());
        break;
      case 4: {
        m = method('POST');
        path = '/populate';
        const n = this.rng.pick([0, 1, 2, 3, 5, 20, 200, 1001]);
        const entries: unknown[] = [];
        for (let i = 0; i < n; i++) {
          const e = n > 5 ? { name: `fz-p${i}`, listen: '127.0.0.1:0', upstream: this.pools.upstream } : this.proxyBody();
          if (this.rng.chance(0.1)) (e as Record<string, unknown>).toxics = [this.toxicBody()];
          entries.push(e);
        }
        body = this.rng.chance(0.15) ? json(this.hostileValue()) : json(entries);
        break;
      }
      case 5:
      case 6: {
        m = method(this.rng.pick(['GET', 'POST', 'PATCH', 'DELETE']));
        const name = this.proxyName();
        path = `/proxies/${this.segment(name)}`;
        if (m !== 'GET' && m !== 'DELETE') body = json(this.proxyBody(this.proxyName()));
        // Never change the protected proxies: a read only, however the name is written.
        if (this.pools.protectedNames.includes(name)) m = 'GET';
        break;
      }
      case 7:
      case 8:
      case 9:
      case 10: {
        m = method(this.rng.chance(0.2) ? 'GET' : 'POST');
        const name = this.proxyName();
        path = `/proxies/${this.segment(name)}/toxics`;
        if (this.pools.protectedNames.includes(name)) m = 'GET';
        if (m !== 'GET') body = json(this.toxicBody());
        break;
      }
      case 11:
      case 12:
      case 13: {
        m = method(this.rng.pick(['GET', 'POST', 'PATCH', 'DELETE', 'DELETE']));
        const name = this.proxyName();
        path = `/proxies/${this.segment(name)}/toxics/${this.segment(this.rng.pick(this.toxicNames))}`;
        if (this.pools.protectedNames.includes(name)) m = 'GET';
        if (m === 'POST' || m === 'PATCH') body = json(this.toxicBody());
        break;
      }
      case 14:
        m = method('POST');
        path = '/reset';
        if (this.rng.chance(0.3)) body = this.rawBody();
        break;
      case 15:
        m = method('GET');
        path = this.rng.pick(['/version', '/metrics']);
        break;
      case 16:
        m = method('GET');
        path = this.rng.pick(['/', '/proxies/', '/proxies//toxics', '//proxies', '/Proxies', '/proxies/a/b/c/d', '/../proxies', '/version/', '/%', '/%zz', `/proxies/${'q'.repeat(20_000)}`, '/proxies?x=1', '/populate?']);
        break;
      default: {
        m = method('POST');
        path = this.rng.chance(0.5) ? '/proxies' : `/proxies/${this.segment(this.rng.pick(this.proxyNames))}/toxics`;
        body = this.rawBody();
      }
    }
    const headers: Record<string, string> = {};
    let mozilla = false;
    if (this.rng.chance(0.03)) {
      headers['User-Agent'] = 'Mozilla/5.0 (X11; Linux x86_64)';
      mozilla = true;
    }
    if (this.rng.chance(0.1)) headers['Content-Type'] = this.rng.pick(['text/xml', 'application/json; charset=latin1', 'multipart/form-data; boundary=x', '']);
    if (this.rng.chance(0.03)) headers['Expect'] = '100-continue';
    return { index, kind: 'http', method: m, path, headers, body, trickle: body !== undefined && body.length < 100_000 && this.rng.chance(0.05), mozilla };
  }

  /** Well-formed HTTP written on a raw socket: bytes no HTTP client sends (raw high bytes in the path, odd framing). */
  private raw(index: number): Generated {
    const k = this.rng.int(6);
    let method = 'POST';
    let path = '/proxies';
    let body: Buffer = this.rawBody();
    let framing: 'length' | 'chunked' = 'length';
    if (k === 0) {
      method = 'GET';
      path = '/proxies/fz-' + Buffer.from([0xff, 0xfe, 0x80]).toString('latin1');
      body = Buffer.alloc(0);
    } else if (k === 1) {
      framing = 'chunked';
    } else if (k === 2) {
      path = `/proxies/${encodeURIComponent(this.rng.pick(this.proxyNames))}/toxics`;
      body = Buffer.from(serialise(this.toxicBody()));
      framing = this.rng.chance(0.5) ? 'chunked' : 'length';
    } else if (k === 3) {
      method = 'GET';
      path = '/version';
      body = Buffer.alloc(0);
    }
    const head = [`${method} ${path} HTTP/1.1`, 'Host: 127.0.0.1', 'Connection: close'];
    let payload: Buffer;
    if (framing === 'chunked') {
      head.push('Transfer-Encoding: chunked');
      const pieces: Buffer[] = [];
      for (let at = 0; at < body.length; ) {
        const n = 1 + this.rng.int(4096);
        const piece = body.subarray(at, at + n);
        pieces.push(Buffer.from(`${piece.length.toString(16)}\r\n`, 'latin1'), piece, Buffer.from('\r\n'));
        at += n;
      }
      pieces.push(Buffer.from('0\r\n\r\n'));
      payload = Buffer.concat(pieces);
    } else {
      head.push(`Content-Length: ${body.length}`);
      payload = body;
    }
    const bytes = Buffer.concat([Buffer.from(head.join('\r\n') + '\r\n\r\n', 'latin1'), payload]);
    return { index, kind: 'raw', method, path, headers: {}, body, bytes };
  }

  /** Not HTTP, or HTTP broken on purpose: the server may refuse it (400, 431, ...) or close, never crash. */
  private malformed(index: number): Generated {
    const k = this.rng.int(14);
    const crlf = '\r\n';
    let text: Buffer;
    switch (k) {
      case 0:
        text = this.rng.bytes(1 + this.rng.int(4000));
        break;
      case 1:
        text = Buffer.from('GARBAGE' + crlf + crlf);
        break;
      case 2:
        text = Buffer.from('GET /version HTTP/9.9' + crlf + 'Host: x' + crlf + crlf);
        break;
      case 3:
        text = Buffer.from('POST /proxies HTTP/1.1' + crlf + 'Content-Length: -1' + crlf + crlf);
        break;
      case 4:
        text = Buffer.from('POST /proxies HTTP/1.1' + crlf + 'Content-Length: 5' + crlf + 'Transfer-Encoding: chunked' + crlf + crlf + 'zz' + crlf);
        break;
      case 5:
        text = Buffer.from('GET /version HTTP/1.1' + crlf + 'X-Big: ' + 'h'.repeat(20_000 + this.rng.int(100_000)) + crlf + crlf);
        break;
      case 6:
        text = Buffer.from('GET /version HTTP/1.1' + crlf + 'Bad Header' + crlf + crlf);
        break;
      case 7:
        text = Buffer.concat([Buffer.from('GET /ver'), Buffer.from([0]), Buffer.from('sion HTTP/1.1' + crlf + crlf)]);
        break;
      case 8:
        text = Buffer.from('FOO /proxies HTTP/1.1' + crlf + 'Host: x' + crlf + crlf);
        break;
      case 9:
        text = Buffer.from('POST /proxies HTTP/1.1' + crlf + 'Transfer-Encoding: chunked' + crlf + crlf + 'fffffffffffffffff' + crlf + 'x' + crlf);
        break;
      case 10:
        text = Buffer.from(Array.from({ length: 3000 }, (_, i) => `X-H${i}: v`).reduce((s, h) => s + h + crlf, 'GET /version HTTP/1.1' + crlf) + crlf);
        break;
      case 11:
        text = Buffer.from('GET /version HTTP/1.1' + crlf + 'Content-Length: 1e3' + crlf + crlf);
        break;
      case 12: // two requests pipelined, the second broken
        text = Buffer.from('GET /version HTTP/1.1' + crlf + 'Host: x' + crlf + crlf + 'POST /proxies HTTP/1.1' + crlf + 'Content-Length: zz' + crlf + crlf);
        break;
      default:
        text = Buffer.from('PRI * HTTP/2.0' + crlf + crlf + 'SM' + crlf + crlf);
    }
    return { index, kind: 'malformed', method: '', path: '', headers: {}, body: undefined, bytes: text };
  }

  /** A body that never finishes: held to the end of the run, or dropped after a while. */
  private slow(index: number): Generated {
    const declared = 100 + this.rng.int(MiB);
    const chunked = this.rng.chance(0.3);
    // Held ones go where the body is always read before any answer; dropped ones anywhere.
    const hold = this.rng.chance(0.4);
    const path = hold ? this.rng.pick(['/proxies', '/populate']) : this.rng.pick(['/proxies', '/populate', '/proxies/fz-0/toxics', '/proxies/fz-0']);
    const head = `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n${chunked ? 'Transfer-Encoding: chunked' : `Content-Length: ${declared}`}\r\n\r\n`;
    const data = '{"name":"fz-slow",';
    const part = chunked ? `${data.length.toString(16)}\r\n${data}\r\n` : data;
    return { index, kind: 'slow', method: 'POST', path, headers: {}, body: undefined, bytes: Buffer.from(head + part), hold, dropAfterMs: this.rng.int(300) };
  }

  /** A connection dropped: at once, in the middle of the headers, or in the middle of a body. */
  private drop(index: number): Generated {
    const k = this.rng.int(4);
    const bytes =
      k === 0
        ? Buffer.alloc(0)
        : k === 1
          ? Buffer.from('POST /proxies HTTP/1.1\r\nHost: 127')
          : k === 2
            ? Buffer.from('POST /proxies HTTP/1.1\r\nContent-Length: 100\r\n\r\n{"name":')
            : Buffer.from('GET /proxies HTTP/1.1\r\nHost: x\r\n\r\n');
    return { index, kind: 'drop', method: '', path: '', headers: {}, body: undefined, bytes, dropAfterMs: this.rng.int(20) };
  }
}

// ---------------------------------------------------------------- sending

const ANSWER_TIMEOUT_MS = 15_000;

function sendHttp(api: URL, g: Generated, agent: http.Agent | false): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...g.headers };
    // Framed either way: a GET's body without either would be read as the next request.
    if (g.body) headers[g.trickle ? 'Transfer-Encoding' : 'Content-Length'] = g.trickle ? 'chunked' : String(g.body.length);
    const req = http.request({ host: api.hostname, port: api.port, method: g.method, path: g.path, headers, agent }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (d: Buffer) => parts.push(d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: res.headers['content-type'], body: Buffer.concat(parts).toString('utf8') }));
      res.on('error', reject);
    });
    req.setTimeout(ANSWER_TIMEOUT_MS, () => req.destroy(new Error(`no answer within ${ANSWER_TIMEOUT_MS} ms`)));
    req.on('error', reject);
    if (!g.body) return void req.end();
    if (!g.trickle) return void req.end(g.body);
    // In pieces, with pauses: a body that finishes, slowly.
    const body = g.body;
    let at = 0;
    const step = () => {
      if (at >= body.length) return void req.end();
      const n = Math.max(1, Math.ceil(body.length / 5));
      req.write(body.subarray(at, at + n));
      at += n;
      setTimeout(step, 5);
    };
    step();
  });
}

/** Writes bytes on a fresh connection; resolves what came back until the server closed (or `waitMs` of silence). */
function sendRaw(api: URL, bytes: Buffer, waitMs = 3_000): Promise<{ data: Buffer; closed: boolean }> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: api.hostname, port: Number(api.port) });
    const parts: Buffer[] = [];
    let timer: NodeJS.Timeout;
    const finish = (closed: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ data: Buffer.concat(parts), closed });
    };
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => finish(false), waitMs);
    };
    socket.on('connect', () => {
      socket.write(bytes);
      arm();
    });
    socket.on('data', (d: Buffer) => {
      parts.push(d);
      arm();
    });
    socket.on('error', () => finish(true));
    socket.on('close', () => finish(true));
  });
}

/** The first HTTP response in `data`: status, content type and body (by Content-Length). */
export function parseResponse(data: Buffer): Answer | undefined {
  const end = data.indexOf('\r\n\r\n');
  if (end < 0) return undefined;
  const head = data.subarray(0, end).toString('latin1').split('\r\n');
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(head[0]);
  if (!m) return undefined;
  const headers = new Map(head.slice(1).map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
  const length = Number(headers.get('content-length') ?? 0);
  return { status: Number(m[1]), type: headers.get('content-type'), body: data.subarray(end + 4, end + 4 + length).toString('utf8') };
}

// ---------------------------------------------------------------- the run

export interface FuzzTarget {
  /** Base URL of the API, e.g. http://127.0.0.1:8474 */
  api: string;
  /** The server's pid: its memory is read from /proc. */
  pid: number;
  pools: FuzzPools;
  /** Checks that traffic passes through the server's own (protected) proxies; throws when it does not. */
  traffic(): Promise<void>;
  /** Whether the server is still running. */
  alive(): boolean;
}

export interface Finding {
  index: number;
  kind: string;
  request: string;
  problem: string;
}

export interface FuzzReport {
  seed: number;
  requests: number;
  byKind: Record<string, number>;
  byStatus: Record<string, number>;
  findings: Finding[];
  findingCount: number;
  trafficChecks: number;
  trafficFailures: string[];
  heldAtEnd: number;
  heldAnswered: number;
  burstConnections: number;
  rssBefore: number;
  /** At the traffic check after half the requests: growth from here to the end would be a leak. */
  rssHalf: number;
  rssPeak: number;
  rssAfter: number;
  durationMs: number;
}

export interface FuzzOptions {
  count: number;
  seed: number;
  /** Requests in flight at once. */
  concurrency?: number;
  /** A traffic check every this many requests. */
  trafficEvery?: number;
  /** A burst of connections opened and dropped every this many requests. */
  burstEvery?: number;
  burstSize?: number;
  log?: (line: string) => void;
}

export function rssOf(pid: number): number {
  const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : NaN;
}

const describe = (g: Generated) =>
  g.kind === 'http' || g.kind === 'raw'
    ? `${g.method} ${JSON.stringify(g.path.length > 120 ? g.path.slice(0, 120) + '...' : g.path)} ${g.body ? `body ${g.body.length} B: ${JSON.stringify(g.body.subarray(0, 100).toString('latin1'))}` : 'no body'}`
    : `${g.kind} ${JSON.stringify((g.bytes ?? Buffer.alloc(0)).subarray(0, 100).toString('latin1'))}`;

export async function fuzzProxyApi(target: FuzzTarget, options: FuzzOptions): Promise<FuzzReport> {
  const log = options.log ?? (() => {});
  const api = new URL(target.api);
  const concurrency = options.concurrency ?? 8;
  const trafficEvery = options.trafficEvery ?? 50;
  const burstEvery = options.burstEvery ?? 1000;
  const burstSize = options.burstSize ?? 200;
  const generator = new RequestGenerator(new Rng(options.seed), target.pools);
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const report: FuzzReport = {
    seed: options.seed,
    requests: 0,
    byKind: {},
    byStatus: {},
    findings: [],
    findingCount: 0,
    trafficChecks: 0,
    trafficFailures: [],
    heldAtEnd: 0,
    heldAnswered: 0,
    burstConnections: 0,
    rssBefore: rssOf(target.pid),
    rssHalf: 0,
    rssPeak: 0,
    rssAfter: 0,
    durationMs: 0,
  };
  const started = performance.now();
  const held: { socket: net.Socket; answered: boolean }[] = [];
  const find = (g: Generated, problem: string) => {
    report.findingCount++;
    if (report.findings.length < 50) report.findings.push({ index: g.index, kind: g.kind, request: describe(g), problem });
  };
  const count = (status: number | string) => (report.byStatus[status] = (report.byStatus[status] ?? 0) + 1);

  const run = async (g: Generated) => {
    report.byKind[g.kind] = (report.byKind[g.kind] ?? 0) + 1;
    switch (g.kind) {
      case 'http': {
        let a: Answer;
        try {
          a = await sendHttp(api, g, g.index % 3 === 0 ? false : agent);
        } catch (e) {
          const code = (e as NodeJS.ErrnoException).code ?? '';
          // The server may answer before it reads a body (404 before the body of an unknown proxy,
          // 413 past 1 MiB) and close the connection (Connection: close, or 413): a client still
          // writing its body then fails with EPIPE or ECONNRESET before reading the answer.
          const closedWhileSending = g.body !== undefined && (g.index % 3 === 0 || g.body.length > MiB) && (code === 'EPIPE' || code === 'ECONNRESET');
          count(closedWhileSending ? 'closed while sending' : 'no answer');
          // A request line over Node's 16 KiB header limit is closed with a 431 the client may miss.
          if (!closedWhileSending && g.path.length < 16_000) find(g, `no answer: ${(e as Error).message}`);
          return;
        }
        count(a.status);
        if (a.status === 431 && g.path.length > 16_000) return;
        const problem = answerProblem(g.method, g.path, a, { mozilla: g.mozilla, head: g.method === 'HEAD' });
        if (problem) find(g, problem);
        return;
      }
      case 'raw':
      case 'malformed': {
        const { data } = await sendRaw(api, g.bytes!);
        const a = parseResponse(data);
        count(a ? a.status : data.length ? 'unparsed' : 'closed');
        if (!a) {
          // Past 1 MiB the server answers 413 and closes while the body still comes: a reset can
          // overtake the answer.
          const overLimit = g.body !== undefined && g.body.length > MiB;
          if (g.kind === 'raw' && !overLimit) find(g, data.length ? `an answer that is not HTTP: ${JSON.stringify(data.subarray(0, 80).toString('latin1'))}` : 'closed without an answer');
          return;
        }
        if (g.kind === 'malformed') {
          // Refused by the HTTP layer (Go's server answers these with 400 too), or served when it parsed.
          if (a.status >= 500 && a.status !== 505) find(g, `a ${a.status} to malformed HTTP`);
          return;
        }
        // A raw high byte in the path reaches the router as Latin-1: any routed answer will do.
        const path = /[^\x20-\x7e]/.test(g.path) ? '/proxies/x' : g.path;
        const problem = a.status === 400 && !a.body.startsWith('{') && /[^\x20-\x7e]/.test(g.path) ? undefined : answerProblem(g.method, path, a);
        if (problem) find(g, problem);
        return;
      }
      case 'slow': {
        const socket = net.connect({ host: api.hostname, port: Number(api.port) });
        const entry = { socket, answered: false };
        socket.on('error', () => {});
        socket.on('data', () => (entry.answered = true));
        socket.on('connect', () => socket.write(g.bytes!));
        if (g.hold) held.push(entry);
        else {
          await new Promise((r) => setTimeout(r, g.dropAfterMs));
          socket.destroy();
        }
        return;
      }
      case 'drop': {
        const socket = net.connect({ host: api.hostname, port: Number(api.port) });
        socket.on('error', () => {});
        await new Promise<void>((resolve) => {
          socket.on('connect', () => {
            if (g.bytes!.length) socket.write(g.bytes!);
            setTimeout(() => {
              socket.destroy();
              resolve();
            }, g.dropAfterMs);
          });
          socket.on('close', () => resolve());
        });
        return;
      }
    }
  };

  const burst = async () => {
    const sockets = await Promise.all(
      Array.from(
        { length: burstSize },
        (_, i) =>
          new Promise<net.Socket>((resolve) => {
            const s = net.connect({ host: api.hostname, port: Number(api.port) });
            s.on('error', () => resolve(s));
            s.on('connect', () => {
              if (i % 2) s.write('GET /proxies HTTP/1.1\r\nHo');
              resolve(s);
            });
          }),
      ),
    );
    report.burstConnections += sockets.length;
    for (const s of sockets) s.destroy();
  };

  const trafficCheck = async (at: number) => {
    report.trafficChecks++;
    try {
      await withDeadline(target.traffic(), 10_000, 'traffic check');
    } catch (e) {
      report.trafficFailures.push(`after request ${at}: ${(e as Error).message}`);
    }
    const rss = rssOf(target.pid);
    report.rssPeak = Math.max(report.rssPeak, rss);
    if (!report.rssHalf && at >= options.count / 2) report.rssHalf = rss;
  };

  let nextIndex = 0;
  let sinceCheck = 0;
  let pause: Promise<void> | undefined;
  const worker = async () => {
    while (nextIndex < options.count) {
      if (pause) await pause;
      const index = nextIndex++;
      if (index >= options.count) break;
      const g = generator.next(index);
      report.requests++;
      await run(g);
      sinceCheck++;
      // A check starts while the requests already in flight finish; no new one starts until it is done.
      if (sinceCheck >= trafficEvery && !pause) {
        sinceCheck = 0;
        const exercise = exerciseFuzzProxies(target);
        pause = Promise.all([trafficCheck(index), exercise, index % burstEvery < trafficEvery ? burst() : undefined]).then(() => {
          pause = undefined;
        });
        await pause;
      }
      if (index > 0 && index % 1000 === 0) log(`fuzz: ${index} requests, ${report.findingCount} findings, RSS ${(rssOf(target.pid) / MiB).toFixed(1)} MiB, ${held.length} bodies held`);
      if (!target.alive()) throw new Error(`the proxy server died at request ${index}: ${describe(g)}`);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  await trafficCheck(options.count);

  // Held bodies: the server must have answered none of them (it still waits for the body), or a 408.
  report.heldAtEnd = held.filter((h) => !h.socket.destroyed).length;
  report.heldAnswered = held.filter((h) => h.answered).length;
  for (const h of held) h.socket.destroy();
  agent.destroy();
  // What the fuzz left: every proxy it made, removed; then the memory once the server has settled.
  await cleanUp(target);
  await new Promise((r) => setTimeout(r, 1_000));
  await trafficCheck(options.count);
  report.rssAfter = rssOf(target.pid);
  report.durationMs = performance.now() - started;
  return report;
}

function withDeadline<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([p, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: no result within ${ms} ms`)), ms)))]).finally(() => clearTimeout(timer));
}

async function listProxies(target: FuzzTarget): Promise<Record<string, { listen: string; enabled: boolean }>> {
  const res = await fetch(`${target.api}/proxies`, { signal: AbortSignal.timeout(10_000) });
  return (await res.json()) as Record<string, { listen: string; enabled: boolean }>;
}

/** Removes every proxy but the protected ones (by raw path: fetch would resolve a name such as `..`). */
export async function cleanUp(target: FuzzTarget): Promise<void> {
  const api = new URL(target.api);
  for (const name of Object.keys(await listProxies(target))) {
    if (target.pools.protectedNames.includes(name)) continue;
    const g: Generated = { index: -1, kind: 'http', method: 'DELETE', path: `/proxies/${encodeURIComponent(name)}`, headers: {}, body: undefined };
    const answer = await sendHttp(api, g, false);
    if (answer.status !== 204) throw new Error(`cleaning up: DELETE ${g.path}: ${answer.status} ${answer.body.slice(0, 200)}`);
  }
}

/** A few bytes through each fuzz proxy (whatever toxics the fuzz put on it), connections dropped soon: nothing asserted but the server's survival. */
async function exerciseFuzzProxies(target: FuzzTarget): Promise<void> {
  let proxies: Record<string, { listen: string; enabled: boolean }>;
  try {
    proxies = await listProxies(target);
  } catch {
    return;
  }
  await Promise.all(
    Object.entries(proxies)
      .filter(([name, p]) => !target.pools.protectedNames.includes(name) && p.enabled)
      .slice(0, 20)
      .map(
        ([, p]) =>
          new Promise<void>((resolve) => {
            const m = /^(?:\[(.*)\]|(.*)):(\d+)$/.exec(p.listen);
            const host = m?.[1] ?? m?.[2];
            if (!m || !(host === '127.0.0.1' || host === '::1')) return resolve();
            const s = net.connect({ host, port: Number(m[3]) });
            s.on('error', () => resolve());
            s.on('connect', () => s.write(Buffer.alloc(64, 0x61)));
            setTimeout(() => {
              s.destroy();
              resolve();
            }, 30);
          }),
      ),
  );
}

/** A one-paragraph summary of a report. */
export function summarise(r: FuzzReport): string {
  const mib = (b: number) => `${(b / MiB).toFixed(1)} MiB`;
  return [
    `seed ${r.seed}: ${r.requests} requests in ${(r.durationMs / 1000).toFixed(1)} s (${Object.entries(r.byKind).map(([k, n]) => `${k} ${n}`).join(', ')}), ${r.burstConnections} more connections opened and dropped in bursts`,
    `answers: ${Object.entries(r.byStatus).sort().map(([s, n]) => `${s} x${n}`).join(', ')}`,
    `held bodies at the end: ${r.heldAtEnd} (answered meanwhile: ${r.heldAnswered})`,
    `traffic checks: ${r.trafficChecks - r.trafficFailures.length} of ${r.trafficChecks} passed`,
    `server RSS: before ${mib(r.rssBefore)}, half-way ${mib(r.rssHalf)}, peak ${mib(r.rssPeak)}, after (proxies removed, 1 s later) ${mib(r.rssAfter)}`,
    `findings: ${r.findingCount}`,
    ...r.findings.slice(0, 20).map((f) => `  #${f.index} ${f.kind}: ${f.problem}\n      ${f.request}`),
    ...r.trafficFailures.slice(0, 10).map((f) => `  traffic: ${f}`),
  ].join('\n');
}

// ---------------------------------------------------------------- targets

/**
 * An estate's own proxy server as the target: its links are protected (read, never changed), the
 * traffic check is every service answering ready through the front door (the frontdoor link, the
 * active site's app links and its SAN link), and the server is the estate's `proxy` component (a
 * child process, or a container whose process is read through the Docker daemon).
 */
export async function estateFuzzTarget(estate: Estate, upstream: string): Promise<FuzzTarget & { proxyLog(): string }> {
  const api = estate.endpoints.proxyApi;
  const links = Object.keys((await (await fetch(`${api}/proxies`)).json()) as Record<string, unknown>);
  const proxy = estate.component('proxy');
  const pid = estate.runtime === 'docker' ? Number(execFileSync('docker', ['inspect', '-f', '{{.State.Pid}}', proxy.id!], { encoding: 'utf8' }).trim()) : Number(proxy.id);
  const first = (await (await fetch(`${api}/proxies/${links[0]}`)).json()) as { listen: string };
  return {
    api,
    pid,
    pools: { protectedNames: links, upstream, heldPort: Number(first.listen.slice(first.listen.lastIndexOf(':') + 1)) },
    traffic: async () => {
      for (const [service, base] of Object.entries(estate.endpoints.services)) {
        const res = await fetch(`${base}/health/ready`, { signal: AbortSignal.timeout(5_000) });
        if (res.status !== 200) throw new Error(`${service} through the front door: ${res.status} ${(await res.text()).slice(0, 200)}`);
      }
    },
    alive: () => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    },
    proxyLog: () => {
      try {
        // A container's log is saved to the data directory only when the estate stops: asked of the daemon.
        if (estate.runtime === 'docker') return spawnSync('docker', ['logs', proxy.id!], { encoding: 'utf8' }).stderr + spawnSync('docker', ['logs', proxy.id!], { encoding: 'utf8' }).stdout;
        return readFileSync(join(estate.dataDir, 'logs', 'proxy.log'), 'utf8');
      } catch {
        return '';
      }
    },
  };
}

/** Lines of a server's log that no request should cause: an unhandled API error, a warning. */
export const badLogLines = (log: string): string[] => log.split('\n').filter((l) => /api error|Warning|Error/.test(l));

// ---------------------------------------------------------------- npm run bench:fuzz-proxy

/**
 * BENCH_FUZZ_REQUESTS (default 10,000) against the embedded server in its own process (`blackstart
 * proxy`), then against an estate's proxy (BENCH_RUNTIME=process, the default, or docker);
 * BENCH_FUZZ_SEED (default: from the clock, printed), BENCH_FUZZ_TARGETS (embedded,estate). Prints
 * each summary and, last, one line `BENCH_FUZZ_JSON {...}`; exits 1 on any finding, traffic failure,
 * dead server or error-log line.
 */
async function benchMain(): Promise<void> {
  const lib = await import('./lib');
  const { startEstate } = await import('../services/runtime');
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const log = (line: string) => process.stderr.write(line + '\n');
  const count = Math.round(lib.env('BENCH_FUZZ_REQUESTS', 10_000));
  const seed = Number(process.env.BENCH_FUZZ_SEED ?? Date.now() % 0xffffffff);
  const targets = (process.env.BENCH_FUZZ_TARGETS ?? 'embedded,estate').split(',');
  const runtime = (process.env.BENCH_RUNTIME ?? 'process') as 'process' | 'docker';
  const results: Record<string, FuzzReport & { badLogLines: string[]; alive: boolean }> = {};
  const echo = await lib.echoServer();
  let failed = false;
  const judge = (name: string, report: FuzzReport, alive: boolean, logLines: string[]) => {
    results[name] = { ...report, badLogLines: logLines, alive };
    process.stdout.write(`\n${name}:\n${summarise(report)}\nserver alive at the end: ${alive}; error-log lines: ${logLines.length}\n`);
    for (const l of logLines.slice(0, 10)) process.stdout.write(`  log: ${l}\n`);
    if (!alive || report.findingCount || report.trafficFailures.length || logLines.length || report.heldAnswered) failed = true;
  };
  log(`bench:fuzz-proxy: ${count} requests per target, seed ${seed}, targets ${targets.join(', ')}${targets.includes('estate') ? `, estate runtime ${runtime}` : ''}`);
  try {
    if (targets.includes('embedded')) {
      const server = await lib.spawnProxyServer();
      let stderr = '';
      server.child.stderr!.on('data', (d: Buffer) => (stderr += d));
      const created = await lib.request(server.url, 'POST', '/proxies', { name: 'sentinel', listen: '127.0.0.1:0', upstream: echo.address });
      const listen = (JSON.parse(created.text) as { listen: string }).listen;
      const port = Number(listen.slice(listen.lastIndexOf(':') + 1));
      const held = await lib.connect(port);
      const echoes = async (socket: net.Socket) => {
        const bytes = Buffer.from(`${Math.random()}`.padEnd(32, '#'));
        const back = new Promise<Buffer>((resolve, reject) => {
          let got = Buffer.alloc(0);
          const onData = (d: Buffer) => {
            got = Buffer.concat([got, d]);
            if (got.length >= bytes.length) {
              socket.off('data', onData);
              resolve(got);
            }
          };
          socket.on('data', onData);
          socket.once('close', () => reject(new Error('closed before the echo')));
        });
        socket.write(bytes);
        if (!(await withDeadline(back, 5_000, 'echo')).equals(bytes)) throw new Error('the echo differs');
      };
      const target: FuzzTarget = {
        api: server.url,
        pid: server.pid,
        pools: { protectedNames: ['sentinel'], upstream: echo.address, heldPort: port },
        traffic: async () => {
          await echoes(held);
          const fresh = await lib.connect(port);
          try {
            await echoes(fresh);
          } finally {
            fresh.destroy();
          }
        },
        alive: () => server.child.exitCode === null && server.child.signalCode === null,
      };
      const report = await fuzzProxyApi(target, { count, seed, log });
      held.destroy();
      judge('embedded server (blackstart proxy)', report, target.alive(), badLogLines(stderr));
      await server.stop();
    }
    if (targets.includes('estate')) {
      const stateRoot = mkdtempSync(join(tmpdir(), 'blackstart-bench-fuzz-'));
      const estate = await startEstate({ runtime }, { stateRoot });
      try {
        const target = await estateFuzzTarget(estate, echo.address);
        const report = await fuzzProxyApi(target, { count, seed: seed + 1, log });
        judge(`${runtime} estate's proxy (${estate.proxyServer?.kind ?? 'embedded'}${estate.proxyServer?.image ? `: ${estate.proxyServer.image}` : ''})`, report, target.alive(), badLogLines(target.proxyLog()));
      } finally {
        await estate.stop();
        rmSync(stateRoot, { recursive: true, force: true });
      }
    }
  } finally {
    await echo.close();
  }
  process.stdout.write(`BENCH_FUZZ_JSON ${JSON.stringify({ seed, count, runtime, results })}\n`);
  if (failed) process.exitCode = 1;
}

if (require.main === module) {
  process.env.TESTCONTAINERS_RYUK_DISABLED ??= 'true';
  void import('./lib').then((lib) => lib.runBench('bench:fuzz-proxy', benchMain, lib.killChildren, 30 * 60_000));
}
