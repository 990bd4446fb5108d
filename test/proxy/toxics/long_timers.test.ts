import { ToxicEnv, peerUpstream, sleep } from './harness';

/**
 * Waits beyond a timer's reach. Node fires a timer of more than 2^31 - 1 ms (24.8 days) after
 * 1 ms, with a TimeoutOverflowWarning: a toxic of 2^40 ms released its data, closed or reset its
 * connection at once instead of holding it (found by the API fuzz, issue 14). Such a wait is now
 * forever, ended only by removing or changing the toxic.
 */

const HUGE = 2 ** 40;
const HOLD_CHECK_MS = 300;

let env: ToxicEnv;
let warnings: string[] = [];
const onWarning = (w: Error) => warnings.push(`${w.name}: ${w.message}`);
beforeAll(async () => {
  env = await ToxicEnv.start();
  process.on('warning', onWarning);
});
afterEach(() => env.cleanup());
afterAll(async () => {
  process.off('warning', onWarning);
  await env.close();
});
beforeEach(() => (warnings = []));

it('latency: the chunk is held, and released at once when the toxic goes', async () => {
  const { name, port } = await env.proxy();
  const toxic = await env.addToxic(name, { type: 'latency', stream: 'downstream', attributes: { latency: HUGE } });
  const client = await env.connect(port);
  client.send('hello');
  await sleep(HOLD_CHECK_MS);
  expect(client.received).toBe(0);
  await env.removeToxic(name, toxic.name);
  expect((await client.read(5, 2_000)).toString()).toBe('hello');
  expect(warnings).toEqual([]);
});

it('timeout: the connection is held as with timeout 0, not closed', async () => {
  const { name, port } = await env.proxy();
  await env.addToxic(name, { type: 'timeout', stream: 'downstream', attributes: { timeout: HUGE } });
  const client = await env.connect(port);
  client.send('hello');
  await sleep(HOLD_CHECK_MS);
  expect({ received: client.received, open: client.isOpen }).toEqual({ received: 0, open: true });
  expect(warnings).toEqual([]);
});

it('reset_peer: no reset comes', async () => {
  const upstream = env.track(await peerUpstream());
  const { name, port } = await env.proxy(upstream.address);
  await env.addToxic(name, { type: 'reset_peer', stream: 'upstream', attributes: { timeout: HUGE } });
  const client = await env.connect(port);
  client.send('hello');
  await sleep(HOLD_CHECK_MS);
  expect(client.isOpen).toBe(true);
  expect(warnings).toEqual([]);
});

it('slow_close: the close is held', async () => {
  const source = env.track(await peerUpstream((peer) => peer.socket.end('bye')));
  const { name, port } = await env.proxy(source.address);
  await env.addToxic(name, { type: 'slow_close', stream: 'downstream', attributes: { delay: HUGE } });
  const client = await env.connect(port);
  expect((await client.read(3)).toString()).toBe('bye');
  await sleep(HOLD_CHECK_MS);
  expect(client.isOpen).toBe(true);
  expect(warnings).toEqual([]);
});
