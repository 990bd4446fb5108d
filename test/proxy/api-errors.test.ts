import * as http from 'node:http';
import type { ProxyServer } from '../../proxy/server';
import { call, expectApiError, occupyPort, portOf, tryConnect, type ApiReply } from '../helpers/api';
import { echoServer, startTestProxyServer, type Upstream } from '../helpers/net';

// Bad input: every refusal with its status and exact message, in Toxiproxy's validation order.

let server: ProxyServer;
let echo: Upstream;

beforeAll(async () => {
  server = await startTestProxyServer();
  echo = await echoServer();
});

afterEach(async () => {
  for (const name of Object.keys(JSON.parse((await api('GET', '/proxies')).text))) {
    await api('DELETE', `/proxies/${encodeURIComponent(name)}`);
  }
});

afterAll(async () => {
  // Whatever came before, the server still answers.
  expect((await api('GET', '/version')).status).toBe(200);
  await server.close();
  await echo.close();
});

const api = (method: string, path: string, body?: unknown) => call(server.url, method, path, body);

/** A call whose path is sent as written (fetch would resolve `..`). */
function rawCall(method: string, path: string, body?: string): Promise<{ status: number; text: string }> {
  const { hostname, port } = new URL(server.url);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: hostname, port, method, path, agent: false }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** The message JSON.parse gives for `raw`, as the server reports it after `bad request body: invalid JSON: `. */
function parseMessage(raw: string): string {
  try {
    JSON.parse(raw);
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error(`${raw} parses`);
}

async function makeProxy(name: string, extra: Record<string, unknown> = {}): Promise<{ listen: string }> {
  const reply = await api('POST', '/proxies', { name, listen: '127.0.0.1:0', upstream: echo.address, ...extra });
  expect(reply.status).toBe(201);
  return JSON.parse(reply.text);
}

async function toxicsOf(proxy: string): Promise<unknown[]> {
  return JSON.parse((await api('GET', `/proxies/${proxy}/toxics`)).text);
}

describe('create proxy', () => {
  test('malformed JSON, empty and blank bodies', async () => {
    expectApiError(await api('POST', '/proxies', '{"name":'), 400, `bad request body: invalid JSON: ${parseMessage('{"name":')}`);
    expectApiError(await api('POST', '/proxies', ''), 400, 'bad request body: EOF');
    expectApiError(await api('POST', '/proxies', undefined), 400, 'bad request body: EOF');
    expectApiError(await api('POST', '/proxies', ' \n'), 400, 'bad request body: EOF');
  });

  test('a body of the wrong JSON type, a field of the wrong type', async () => {
    expectApiError(await api('POST', '/proxies', []), 400, 'bad request body: json: cannot unmarshal array into Go value of type proxy.Proxy');
    expectApiError(await api('POST', '/proxies', '"x"'), 400, 'bad request body: json: cannot unmarshal string into Go value of type proxy.Proxy');
    expectApiError(
      await api('POST', '/proxies', { name: 1, upstream: echo.address }),
      400,
      'bad request body: json: cannot unmarshal number into Go struct field Proxy.name of type string',
    );
    expectApiError(
      await api('POST', '/proxies', { name: 'a', upstream: echo.address, enabled: 'yes' }),
      400,
      'bad request body: json: cannot unmarshal string into Go struct field Proxy.enabled of type bool',
    );
  });

  test('missing name, then missing upstream', async () => {
    expectApiError(await api('POST', '/proxies', {}), 400, 'missing required field: name');
    expectApiError(await api('POST', '/proxies', { name: '', upstream: echo.address }), 400, 'missing required field: name');
    expectApiError(await api('POST', '/proxies', { name: null, upstream: echo.address }), 400, 'missing required field: name');
    expectApiError(await api('POST', '/proxies', { name: 'a' }), 400, 'missing required field: upstream');
    expectApiError(await api('POST', '/proxies', { name: 'a', upstream: '' }), 400, 'missing required field: upstream');
    expect((await api('GET', '/proxies')).text).toBe('{}');
  });

  test('an upstream that is not host:port', async () => {
    const cases: [string, string][] = [
      ['nohost', 'address nohost: missing port in address'],
      [':8080', 'address :8080: missing host in address'],
      ['host:99999', 'address host:99999: invalid port "99999"'],
      ['host:http', 'address host:http: invalid port "http"'],
      ['host:0', 'address host:0: port must be 1-65535'],
      ['a:b:1', 'address a:b:1: too many colons in address'],
    ];
    for (const [upstream, detail] of cases) {
      expectApiError(await api('POST', '/proxies', { name: 'u', upstream }), 400, `invalid upstream: ${detail}`);
    }
    expect((await api('GET', '/proxies/u')).status).toBe(404);
  });

  test('a duplicate name is 409, checked before binding', async () => {
    const first = await makeProxy('dup');
    expectApiError(await api('POST', '/proxies', { name: 'dup', listen: '127.0.0.1:0', upstream: echo.address }), 409, 'proxy already exists');
    // Same port as the first: the name clash wins over the bind failure, and over a bad listen.
    expectApiError(await api('POST', '/proxies', { name: 'dup', listen: first.listen, upstream: echo.address }), 409, 'proxy already exists');
    expectApiError(await api('POST', '/proxies', { name: 'dup', listen: 'bad', upstream: echo.address }), 409, 'proxy already exists');
    expect(JSON.parse((await api('GET', '/proxies/dup')).text).listen).toBe(first.listen);
  });

  test('a listen port already in use: 500 with the OS error; nothing created', async () => {
    const held = await occupyPort();
    try {
      for (const host of ['127.0.0.1', 'localhost']) {
        expectApiError(
          await api('POST', '/proxies', { name: 'busy', listen: `${host}:${held.port}`, upstream: echo.address }),
          500,
          `listen tcp 127.0.0.1:${held.port}: bind: address already in use`,
        );
      }
      expect((await api('GET', '/proxies/busy')).status).toBe(404);
    } finally {
      await held.release();
    }
  });

  test('a listen address without a port: 500; nothing created', async () => {
    expectApiError(await api('POST', '/proxies', { name: 'bad', listen: 'bad', upstream: echo.address }), 500, 'address bad: missing port in address');
    expectApiError(
      await api('POST', '/proxies', { name: 'bad', listen: '127.0.0.1:x', upstream: echo.address }),
      500,
      'address 127.0.0.1:x: invalid port "x"',
    );
    expect((await api('GET', '/proxies/bad')).status).toBe(404);
  });
});

describe('unknown proxy or toxic', () => {
  test('every proxy endpoint answers 404 proxy not found, even with a bad body', async () => {
    const endpoints: [string, string][] = [
      ['GET', '/proxies/nope'],
      ['POST', '/proxies/nope'],
      ['PATCH', '/proxies/nope'],
      ['DELETE', '/proxies/nope'],
      ['GET', '/proxies/nope/toxics'],
      ['POST', '/proxies/nope/toxics'],
      ['GET', '/proxies/nope/toxics/t'],
      ['POST', '/proxies/nope/toxics/t'],
      ['PATCH', '/proxies/nope/toxics/t'],
      ['DELETE', '/proxies/nope/toxics/t'],
    ];
    for (const [method, path] of endpoints) {
      const body = method === 'POST' || method === 'PATCH' ? '{not json' : undefined;
      const reply = await api(method, path, body);
      expect({ method, path, status: reply.status }).toEqual({ method, path, status: 404 });
      expectApiError(reply, 404, 'proxy not found');
    }
  });

  test('every toxic endpoint answers 404 toxic not found, before the body is parsed', async () => {
    await makeProxy('p');
    for (const method of ['GET', 'POST', 'PATCH', 'DELETE']) {
      const body = method === 'POST' || method === 'PATCH' ? '{not json' : undefined;
      expectApiError(await api(method, '/proxies/p/toxics/nope', body), 404, 'toxic not found');
    }
  });

  test('a deleted proxy is gone for a second delete', async () => {
    await makeProxy('once');
    expect((await api('DELETE', '/proxies/once')).status).toBe(204);
    expectApiError(await api('DELETE', '/proxies/once'), 404, 'proxy not found');
  });
});

describe('create toxic', () => {
  beforeEach(() => makeProxy('p'));

  test('malformed JSON and empty bodies', async () => {
    expectApiError(await api('POST', '/proxies/p/toxics', '{"type"'), 400, `bad request body: invalid JSON: ${parseMessage('{"type"')}`);
    expectApiError(await api('POST', '/proxies/p/toxics', ''), 400, 'bad request body: EOF');
    expectApiError(
      await api('POST', '/proxies/p/toxics', { type: 'latency', toxicity: 'abc' }),
      400,
      'bad request body: json: cannot unmarshal string into Go struct field ToxicWrapper.toxicity of type float32',
    );
    expectApiError(
      await api('POST', '/proxies/p/toxics', { type: 'latency', attributes: [1] }),
      400,
      'bad request body: json: cannot unmarshal array into Go struct field ToxicWrapper.attributes of type map[string]interface {}',
    );
  });

  test('unknown, missing, empty and `down` types: 400 invalid toxic type', async () => {
    for (const body of [{ type: 'nonsense' }, {}, { type: '' }, { type: 'down' }, { type: 'LATENCY' }, { name: 'x', attributes: { latency: 1 } }]) {
      expectApiError(await api('POST', '/proxies/p/toxics', body), 400, 'invalid toxic type');
    }
    expect(await toxicsOf('p')).toEqual([]);
  });

  test('a bad stream, including an explicit "": 400', async () => {
    for (const stream of ['sideways', '', 'up', 'downstream ']) {
      expectApiError(
        await api('POST', '/proxies/p/toxics', { type: 'latency', stream }),
        400,
        'stream was invalid, can be either upstream or downstream',
      );
    }
    expectApiError(
      await api('POST', '/proxies/p/toxics', { type: 'latency', stream: 7 }),
      400,
      'bad request body: json: cannot unmarshal number into Go struct field ToxicWrapper.stream of type string',
    );
  });

  test('a name taken in either stream: 409', async () => {
    expect((await api('POST', '/proxies/p/toxics', { name: 'x', type: 'latency', stream: 'upstream' })).status).toBe(200);
    expectApiError(await api('POST', '/proxies/p/toxics', { name: 'x', type: 'bandwidth', stream: 'downstream' }), 409, 'toxic already exists');
    expectApiError(await api('POST', '/proxies/p/toxics', { name: 'x', type: 'latency', stream: 'upstream' }), 409, 'toxic already exists');
    // Two unnamed toxics of one type and stream share the default name.
    expect((await api('POST', '/proxies/p/toxics', { type: 'latency' })).status).toBe(200);
    expectApiError(await api('POST', '/proxies/p/toxics', { type: 'latency' }), 409, 'toxic already exists');
    expect((await toxicsOf('p')).length).toBe(2);
  });

  test('attributes of the wrong type', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ type: 'latency', attributes: { latency: 1.5 } }, 'latency: must be an integer, got 1.5'],
      [{ type: 'latency', attributes: { jitter: 'abc' } }, 'jitter: must be an integer, got "abc"'],
      [{ type: 'bandwidth', attributes: { rate: true } }, 'rate: must be an integer, got true'],
      [{ type: 'limit_data', attributes: { bytes: { n: 1 } } }, 'bytes: must be an integer, got {"n":1}'],
      [{ type: 'timeout', attributes: { timeout: 1e300 } }, 'timeout: must be an integer, got 1e+300'],
    ];
    for (const [body, detail] of cases) {
      expectApiError(await api('POST', '/proxies/p/toxics', body), 400, `bad request body: ${detail}`);
    }
    expect(await toxicsOf('p')).toEqual([]);
  });

  test('negative attributes of every type, and slicer average_size 0', async () => {
    const cases: [string, string][] = [
      ['latency', 'latency'],
      ['latency', 'jitter'],
      ['bandwidth', 'rate'],
      ['slow_close', 'delay'],
      ['timeout', 'timeout'],
      ['reset_peer', 'timeout'],
      ['slicer', 'average_size'],
      ['slicer', 'size_variation'],
      ['slicer', 'delay'],
      ['limit_data', 'bytes'],
    ];
    for (const [type, attr] of cases) {
      const attributes = { average_size: 1, [attr]: -1 };
      expectApiError(await api('POST', '/proxies/p/toxics', { type, attributes }), 400, `bad request body: ${attr}: must not be negative, got -1`);
    }
    for (const attributes of [{ average_size: 0 }, {}]) {
      expectApiError(
        await api('POST', '/proxies/p/toxics', { type: 'slicer', attributes }),
        400,
        'bad request body: average_size: must be at least 1 (0 crashes Toxiproxy)',
      );
    }
    expect(await toxicsOf('p')).toEqual([]);
  });

  test('validation order: stream, type, duplicate name, attributes', async () => {
    // A bad stream is reported before an unknown type.
    expectApiError(
      await api('POST', '/proxies/p/toxics', { type: 'nonsense', stream: 'sideways' }),
      400,
      'stream was invalid, can be either upstream or downstream',
    );
    expect((await api('POST', '/proxies/p/toxics', { name: 'taken', type: 'latency' })).status).toBe(200);
    // An unknown type before a duplicate name.
    expectApiError(await api('POST', '/proxies/p/toxics', { name: 'taken', type: 'nonsense' }), 400, 'invalid toxic type');
    // A duplicate name before bad attributes.
    expectApiError(await api('POST', '/proxies/p/toxics', { name: 'taken', type: 'latency', attributes: { latency: -1 } }), 409, 'toxic already exists');
    // The default name clashes too, before the attributes are read.
    expect((await api('POST', '/proxies/p/toxics', { type: 'bandwidth', stream: 'upstream' })).status).toBe(200);
    expectApiError(await api('POST', '/proxies/p/toxics', { type: 'bandwidth', stream: 'upstream', attributes: { rate: 'x' } }), 409, 'toxic already exists');
    // The proxy is checked before the body.
    expectApiError(await api('POST', '/proxies/other/toxics', '{'), 404, 'proxy not found');
  });
});

describe('update toxic', () => {
  beforeEach(async () => {
    await makeProxy('p');
    expect((await api('POST', '/proxies/p/toxics', { type: 'latency', toxicity: 0.5, attributes: { latency: 10, jitter: 2 } })).status).toBe(200);
  });

  const current = async () => JSON.parse((await api('GET', '/proxies/p/toxics/latency_downstream')).text);

  test('bad bodies are refused and leave the toxic as it was', async () => {
    const before = await current();
    const path = '/proxies/p/toxics/latency_downstream';
    expectApiError(await api('POST', path, ''), 400, 'bad request body: EOF');
    expectApiError(await api('POST', path, '{'), 400, `bad request body: invalid JSON: ${parseMessage('{')}`);
    expectApiError(await api('POST', path, { attributes: { latency: 1.5 } }), 400, 'bad request body: latency: must be an integer, got 1.5');
    expectApiError(await api('PATCH', path, { attributes: { jitter: -1 }, toxicity: 0.1 }), 400, 'bad request body: jitter: must not be negative, got -1');
    // Toxiproxy decodes an update into an anonymous struct: no struct name in the message.
    expectApiError(
      await api('POST', path, { toxicity: 'high' }),
      400,
      'bad request body: json: cannot unmarshal string into Go struct field .toxicity of type float32',
    );
    expect(await current()).toEqual(before);
  });

  test('name, type and stream in the body are ignored, whatever their JSON type', async () => {
    const reply = await api('POST', '/proxies/p/toxics/latency_downstream', { name: 5, type: ['x'], stream: false, attributes: { latency: 20 } });
    expect(reply.status).toBe(200);
    expect(JSON.parse(reply.text)).toEqual({ attributes: { latency: 20, jitter: 2 }, name: 'latency_downstream', type: 'latency', stream: 'downstream', toxicity: 0.5 });
  });
});

describe('update proxy', () => {
  test('bad bodies: 400, the proxy unchanged', async () => {
    const { listen } = await makeProxy('p');
    const before = (await api('GET', '/proxies/p')).text;
    expectApiError(await api('POST', '/proxies/p', ''), 400, 'bad request body: EOF');
    expectApiError(await api('POST', '/proxies/p', '{"enabled":'), 400, `bad request body: invalid JSON: ${parseMessage('{"enabled":')}`);
    expectApiError(
      await api('PATCH', '/proxies/p', { enabled: 'no' }),
      400,
      'bad request body: json: cannot unmarshal string into Go struct field Proxy.enabled of type bool',
    );
    expectApiError(await api('POST', '/proxies/p', { upstream: 'nohost' }), 400, 'invalid upstream: address nohost: missing port in address');
    expect((await api('GET', '/proxies/p')).text).toBe(before);
    expect(await tryConnect(portOf(listen))).toBe('connected');
  });

  test('an unresolvable listen: 500, the proxy unchanged and still running', async () => {
    const { listen } = await makeProxy('p');
    const before = (await api('GET', '/proxies/p')).text;
    expectApiError(await api('POST', '/proxies/p', { listen: 'bad' }), 500, 'address bad: missing port in address');
    // Also when the upstream changes in the same request.
    const other = await echoServer();
    try {
      expectApiError(await api('POST', '/proxies/p', { listen: 'bad', upstream: other.address }), 500, 'address bad: missing port in address');
    } finally {
      await other.close();
    }
    expect((await api('GET', '/proxies/p')).text).toBe(before);
    expect(await tryConnect(portOf(listen))).toBe('connected');
  });

  test('a listen port in use: 500, the proxy left disabled with the new listen', async () => {
    const { listen } = await makeProxy('p');
    const held = await occupyPort();
    try {
      expectApiError(
        await api('POST', '/proxies/p', { listen: `127.0.0.1:${held.port}` }),
        500,
        `listen tcp 127.0.0.1:${held.port}: bind: address already in use`,
      );
      expect(JSON.parse((await api('GET', '/proxies/p')).text)).toMatchObject({ enabled: false, listen: `127.0.0.1:${held.port}` });
      expect(await tryConnect(portOf(listen))).toBe('ECONNREFUSED');
    } finally {
      await held.release();
    }
  });
});

describe('reset', () => {
  test('a proxy that cannot re-bind: 500 with the bind error', async () => {
    await makeProxy('p');
    expect((await api('POST', '/proxies/p/toxics', { type: 'noop' })).status).toBe(200);
    expect((await api('POST', '/proxies/p', { enabled: false })).status).toBe(200);
    const held = await occupyPort();
    try {
      expect((await api('POST', '/proxies/p', { listen: `127.0.0.1:${held.port}`, enabled: false })).status).toBe(200);
      expectApiError(await api('POST', '/reset'), 500, `listen tcp 127.0.0.1:${held.port}: bind: address already in use`);
      // The proxy stays as it was, toxics included.
      expect(JSON.parse((await api('GET', '/proxies/p')).text)).toMatchObject({ enabled: false, toxics: [{ name: 'noop_downstream' }] });
    } finally {
      await held.release();
    }
  });
});

describe('populate', () => {
  const expectPopulateError = (reply: ApiReply, status: number, message: string) => {
    expect({ status: reply.status, type: reply.type, text: reply.text }).toEqual({
      status,
      type: 'application/json',
      text: JSON.stringify({ error: message, status, proxies: null }),
    });
  };

  test('a body that is not an array: 400 with "proxies":null', async () => {
    expectPopulateError(
      await api('POST', '/populate', { name: 'a', upstream: echo.address }),
      400,
      'bad request body: json: cannot unmarshal object into Go value of type []proxy.Proxy',
    );
    expectPopulateError(await api('POST', '/populate', '"x"'), 400, 'bad request body: json: cannot unmarshal string into Go value of type []proxy.Proxy');
    expectPopulateError(await api('POST', '/populate', '['), 400, `bad request body: invalid JSON: ${parseMessage('[')}`);
    expectPopulateError(await api('POST', '/populate', ''), 400, 'bad request body: EOF');
    expectPopulateError(
      await api('POST', '/populate', [{ name: 'a', upstream: echo.address, enabled: 'yes' }]),
      400,
      'bad request body: json: cannot unmarshal string into Go struct field Proxy.enabled of type bool',
    );
  });

  test('missing fields name the entry, and nothing is created', async () => {
    const ok = { name: 'ok', listen: '127.0.0.1:0', upstream: echo.address };
    expectPopulateError(await api('POST', '/populate', [ok, { upstream: echo.address }]), 400, 'missing required field: name at proxy 2');
    expectPopulateError(
      await api('POST', '/populate', [ok, { name: 'b', upstream: echo.address }, { name: 'c', upstream: '' }]),
      400,
      'missing required field: upstream at proxy 3',
    );
    const bad = await api('POST', '/populate', [ok, { name: 'b', upstream: 'nohost' }]);
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.text)).toMatchObject({ error: expect.stringContaining('invalid upstream: '), proxies: null });
    expect((await api('GET', '/proxies')).text).toBe('{}');
  });

  test('a bad listen stops processing like a bind error', async () => {
    const reply = await api('POST', '/populate', [
      { name: 'first', listen: '127.0.0.1:0', upstream: echo.address },
      { name: 'second', listen: 'bad', upstream: echo.address },
    ]);
    expect([reply.status, reply.type]).toEqual([500, 'application/json']);
    const body = JSON.parse(reply.text);
    expect([body.error, body.status, body.proxies.map((p: { name: string }) => p.name)]).toEqual([
      'address bad: missing port in address',
      500,
      ['first'],
    ]);
    expect((await api('GET', '/proxies/second')).status).toBe(404);
  });
});

describe('robustness', () => {
  test('a body over 1 MiB is refused, and the server answers afterwards', async () => {
    await makeProxy('p');
    const reply = await api('POST', '/proxies/p/toxics', JSON.stringify({ type: 'noop', pad: 'x'.repeat(2 << 20) }));
    expect(reply.status).toBe(413);
    expect(await toxicsOf('p')).toEqual([]);
  });

  test('a malformed percent-escape in the path is a 400, not a crash', async () => {
    const reply = await api('GET', '/proxies/%zz');
    expect(reply.status).toBe(400);
    expect((await api('GET', '/proxies')).status).toBe(200);
  });

  // Found by the fuzz (test/proxy/fuzz.test.ts, issue 14); each was a wrong answer or unbounded memory.

  test('JSON nested deeper than Go accepts (10,000) is a 400, not a 500 from a stack overflow', async () => {
    await makeProxy('p');
    const deep = '['.repeat(100_000) + ']'.repeat(100_000);
    // An attribute this deep made the message's JSON.stringify overflow: 500 "Maximum call stack size exceeded".
    const reply = await api('POST', '/proxies/p/toxics', `{"type":"latency","attributes":{"latency":${deep}}}`);
    expectApiError(reply, 400, 'bad request body: invalid JSON: exceeded max depth (10000)');
    expectApiError(await api('POST', '/proxies', deep), 400, 'bad request body: invalid JSON: exceeded max depth (10000)');
    // As deep as Go allows, in a string or not, is parsed as before.
    expectApiError(await api('POST', '/proxies', `{"name":${'['.repeat(9_999)}${']'.repeat(9_999)}}`), 400, 'bad request body: json: cannot unmarshal array into Go struct field Proxy.name of type string');
    expectApiError(await api('POST', '/proxies', JSON.stringify({ name: '[', upstream: '['.repeat(20_000) + '\\"' })), 400, 'bad request body: upstream: longer than 1024 characters');
  });

  test('a megabyte value is not echoed back in the message', async () => {
    await makeProxy('p');
    const reply = await api('POST', '/proxies/p/toxics', { type: 'latency', attributes: { latency: 'x'.repeat(900_000) } });
    expect(reply.status).toBe(400);
    expect(JSON.parse(reply.text).error).toBe(`bad request body: latency: must be an integer, got "${'x'.repeat(59)}... (900002 characters)`);
  });

  test('names, listens and upstreams longer than 1024 characters are refused; 1024 is accepted', async () => {
    const long = 'n'.repeat(1025);
    expectApiError(await api('POST', '/proxies', { name: long, upstream: echo.address }), 400, 'bad request body: name: longer than 1024 characters');
    expectApiError(await api('POST', '/proxies', { name: 'a', upstream: 'h'.repeat(1100) + ':1' }), 400, 'bad request body: upstream: longer than 1024 characters');
    expectApiError(await api('POST', '/proxies', { name: 'a', upstream: echo.address, listen: 'h'.repeat(1100) + ':0' }), 400, 'bad request body: listen: longer than 1024 characters');
    // A 1 MB name (under the 1 MiB body limit) was taken, and every later listing carried it.
    expectApiError(await api('POST', '/proxies', { name: 'n'.repeat(1_000_000), upstream: echo.address }), 400, 'bad request body: name: longer than 1024 characters');
    await makeProxy('n'.repeat(1024));
    await makeProxy('p');
    expectApiError(await api('POST', '/proxies/p/toxics', { type: 'noop', name: long }), 400, 'bad request body: name: longer than 1024 characters');
    const populated = await api('POST', '/populate', [{ name: long, upstream: echo.address }]);
    expect({ status: populated.status, body: JSON.parse(populated.text) }).toEqual({ status: 400, body: { error: 'bad request body: 0.name: longer than 1024 characters', status: 400, proxies: null } });
  });

  test('a name holding "/" or "%" is addressed by its escaped form, and can be deleted', async () => {
    for (const name of ['a/b', 'c%2Fd', '..']) {
      await makeProxy(name);
      const path = `/proxies/${encodeURIComponent(name)}`;
      // Unescaped whole, `a%2Fb` became /proxies/a/b: 404, and the proxy could never be deleted.
      expect(JSON.parse((await rawCall('GET', path)).text).name).toBe(name);
      expect((await rawCall('POST', `${path}/toxics`, JSON.stringify({ type: 'noop', name: 'x/y' }))).status).toBe(200);
      expect((await rawCall('DELETE', `${path}/toxics/${encodeURIComponent('x/y')}`)).status).toBe(204);
      expect((await rawCall('DELETE', path)).status).toBe(204);
    }
    expect((await api('GET', '/proxies')).text).toBe('{}');
  });

  test('a populate body over 1 MiB answers in populate\'s own shape, with "proxies":null', async () => {
    const reply = await api('POST', '/populate', JSON.stringify([{ name: 'a', upstream: echo.address, pad: 'x'.repeat(2 << 20) }]));
    expect({ status: reply.status, type: reply.type, body: JSON.parse(reply.text) }).toEqual({
      status: 413,
      type: 'application/json',
      body: { error: 'bad request body: larger than 1 MiB', status: 413, proxies: null },
    });
  });

  test('at most 1000 proxies and 100 toxics a proxy: a populate past the limit creates nothing', async () => {
    const entries = Array.from({ length: 1001 }, (_, i) => ({ name: `p${i}`, listen: '127.0.0.1:0', upstream: echo.address, enabled: false }));
    const refused = await api('POST', '/populate', entries);
    expect({ status: refused.status, body: JSON.parse(refused.text) }).toEqual({ status: 400, body: { error: 'too many proxies: at most 1000; delete one first', status: 400, proxies: null } });
    expect((await api('GET', '/proxies')).text).toBe('{}');
    expect((await api('POST', '/populate', entries.slice(0, 1000))).status).toBe(201);
    expectApiError(await api('POST', '/proxies', { name: 'one-more', upstream: echo.address }), 400, 'too many proxies: at most 1000; delete one first');
    // Populating names that exist adds nothing: allowed at the limit.
    expect((await api('POST', '/populate', entries.slice(0, 2))).status).toBe(201);
    for (let i = 0; i < 100; i++) expect((await api('POST', '/proxies/p0/toxics', { type: 'noop', name: `t${i}` })).status).toBe(200);
    expectApiError(await api('POST', '/proxies/p0/toxics', { type: 'noop', name: 't100' }), 400, 'too many toxics on this proxy: at most 100; delete one first');
  }, 60_000);

  test('many bad requests at once leave the server serving', async () => {
    const bodies: unknown[] = ['', '{', [], { name: 1 }, { name: 'x' }, { name: 'x', upstream: 'y' }, null, 'null', '1'];
    const replies = await Promise.all(bodies.map((b) => api('POST', '/proxies', b === null ? undefined : b)));
    expect(replies.every((r) => r.status >= 400 && r.status < 500)).toBe(true);
    expect((await api('GET', '/version')).text).toBe('{"version": "2.12.0"}\n');
  });
});
