import { EARLY_MS, LATE_MS, OUTLIER_MS, ToxicEnv, expectTimings, peerUpstream, sleep, timed } from './harness';

/** Toxiproxy: removing a `timeout 0` toxic, both sides see EOF within 1 s. */
const REMOVAL_CLOSES_WITHIN_MS = 1_000;
/** How long "forever" is checked for. */
const HOLD_CHECK_MS = 1_000;


let env: ToxicEnv;
beforeAll(async () => {
  env = await ToxicEnv.start();
});
afterEach(() => env.cleanup());
afterAll(() => env.close());

it('downstream: swallows the echo and closes (EOF) ~timeout after the last chunk', async () => {
  const times = await timed(async () => {
    const upstream = env.track(await peerUpstream());
    const { name, port } = await env.proxy(upstream.address);
    await env.addToxic(name, { type: 'timeout', stream: 'downstream', attributes: { timeout: 200 } });
    const client = await env.connect(port);
    const sentAt = performance.now();
    client.send('hello');
    const server = await upstream.accepted(0);
    expect((await server.read(5)).toString()).toBe('hello'); // upstream direction untouched
    const { how, at } = await client.closed();
    expect(how).toBe('end');
    expect(client.received).toBe(0);
    expect(await server.closesWithin(1_000)).toBe(true);
    return at - sentAt;
  });
  expectTimings(times, 200);
});

it('upstream: the upstream gets nothing and the client sees EOF ~timeout after sending', async () => {
  const times = await timed(async () => {
    const upstream = env.track(await peerUpstream());
    const { name, port } = await env.proxy(upstream.address);
    await env.addToxic(name, { type: 'timeout', stream: 'upstream', attributes: { timeout: 200 } });
    const client = await env.connect(port);
    const sentAt = performance.now();
    client.send('hello');
    const { how, at } = await client.closed();
    expect(how).toBe('end');
    expect(client.received).toBe(0);
    const server = await upstream.accepted(0);
    await server.closed(1_000);
    expect(server.received).toBe(0);
    return at - sentAt;
  });
  expectTimings(times, 200);
});

it('restarts its timer on each swallowed chunk', async () => {
  const { name, port } = await env.proxy();
  await env.addToxic(name, { type: 'timeout', stream: 'upstream', attributes: { timeout: 300 } });
  const client = await env.connect(port);
  let lastSentAt = 0;
  for (let i = 0; i < 6; i++) {
    lastSentAt = performance.now();
    client.send(`tick ${i}`);
    await sleep(100);
  }
  expect(client.isOpen).toBe(true); // 600 ms, more than one timeout, without closing
  const { how, at } = await client.closed();
  expect(how).toBe('end');
  // One run: a late close here is also an upper bound on the timer restart, so allow 2x slack.
  expect(at - lastSentAt).toBeGreaterThanOrEqual(300 - EARLY_MS);
  expect(at - lastSentAt).toBeLessThanOrEqual(300 + 2 * LATE_MS);
  expect(client.received).toBe(0);
});

it('timeout 0 swallows data and holds the connection forever', async () => {
  const upstream = env.track(await peerUpstream());
  const { name, port } = await env.proxy(upstream.address);
  await env.addToxic(name, { type: 'timeout', stream: 'downstream', attributes: { timeout: 0 } });
  const client = await env.connect(port);
  client.send('hello');
  const server = await upstream.accepted(0);
  await server.read(5);
  await sleep(HOLD_CHECK_MS);
  expect(client.received).toBe(0);
  expect(client.isOpen).toBe(true);
  expect(server.isOpen).toBe(true);
});

it('removing a timeout toxic closes the connections it held, on both sides', async () => {
  const upstream = env.track(await peerUpstream());
  const { name, port } = await env.proxy(upstream.address);
  await env.addToxic(name, { name: 'hold', type: 'timeout', stream: 'upstream', attributes: { timeout: 0 } });
  const client = await env.connect(port);
  client.send('hello');
  const server = await upstream.accepted(0);
  await sleep(100);
  expect(client.isOpen).toBe(true);
  const removing = performance.now();
  await env.removeToxic(name, 'hold');
  const closedClient = await client.closed(REMOVAL_CLOSES_WITHIN_MS);
  const closedServer = await server.closed(REMOVAL_CLOSES_WITHIN_MS);
  expect(closedClient.how).toBe('end');
  expect(closedServer.how).toBe('end');
  expect(closedClient.at - removing).toBeLessThan(REMOVAL_CLOSES_WITHIN_MS);
  expect(server.received).toBe(0);
});

it('removing a timeout toxic leaves connections it did not apply to (toxicity 0) open', async () => {
  const { name, port } = await env.proxy();
  await env.addToxic(name, { name: 'never', type: 'timeout', toxicity: 0, attributes: { timeout: 0 } });
  const client = await env.connect(port);
  expect((await env.roundTrip(client, 'a')).data.toString()).toBe('a');
  await env.removeToxic(name, 'never');
  expect((await env.roundTrip(client, 'b')).data.toString()).toBe('b');
  expect(client.isOpen).toBe(true);
});

it('toxicity 0 lets data through; updated to toxicity 1 timeout 100, the client sees EOF within ~100 ms', async () => {
  const times = await timed(async () => {
    const { name, port } = await env.proxy();
    await env.addToxic(name, { name: 'maybe', type: 'timeout', stream: 'upstream', toxicity: 0, attributes: { timeout: 0 } });
    const client = await env.connect(port);
    for (let i = 0; i < 5; i++) expect((await env.roundTrip(client, `msg ${i}`)).data.toString()).toBe(`msg ${i}`);
    await env.updateToxic(name, 'maybe', { toxicity: 1, attributes: { timeout: 100 } });
    const sentAt = performance.now();
    client.send('swallowed');
    const { how, at } = await client.closed();
    expect(how).toBe('end');
    expect(client.received).toBe(5 * 5);
    return at - sentAt;
  });
  // Toxiproxy's test reads EOF within 150 ms; the median must be within 100 + LATE_MS.
  expectTimings(times, 100);
});

it('on expiry, the other direction still drains what it holds, then both sides close', async () => {
  const upstream = env.track(await peerUpstream());
  const { name, port } = await env.proxy(upstream.address);
  await env.addToxic(name, { type: 'latency', stream: 'downstream', attributes: { latency: 300 } });
  const client = await env.connect(port);
  const sentAt = performance.now();
  client.send('abc');
  await sleep(50); // the echo is held by the latency toxic
  const adding = performance.now();
  await env.addToxic(name, { type: 'timeout', stream: 'upstream', attributes: { timeout: 100 } });
  const added = performance.now();
  const server = await upstream.accepted(0);
  const serverClosed = await server.closed();
  expect(serverClosed.how).toBe('end');
  expect(serverClosed.at - adding).toBeGreaterThanOrEqual(100 - EARLY_MS);
  expect(serverClosed.at - added).toBeLessThanOrEqual(100 + OUTLIER_MS);
  const { how, at } = await client.closed();
  expect(how).toBe('end');
  // The echo held by latency is delivered (at sentAt + 300), and only then the client closes.
  expect(Buffer.concat(client.chunks.map((c) => c.data)).toString()).toBe('abc');
  expect(at - sentAt).toBeGreaterThanOrEqual(300 - EARLY_MS);
});
