import type * as net from 'node:net';
import { Toxiproxy } from 'toxiproxy-node-client';
import type { ProxyServer } from '../../proxy/server';
import { call, freePort, occupyPort, portOf, tryConnect } from '../helpers/api';
import { connect, echoServer, readBytes, startTestProxyServer, tcpServer, waitForClose, type Upstream } from '../helpers/net';

// Conformance of the proxy API as clients drive it: toxiproxy-node-client 4.x first, then raw
// HTTP for what the client hides (status codes, headers, exact bodies).

let server: ProxyServer;
let client: Toxiproxy;
let echo: Upstream;
const sockets: net.Socket[] = [];

beforeAll(async () => {
  server = await startTestProxyServer();
  client = new Toxiproxy(server.url);
  echo = await echoServer();
});

afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  for (const name of Object.keys(JSON.parse((await api('GET', '/proxies')).text))) {
    await api('DELETE', `/proxies/${encodeURIComponent(name)}`);
  }
});

afterAll(async () => {
  await server.close();
  await echo.close();
});

const api = (method: string, path: string, body?: unknown, headers?: Record<string, string>) =>
  call(server.url, method, path, body, headers);

async function open(port: number): Promise<net.Socket> {
  const socket = await connect(port);
  sockets.push(socket);
  return socket;
}

/** Writes `text` and reads the same number of bytes back (the upstream is an echo server). */
async function roundTrip(socket: net.Socket, text: string): Promise<string> {
  const reply = readBytes(socket, Buffer.byteLength(text));
  socket.write(text);
  return (await reply).toString();
}

const newProxy = (name: string, extra: Record<string, unknown> = {}) =>
  client.createProxy({ name, listen: '127.0.0.1:0', upstream: echo.address, ...extra } as never);

describe('proxies through toxiproxy-node-client', () => {
  test('create binds an ephemeral port, forwards data, and GET shows the exact shape', async () => {
    const proxy = await newProxy('shape');
    expect(proxy.name).toBe('shape');
    expect(proxy.enabled).toBe(true);
    expect(proxy.upstream).toBe(echo.address);
    expect(proxy.listen).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(portOf(proxy.listen)).toBeGreaterThan(0);

    const raw = await api('GET', '/proxies/shape');
    expect(raw.text).toBe(
      `{"name":"shape","listen":"${proxy.listen}","upstream":"${echo.address}","enabled":true,"Logger":{},"toxics":[]}`,
    );
    expect(await roundTrip(await open(portOf(proxy.listen)), 'hello world')).toBe('hello world');
  });

  test('get and getAll return the proxies the server holds', async () => {
    await newProxy('one');
    await newProxy('two', { enabled: false });
    const all = await client.getAll();
    expect(Object.keys(all)).toEqual(['one', 'two']);
    expect(all.two.enabled).toBe(false);
    expect(all.two.listen).toBe('127.0.0.1:0');
    const one = await client.get('one');
    expect(one.toJson()).toEqual({ name: 'one', listen: all.one.listen, upstream: echo.address, enabled: true });
  });

  test('localhost listen reports the bound 127.0.0.1 address', async () => {
    const port = await freePort();
    const proxy = await client.createProxy({ name: 'local', listen: `localhost:${port}`, upstream: echo.address });
    expect(proxy.listen).toBe(`127.0.0.1:${port}`);
    expect(await tryConnect(port)).toBe('connected');
  });

  test('a disabled proxy shows listen as given with its port closed; enabling opens it', async () => {
    const port = await freePort();
    const created = await client.createProxy({ name: 'off', listen: `localhost:${port}`, upstream: echo.address, enabled: false });
    expect(created.enabled).toBe(false);
    expect(created.listen).toBe(`localhost:${port}`);
    expect(await tryConnect(port)).toBe('ECONNREFUSED');

    const enabled = await created.update({ enabled: true } as never);
    expect(enabled.enabled).toBe(true);
    expect(enabled.listen).toBe(`127.0.0.1:${port}`);
    expect(await roundTrip(await open(port), 'on')).toBe('on');

    const disabled = await enabled.update({ enabled: false } as never);
    expect(disabled.enabled).toBe(false);
    expect(disabled.listen).toBe(`127.0.0.1:${port}`);
    expect(await tryConnect(port)).toBe('ECONNREFUSED');
  });

  test('disabling closes open connections', async () => {
    const proxy = await newProxy('drop');
    const socket = await open(portOf(proxy.listen));
    expect(await roundTrip(socket, 'x')).toBe('x');
    const closed = waitForClose(socket);
    await proxy.update({ enabled: false, listen: proxy.listen, upstream: proxy.upstream });
    expect((await closed).how).not.toBe('timeout');
  });

  test('changing listen to 127.0.0.1:0 moves the proxy to a new port', async () => {
    const proxy = await newProxy('mover');
    const before = portOf(proxy.listen);
    const moved = await proxy.update({ listen: '127.0.0.1:0', upstream: proxy.upstream, enabled: true });
    const after = portOf(moved.listen);
    expect(after).not.toBe(before);
    expect(moved.enabled).toBe(true);
    expect(await tryConnect(before)).toBe('ECONNREFUSED');
    expect(await roundTrip(await open(after), 'moved')).toBe('moved');
  });

  test('changing upstream drops live connections and sends new ones to the new upstream', async () => {
    const greeter = await tcpServer((s) => s.end('B'));
    try {
      const proxy = await newProxy('switch');
      const port = portOf(proxy.listen);
      const old = await open(port);
      expect(await roundTrip(old, 'a')).toBe('a');
      const closed = waitForClose(old);
      const updated = await proxy.update({ upstream: greeter.address } as never);
      expect(updated.upstream).toBe(greeter.address);
      expect(updated.listen).toBe(proxy.listen);
      expect((await closed).how).not.toBe('timeout');
      expect((await readBytes(await open(port), 1)).toString()).toBe('B');
    } finally {
      await greeter.close();
    }
  });

  test('localhost:P for a proxy bound to 127.0.0.1:P is no change: the live connection survives', async () => {
    const proxy = await newProxy('same');
    const port = portOf(proxy.listen);
    const socket = await open(port);
    expect(await roundTrip(socket, 'before')).toBe('before');
    const updated = await proxy.update({ listen: `localhost:${port}`, upstream: echo.address, enabled: true });
    expect(updated.listen).toBe(`127.0.0.1:${port}`);
    expect(await roundTrip(socket, 'after')).toBe('after');
    // enabled:true on a running proxy does nothing either.
    await updated.update({ enabled: true } as never);
    expect(await roundTrip(socket, 'still')).toBe('still');
  });

  test('remove deletes the proxy, closes its port and its connections', async () => {
    const proxy = await newProxy('gone');
    const port = portOf(proxy.listen);
    const socket = await open(port);
    expect(await roundTrip(socket, 'x')).toBe('x');
    const closed = waitForClose(socket);
    await proxy.remove();
    expect((await closed).how).not.toBe('timeout');
    await expect(client.get('gone')).rejects.toThrow('Request failed with status code 404');
    expect(await tryConnect(port)).toBe('ECONNREFUSED');
    expect((await api('GET', '/proxies')).text).toBe('{}');
    expect((await api('DELETE', '/proxies/gone')).status).toBe(404);
  });

  test('a proxy freed by delete lets another proxy bind the same port', async () => {
    const first = await newProxy('first');
    const listen = first.listen;
    expect((await api('POST', '/proxies', { name: 'second', listen, upstream: echo.address })).status).toBe(500);
    await first.remove();
    expect((await client.createProxy({ name: 'second', listen, upstream: echo.address })).listen).toBe(listen);
  });

  test('getVersion returns the exact version body', async () => {
    expect(await client.getVersion()).toBe('{"version": "2.12.0"}\n');
  });

  test('reset removes every toxic and re-enables every proxy; open connections survive', async () => {
    const a = await newProxy('a');
    const b = await newProxy('b');
    await a.addToxic({ type: 'latency', attributes: { latency: 10, jitter: 0 } } as never);
    await a.addToxic({ type: 'bandwidth', stream: 'upstream', attributes: { rate: 100000 } } as never);
    const socket = await open(portOf(a.listen));
    await b.update({ enabled: false } as never);

    await client.reset();

    const all = await client.getAll();
    expect(all.a.enabled && all.b.enabled).toBe(true);
    expect([all.a.listen, all.b.listen]).toEqual([a.listen, b.listen]);
    expect(JSON.parse((await api('GET', '/proxies/a/toxics')).text)).toEqual([]);
    expect(await roundTrip(socket, 'survived')).toBe('survived');
    expect(await tryConnect(portOf(b.listen))).toBe('connected');
  });
});

describe('toxics of each type through toxiproxy-node-client', () => {
  interface Case {
    type: string;
    /** Attributes sent at creation (some omitted). */
    create: Record<string, number>;
    /** All attributes after creation, omitted ones 0, in Toxiproxy's key order. */
    created: Record<string, number>;
    update: Record<string, number>;
    merged: Record<string, number>;
  }
  const cases: Case[] = [
    { type: 'latency', create: { latency: 100 }, created: { latency: 100, jitter: 0 }, update: { jitter: 10 }, merged: { latency: 100, jitter: 10 } },
    { type: 'bandwidth', create: {}, created: { rate: 0 }, update: { rate: 500 }, merged: { rate: 500 } },
    { type: 'slow_close', create: {}, created: { delay: 0 }, update: { delay: 250 }, merged: { delay: 250 } },
    { type: 'timeout', create: { timeout: 0 }, created: { timeout: 0 }, update: { timeout: 5000 }, merged: { timeout: 5000 } },
    { type: 'reset_peer', create: {}, created: { timeout: 0 }, update: { timeout: 1000 }, merged: { timeout: 1000 } },
    // average_size 0 is refused (it crashes the real server), so slicer always needs one.
    {
      type: 'slicer',
      create: { delay: 10, average_size: 64 },
      created: { average_size: 64, size_variation: 0, delay: 10 },
      update: { size_variation: 8 },
      merged: { average_size: 64, size_variation: 8, delay: 10 },
    },
    { type: 'limit_data', create: { bytes: 100 }, created: { bytes: 100 }, update: {}, merged: { bytes: 100 } },
    { type: 'noop', create: {}, created: {}, update: {}, merged: {} },
  ];

  test.each(cases)('$type: add, get, update (merge), list, remove', async ({ type, create, created, update, merged }) => {
    const proxy = await newProxy(`p_${type}`);
    // The client sends only type and attributes: the server supplies name, stream and toxicity.
    const toxic = await proxy.addToxic({ type, attributes: create } as never);
    const name = `${type}_downstream`;
    expect(toxic.toJson()).toEqual({ name, type, stream: 'downstream', toxicity: 1, attributes: created });

    const raw = await api('GET', `/proxies/p_${type}/toxics/${name}`);
    expect(raw.status).toBe(200);
    expect(raw.text).toBe(`{"attributes":${JSON.stringify(created)},"name":"${name}","type":"${type}","stream":"downstream","toxicity":1}`);
    expect((await proxy.getToxic(name)).toJson()).toEqual(toxic.toJson());

    const updated = await toxic.update({ attributes: update, toxicity: 0.5 } as never);
    expect(updated.toJson()).toEqual({ name, type, stream: 'downstream', toxicity: 0.5, attributes: merged });
    // Omitted toxicity keeps its value; name, type and stream in an update are ignored.
    const again = await updated.update({ attributes: {}, name: 'renamed', type: 'latency', stream: 'upstream' } as never);
    expect(again.toJson()).toEqual(updated.toJson());
    expect(JSON.parse((await api('GET', `/proxies/p_${type}/toxics/${name}`)).text).attributes).toEqual(merged);

    const up = await proxy.addToxic({ type, stream: 'upstream', attributes: create } as never);
    expect(up.name).toBe(`${type}_upstream`);
    const list = JSON.parse((await api('GET', `/proxies/p_${type}/toxics`)).text);
    expect(list.map((t: { name: string }) => t.name)).toEqual([`${type}_upstream`, name]);
    const proxyView = JSON.parse((await api('GET', `/proxies/p_${type}`)).text);
    expect(proxyView.toxics).toEqual(list);

    await toxic.remove();
    await expect(proxy.getToxic(name)).rejects.toThrow('status code 404');
    expect(JSON.parse((await api('GET', `/proxies/p_${type}/toxics`)).text)).toEqual([up.toJson()]);
  });

  test('explicit name, stream in any case, toxicity: kept as sent; default name uses the stream as sent', async () => {
    const proxy = await newProxy('named');
    const t = await proxy.addToxic({ name: 'slow', type: 'latency', stream: 'upstream', toxicity: 0.25, attributes: { latency: 5, jitter: 1 } });
    expect(t.toJson()).toEqual({ name: 'slow', type: 'latency', stream: 'upstream', toxicity: 0.25, attributes: { latency: 5, jitter: 1 } });
    const mixed = await api('POST', '/proxies/named/toxics', { type: 'latency', stream: 'UpStream' });
    expect(mixed.status).toBe(200);
    expect(JSON.parse(mixed.text).name).toBe('latency_UpStream');
    const list = JSON.parse((await api('GET', '/proxies/named/toxics')).text);
    // Both sit in the upstream chain, in creation order.
    expect(list.map((x: { name: string }) => x.name)).toEqual(['slow', 'latency_UpStream']);
  });

  test('the toxicity/attributes example of Toxiproxy: update then merge', async () => {
    const proxy = await newProxy('merge');
    const t = await proxy.addToxic({ type: 'latency', attributes: { latency: 0, jitter: 10 } } as never);
    const first = await t.update({ toxicity: 0.5, attributes: { latency: 1000 } } as never);
    expect([first.toxicity, first.attributes]).toEqual([0.5, { latency: 1000, jitter: 10 }]);
    const second = await first.update({ attributes: { latency: 500 } } as never);
    expect([second.toxicity, second.attributes]).toEqual([0.5, { latency: 500, jitter: 10 }]);
  });

  test('keys match case-insensitively, unknown keys and nulls are ignored', async () => {
    await newProxy('lenient');
    const res = await api('POST', '/proxies/lenient/toxics', {
      Type: 'latency',
      STREAM: 'upstream',
      name: null,
      extra: true,
      Attributes: { LATENCY: 7, jitter: null, bogus: 1 },
    });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.text)).toEqual({ attributes: { latency: 7, jitter: 0 }, name: 'latency_upstream', type: 'latency', stream: 'upstream', toxicity: 1 });
  });
});

describe('raw HTTP', () => {
  test('status codes and bodies: 201 create, 200 toxic, 204 with empty bodies', async () => {
    const created = await api('POST', '/proxies', { name: 'codes', upstream: echo.address });
    expect([created.status, created.type]).toEqual([201, 'application/json']);
    expect(created.text.endsWith('}')).toBe(true);
    expect(JSON.parse(created.text).listen).toMatch(/^127\.0\.0\.1:\d+$/);

    const toxic = await api('POST', '/proxies/codes/toxics', { type: 'noop' });
    expect([toxic.status, toxic.type]).toEqual([200, 'application/json']);
    expect(toxic.text).toBe('{"attributes":{},"name":"noop_downstream","type":"noop","stream":"downstream","toxicity":1}');
    expect((await api('GET', '/proxies/codes/toxics/noop_downstream')).status).toBe(200);

    for (const [method, path] of [
      ['DELETE', '/proxies/codes/toxics/noop_downstream'],
      ['POST', '/reset'],
      ['DELETE', '/proxies/codes'],
    ]) {
      const reply = await api(method, path, method === 'POST' ? '{"ignored": true}' : undefined);
      expect({ method, path, status: reply.status, text: reply.text }).toEqual({ method, path, status: 204, text: '' });
    }
  });

  test('every routed response carries a 20-character X-Toxiproxy-Request-Id', async () => {
    for (const reply of [await api('GET', '/proxies'), await api('GET', '/proxies/none'), await api('PUT', '/proxies')]) {
      expect(reply.requestId).toMatch(/^[0-9a-v]{20}$/);
    }
    expect((await api('GET', '/version')).requestId).not.toBe((await api('GET', '/version')).requestId);
  });

  test('GET /proxies: {} when empty, keys sorted by name', async () => {
    const empty = await api('GET', '/proxies');
    expect([empty.status, empty.type, empty.text]).toEqual([200, 'application/json', '{}']);
    for (const name of ['charlie', 'alpha', 'bravo', 'Zulu']) await newProxy(name);
    const names = Object.keys(JSON.parse((await api('GET', '/proxies')).text));
    expect(names).toEqual(['Zulu', 'alpha', 'bravo', 'charlie']);
  });

  test('GET /proxies/{p}/toxics is [] for a proxy without toxics', async () => {
    await newProxy('bare');
    const reply = await api('GET', '/proxies/bare/toxics');
    expect([reply.status, reply.type, reply.text]).toEqual([200, 'application/json', '[]']);
  });

  test('GET /version: exact body and content type', async () => {
    const reply = await api('GET', '/version');
    expect([reply.status, reply.type, reply.text]).toEqual([200, 'application/json;charset=utf-8', '{"version": "2.12.0"}\n']);
  });

  test('a browser user agent is refused with 403; Wget is not', async () => {
    const mozilla = await api('GET', '/proxies', undefined, { 'User-Agent': 'Mozilla/5.0 (X11; Linux x86_64)' });
    expect([mozilla.status, mozilla.text]).toEqual([403, 'User agent not allowed\n']);
    expect(mozilla.type).toMatch(/^text\/plain/);
    const created = await api('POST', '/proxies', { name: 'ua', upstream: echo.address }, { 'User-Agent': 'Mozilla/5.0' });
    expect(created.status).toBe(403);
    expect((await api('GET', '/proxies/ua')).status).toBe(404);
    expect((await api('GET', '/proxies', undefined, { 'User-Agent': 'Wget/2.1' })).status).toBe(200);
  });

  test('unknown path: 404 page not found', async () => {
    for (const path of ['/', '/nope', '/proxies/a/b', '/proxies/', '/version/']) {
      const reply = await api('GET', path);
      expect({ path, status: reply.status, text: reply.text }).toEqual({ path, status: 404, text: '404 page not found\n' });
      expect(reply.type).toMatch(/^text\/plain/);
    }
  });

  test('known path, wrong method: 405 with an empty body', async () => {
    await newProxy('m');
    for (const [method, path] of [
      ['DELETE', '/proxies'],
      ['PUT', '/proxies/m'],
      ['GET', '/populate'],
      ['GET', '/reset'],
      ['POST', '/version'],
      ['PUT', '/proxies/m/toxics'],
    ]) {
      const reply = await api(method, path);
      expect({ method, path, status: reply.status, text: reply.text }).toEqual({ method, path, status: 405, text: '' });
    }
  });

  test('PATCH updates a proxy and a toxic exactly like POST', async () => {
    const proxy = await newProxy('patch');
    const off = await api('PATCH', '/proxies/patch', { enabled: false });
    expect(off.status).toBe(200);
    expect(JSON.parse(off.text)).toMatchObject({ name: 'patch', enabled: false, listen: proxy.listen });
    await api('POST', '/proxies/patch/toxics', { type: 'latency', attributes: { latency: 1, jitter: 2 } });
    const toxic = await api('PATCH', '/proxies/patch/toxics/latency_downstream', { attributes: { latency: 3 } });
    expect([toxic.status, JSON.parse(toxic.text).attributes]).toEqual([200, { latency: 3, jitter: 2 }]);
  });

  test('concurrent creates of one name: one 201, the rest 409, one proxy', async () => {
    const replies = await Promise.all(
      Array.from({ length: 6 }, () => api('POST', '/proxies', { name: 'race', upstream: echo.address })),
    );
    expect(replies.map((r) => r.status).sort()).toEqual([201, 409, 409, 409, 409, 409]);
    expect(Object.keys(JSON.parse((await api('GET', '/proxies')).text))).toEqual(['race']);
  });

  test('a proxy named __proto__ is an ordinary key', async () => {
    await newProxy('__proto__');
    const all = JSON.parse((await api('GET', '/proxies')).text);
    expect(Object.prototype.hasOwnProperty.call(all, '__proto__')).toBe(true);
    expect((await api('GET', '/proxies/__proto__')).status).toBe(200);
  });
});

describe('concurrent changes (driven on the collection, where the interleaving is certain)', () => {
  /** Listening TCP handles in this process, once closed ones have finished closing. */
  const listeners = async () => {
    for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r));
    return process.getActiveResourcesInfo().filter((r) => r === 'TCPServerWrap').length;
  };

  test('creates of one name: one wins, the others are 409, no listener is orphaned', async () => {
    const baseline = await listeners();
    const results = await Promise.allSettled(
      [1, 2, 3, 4].map(() => server.collection.create({ name: 'race', listen: '127.0.0.1:0', upstream: echo.address })),
    );
    expect(results.map((r) => (r.status === 'fulfilled' ? 201 : (r.reason as { status: number }).status))).toEqual([201, 409, 409, 409]);
    expect(await listeners()).toBe(baseline + 1);
  });

  test('enables of one disabled proxy start it once', async () => {
    await server.collection.create({ name: 'twice', listen: '127.0.0.1:0', upstream: echo.address, enabled: false });
    const baseline = await listeners();
    const results = await Promise.allSettled([1, 2, 3].map(() => server.collection.update('twice', { enabled: true })));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled']);
    expect(await listeners()).toBe(baseline + 1);
  });

  test('a delete during a restart leaves no listener behind', async () => {
    await server.collection.create({ name: 'moving', listen: '127.0.0.1:0', upstream: echo.address });
    const baseline = await listeners();
    await Promise.allSettled([server.collection.update('moving', { listen: '127.0.0.1:0' }), server.collection.remove('moving')]);
    expect(await listeners()).toBe(baseline - 1);
    expect((await api('GET', '/proxies/moving')).status).toBe(404);
  });
});

describe('populate', () => {
  test('creates in input order, honours enabled, and leaves unnamed proxies alone', async () => {
    await newProxy('untouched');
    const reply = await api('POST', '/populate', [
      { name: 'zeta', listen: '127.0.0.1:0', upstream: echo.address },
      { name: 'alpha', listen: '127.0.0.1:0', upstream: echo.address, enabled: false },
      { name: 'mid', upstream: echo.address, enabled: null },
    ]);
    expect([reply.status, reply.type]).toEqual([201, 'application/json']);
    const { proxies } = JSON.parse(reply.text);
    expect(proxies.map((p: { name: string; enabled: boolean }) => [p.name, p.enabled])).toEqual([
      ['zeta', true],
      ['alpha', false],
      ['mid', true],
    ]);
    expect(proxies[1].listen).toBe('127.0.0.1:0');
    expect(await roundTrip(await open(portOf(proxies[0].listen)), 'z')).toBe('z');
    expect(Object.keys(JSON.parse((await api('GET', '/proxies')).text))).toEqual(['alpha', 'mid', 'untouched', 'zeta']);
  });

  test('[] gives {"proxies":null}', async () => {
    const reply = await api('POST', '/populate', []);
    expect([reply.status, reply.type, reply.text]).toEqual([201, 'application/json', '{"proxies":null}']);
  });

  test('through the client: a map of the proxies by name', async () => {
    const proxies = await client.populate([
      { name: 'c1', listen: '127.0.0.1:0', upstream: echo.address },
      { name: 'c2', listen: '127.0.0.1:0', upstream: echo.address },
    ]);
    expect(Object.keys(proxies)).toEqual(['c1', 'c2']);
    expect(proxies.c2.enabled).toBe(true);
  });

  test('an unchanged entry is returned unchanged: toxics and enabled state kept, connection kept', async () => {
    const running = await newProxy('running');
    await running.addToxic({ type: 'latency', attributes: { latency: 1, jitter: 0 } } as never);
    const stopped = await newProxy('stopped');
    await stopped.update({ enabled: false } as never);
    const socket = await open(portOf(running.listen));
    expect(await roundTrip(socket, 'one')).toBe('one');
    const before = JSON.parse((await api('GET', '/proxies')).text);

    const reply = await api('POST', '/populate', [
      { name: 'running', listen: running.listen, upstream: echo.address, enabled: false },
      { name: 'stopped', listen: stopped.listen, upstream: echo.address, enabled: true },
    ]);
    expect(reply.status).toBe(201);
    expect(JSON.parse(reply.text).proxies).toEqual([before.running, before.stopped]);
    expect(JSON.parse((await api('GET', '/proxies')).text)).toEqual(before);
    expect(await roundTrip(socket, 'two')).toBe('two');
  });

  test('an unchanged entry given as localhost:P is still unchanged', async () => {
    const port = await freePort();
    await client.createProxy({ name: 'loc', listen: `localhost:${port}`, upstream: echo.address });
    await api('POST', '/proxies/loc/toxics', { type: 'noop' });
    const reply = await api('POST', '/populate', [{ name: 'loc', listen: `localhost:${port}`, upstream: echo.address }]);
    expect(JSON.parse(reply.text).proxies[0].toxics).toHaveLength(1);
  });

  test('a changed entry is replaced: toxics lost, enabled honoured, same port reusable', async () => {
    const old = await newProxy('changed');
    await old.addToxic({ type: 'noop', attributes: {} } as never);
    const other = await echoServer();
    try {
      const reply = await api('POST', '/populate', [{ name: 'changed', listen: old.listen, upstream: other.address }]);
      expect(reply.status).toBe(201);
      expect(JSON.parse(reply.text).proxies).toEqual([
        { name: 'changed', listen: old.listen, upstream: other.address, enabled: true, Logger: {}, toxics: [] },
      ]);
      const disabled = await api('POST', '/populate', [{ name: 'changed', listen: '127.0.0.1:0', upstream: echo.address, enabled: false }]);
      expect(JSON.parse(disabled.text).proxies[0]).toMatchObject({ enabled: false, listen: '127.0.0.1:0' });
      expect(await tryConnect(portOf(old.listen))).toBe('ECONNREFUSED');
    } finally {
      await other.close();
    }
  });

  test('the first bind error stops processing; the error carries the proxies created so far', async () => {
    const held = await occupyPort();
    try {
      const reply = await api('POST', '/populate', [
        { name: 'made', listen: '127.0.0.1:0', upstream: echo.address },
        { name: 'clash', listen: `127.0.0.1:${held.port}`, upstream: echo.address },
        { name: 'never', listen: '127.0.0.1:0', upstream: echo.address },
      ]);
      expect([reply.status, reply.type]).toEqual([500, 'application/json']);
      const body = JSON.parse(reply.text);
      expect(Object.keys(body)).toEqual(['error', 'status', 'proxies']);
      expect(body.error).toBe(`listen tcp 127.0.0.1:${held.port}: bind: address already in use`);
      expect(body.status).toBe(500);
      expect(body.proxies.map((p: { name: string }) => p.name)).toEqual(['made']);
      expect((await api('GET', '/proxies/made')).status).toBe(200);
      expect((await api('GET', '/proxies/clash')).status).toBe(404);
      expect((await api('GET', '/proxies/never')).status).toBe(404);
    } finally {
      await held.release();
    }
  });
});

describe('/metrics', () => {
  const metric = (text: string, name: string, labels: Record<string, string>): number | undefined => {
    const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
    const line = text
      .split('\n')
      .find((l) => l.startsWith(`${name}{`) && wanted.every((w) => l.includes(w)));
    return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
  };

  /** Polls /metrics until `ok` holds (counters are updated as bytes move, not at request time). */
  async function metricsWhen(ok: (text: string) => boolean): Promise<string> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const reply = await api('GET', '/metrics');
      expect(reply.status).toBe(200);
      expect(reply.type).toMatch(/^text\/plain/);
      if (ok(reply.text) || Date.now() > deadline) return reply.text;
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  test('byte counters per direction and the live connection gauge', async () => {
    const proxy = await newProxy('metered');
    await newProxy('idle');
    const socket = await open(portOf(proxy.listen));
    const payload = 'm'.repeat(1500);
    expect(await roundTrip(socket, payload)).toBe(payload);

    const counters = (text: string) =>
      ['upstream', 'downstream'].flatMap((direction) =>
        ['toxiproxy_proxy_received_bytes_total', 'toxiproxy_proxy_sent_bytes_total'].map((name) =>
          metric(text, name, { proxy: 'metered', direction }),
        ),
      );
    const text = await metricsWhen((t) => counters(t).every((v) => v === 1500));
    expect(counters(text)).toEqual([1500, 1500, 1500, 1500]);
    expect(metric(text, 'toxiproxy_proxy_received_bytes_total', { proxy: 'idle', direction: 'upstream' })).toBe(0);
    expect(metric(text, 'blackstart_proxy_connections', { proxy: 'metered' })).toBe(1);
    expect(metric(text, 'blackstart_proxy_connections', { proxy: 'idle' })).toBe(0);

    socket.destroy();
    const after = await metricsWhen((t) => metric(t, 'blackstart_proxy_connections', { proxy: 'metered' }) === 0);
    expect(metric(after, 'blackstart_proxy_connections', { proxy: 'metered' })).toBe(0);
    expect(metric(after, 'toxiproxy_proxy_sent_bytes_total', { proxy: 'metered', direction: 'downstream' })).toBe(1500);
  });
});
