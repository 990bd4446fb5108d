import { ToxicEnv, expectFast, pattern, peerUpstream, sleep, timed } from './harness';

/**
 * Measured throughput must be within this fraction of the configured rate. The toxic sleeps per
 * 100 ms slice; timer overshoot and a loaded 2-core machine cost a few percent, 15% keeps the
 * assertion meaningful (a toxic off by a factor, or not limiting at all, fails it).
 */
const RATE_TOLERANCE = 0.15;

let env: ToxicEnv;
beforeAll(async () => {
  env = await ToxicEnv.start();
});
afterEach(() => env.cleanup());
afterAll(() => env.close());

/** Bytes per second from the first send to the last byte received. */
const bytesPerSecond = (bytes: number, ms: number) => bytes / (ms / 1000);

function expectRate(measured: number, rateKBps: number) {
  const expected = rateKBps * 1000; // 1 KB = 1000 B, as Toxiproxy
  expect(measured).toBeGreaterThanOrEqual(expected * (1 - RATE_TOLERANCE));
  expect(measured).toBeLessThanOrEqual(expected * (1 + RATE_TOLERANCE));
}

it('200 KB downstream at 100 KB/s takes ~2 s (1 KB = 1000 B)', async () => {
  const { name, port } = await env.proxy();
  await env.addToxic(name, { type: 'bandwidth', stream: 'downstream', attributes: { rate: 100 } });
  const client = await env.connect(port);
  const msg = pattern(200_000, 1);
  const { data, ms } = await env.roundTrip(client, msg, 10_000);
  expect(data.equals(msg)).toBe(true);
  expectRate(bytesPerSecond(msg.length, ms), 100);
});

it('200 KB upstream at 100 KB/s reaches the upstream at ~100 KB/s', async () => {
  const sink = env.track(await peerUpstream(() => {}));
  const { name, port } = await env.proxy(sink.address);
  await env.addToxic(name, { type: 'bandwidth', stream: 'upstream', attributes: { rate: 100 } });
  const client = await env.connect(port);
  const msg = pattern(200_000, 2);
  const started = performance.now();
  client.send(msg);
  const server = await sink.accepted(0);
  const data = await server.read(msg.length, 10_000);
  const ms = server.chunks[server.chunks.length - 1].at - started;
  expect(data.equals(msg)).toBe(true);
  expectRate(bytesPerSecond(msg.length, ms), 100);
});

it("480,000 B at 1000 KB/s takes ~480 ms (Toxiproxy's own case)", async () => {
  const { name, port } = await env.proxy();
  await env.addToxic(name, { type: 'bandwidth', attributes: { rate: 1000 } });
  const client = await env.connect(port);
  const msg = pattern(480_000, 3);
  const { data, ms } = await env.roundTrip(client, msg, 10_000);
  expect(data.equals(msg)).toBe(true);
  expectRate(bytesPerSecond(msg.length, ms), 1000);
});

it('small messages below the rate pass with little delay', async () => {
  const { name, port } = await env.proxy();
  await env.addToxic(name, { type: 'bandwidth', attributes: { rate: 1000 } });
  const client = await env.connect(port);
  // 100 B at 1000 KB/s is 0.1 ms of budget.
  expectFast(await timed(async () => (await env.roundTrip(client, pattern(100))).ms));
});

it('rate 0 stalls the stream until the toxic is removed, then the data arrives intact', async () => {
  const { name, port } = await env.proxy();
  await env.addToxic(name, { name: 'stall', type: 'bandwidth', attributes: { rate: 0 } });
  const client = await env.connect(port);
  const msg = pattern(100_000, 4);
  client.send(msg);
  await sleep(1_000);
  expect(client.received).toBe(0);
  expect(client.isOpen).toBe(true);
  await env.removeToxic(name, 'stall');
  const data = await client.read(msg.length, 2_000);
  expect(data.equals(msg)).toBe(true);
});

it('raising the rate mid-transfer applies at once (no debt carried from the old rate)', async () => {
  const { name, port } = await env.proxy();
  await env.addToxic(name, { name: 'bw', type: 'bandwidth', attributes: { rate: 10 } });
  const client = await env.connect(port);
  const msg = pattern(100_000, 5); // 10 s at 10 KB/s
  client.send(msg);
  await sleep(500);
  const received = client.received;
  expect(received).toBeGreaterThan(0);
  expect(received).toBeLessThan(20_000);
  const raised = performance.now();
  await env.updateToxic(name, 'bw', { attributes: { rate: 10_000 } });
  const data = await client.read(msg.length, 5_000);
  expect(data.equals(msg)).toBe(true);
  // The rest is ~90 KB: 9 ms at 10,000 KB/s.
  expect(client.chunks[client.chunks.length - 1].at - raised).toBeLessThan(200);
});
