import { httpServer } from '../../helpers/net';
import { ToxicEnv, expectTimings, httpGet, peerUpstream, sleep, timed } from './harness';

/* Each timed case runs TIMING_RUNS times on fresh connections; see expectTimings for the bounds. */

let env: ToxicEnv;
beforeAll(async () => {
  env = await ToxicEnv.start();
});
afterEach(() => env.cleanup());
afterAll(() => env.close());

describe.each([0, 100])('present before connecting, timeout %i ms', (timeout) => {
  it('upstream: the client gets ECONNRESET ~timeout after sending; the upstream gets nothing', async () => {
    const times = await timed(async () => {
      const upstream = env.track(await peerUpstream());
      const { name, port } = await env.proxy(upstream.address);
      await env.addToxic(name, { type: 'reset_peer', stream: 'upstream', attributes: { timeout } });
      const client = await env.connect(port);
      const sentAt = performance.now();
      client.send('hello world');
      const { how, at } = await client.closed();
      expect(how).toBe('ECONNRESET');
      expect(client.received).toBe(0);
      const server = await upstream.accepted(0);
      expect((await server.closed()).how).toBe('ECONNRESET');
      expect(server.received).toBe(0);
      return at - sentAt;
    });
    expectTimings(times, timeout);
  });

  it('downstream: the echo is discarded and the client gets ECONNRESET ~timeout after sending', async () => {
    const times = await timed(async () => {
      const { name, port } = await env.proxy();
      await env.addToxic(name, { type: 'reset_peer', stream: 'downstream', attributes: { timeout } });
      const client = await env.connect(port);
      const sentAt = performance.now();
      client.send('hello world');
      const { how, at } = await client.closed();
      expect(how).toBe('ECONNRESET');
      expect(client.received).toBe(0);
      return at - sentAt;
    });
    expectTimings(times, timeout);
  });

  it('over HTTP: the request fails with ECONNRESET ~timeout after it is sent', async () => {
    const web = env.track(await httpServer());
    const { name, port } = await env.proxy(web.address);
    await env.addToxic(name, { type: 'reset_peer', stream: 'downstream', attributes: { timeout } });
    const times = await timed(async () => {
      const res = await httpGet(port);
      expect(res.error).toBe('ECONNRESET');
      expect(res.status).toBeUndefined();
      return res.ms;
    });
    expectTimings(times, timeout);
  });
});

it('does nothing until the first chunk arrives', async () => {
  const { name, port } = await env.proxy();
  await env.addToxic(name, { type: 'reset_peer', stream: 'upstream', attributes: { timeout: 0 } });
  const client = await env.connect(port);
  await sleep(300);
  expect(client.isOpen).toBe(true);
  client.send('now');
  expect((await client.closed()).how).toBe('ECONNRESET');
});

it('added to an open connection, closes it with a FIN (end), not a RST', async () => {
  const times = await timed(async () => {
    const upstream = env.track(await peerUpstream());
    const { name, port } = await env.proxy(upstream.address);
    const client = await env.connect(port);
    expect((await env.roundTrip(client, 'before')).data.toString()).toBe('before');
    await env.addToxic(name, { type: 'reset_peer', stream: 'upstream', attributes: { timeout: 100 } });
    const sentAt = performance.now();
    client.send('after');
    const { how, at } = await client.closed();
    expect(how).toBe('end');
    expect(client.received).toBe('before'.length);
    const server = await upstream.accepted(0);
    expect((await server.closed()).how).toBe('end');
    expect(server.received).toBe('before'.length);
    return at - sentAt;
  });
  expectTimings(times, 100);
});

it('toxicity 0 lets traffic through', async () => {
  const { name, port } = await env.proxy();
  await env.addToxic(name, { type: 'reset_peer', toxicity: 0, attributes: { timeout: 0 } });
  const client = await env.connect(port);
  expect((await env.roundTrip(client, 'fine')).data.toString()).toBe('fine');
  expect(client.isOpen).toBe(true);
});

it('over HTTP on a kept-alive connection, added mid-connection, the close is a FIN; new connections get a RST', async () => {
  const web = env.track(await httpServer());
  const { name, port } = await env.proxy(web.address);
  // Node's http client reports both a FIN and a RST before the response as ECONNRESET ("socket
  // hang up"), so the live connection speaks HTTP/1.1 over a raw socket to tell them apart.
  const client = await env.connect(port);
  const request = 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n';
  client.send(request);
  await client.read(1); // the first response starts arriving
  await sleep(50);
  expect(Buffer.concat(client.chunks.map((c) => c.data)).toString()).toMatch(/^HTTP\/1\.1 200 OK[\s\S]*\r\n\r\nok$/);
  const firstResponse = client.received;
  await env.addToxic(name, { type: 'reset_peer', stream: 'downstream', attributes: { timeout: 0 } });
  client.send(request);
  expect((await client.closed()).how).toBe('end');
  expect(client.received).toBe(firstResponse);
  expect((await httpGet(port)).error).toBe('ECONNRESET');
});
