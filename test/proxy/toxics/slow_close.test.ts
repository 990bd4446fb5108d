import { ToxicEnv, expectFast, expectTimings, pattern, peerUpstream, timed } from './harness';

const DELAY_MS = 300;

let env: ToxicEnv;
beforeAll(async () => {
  env = await ToxicEnv.start();
});
afterEach(() => env.cleanup());
afterAll(() => env.close());

it('delays the close from the upstream side by `delay`; the data is not delayed', async () => {
  const dataDelays: number[] = [];
  const closeDelays = await timed(async () => {
    let endedAt = 0;
    const source = env.track(
      await peerUpstream((peer) => {
        peer.send('bye');
        endedAt = performance.now();
        peer.socket.end();
      }),
    );
    const { name, port } = await env.proxy(source.address);
    await env.addToxic(name, { type: 'slow_close', stream: 'downstream', attributes: { delay: DELAY_MS } });
    const client = await env.connect(port);
    expect((await client.read(3)).toString()).toBe('bye');
    dataDelays.push(client.chunks[0].at - endedAt);
    const { how, at } = await client.closed();
    expect(how).toBe('end');
    return at - endedAt;
  });
  expectFast(dataDelays);
  expectTimings(closeDelays, DELAY_MS);
});

it('on the upstream stream, delays the close the client started before the upstream sees it', async () => {
  const closeDelays = await timed(async () => {
    const sink = env.track(await peerUpstream(() => {}));
    const { name, port } = await env.proxy(sink.address);
    await env.addToxic(name, { type: 'slow_close', stream: 'upstream', attributes: { delay: DELAY_MS } });
    const client = await env.connect(port);
    client.send('last words');
    const endedAt = performance.now();
    client.socket.end();
    const server = await sink.accepted(0);
    expect((await server.read(10)).toString()).toBe('last words');
    const { how, at } = await server.closed();
    expect(how).toBe('end');
    return at - endedAt;
  });
  expectTimings(closeDelays, DELAY_MS);
});

it('passes data unchanged and does not delay it', async () => {
  const { name, port } = await env.proxy();
  await env.addToxic(name, { type: 'slow_close', attributes: { delay: DELAY_MS } });
  const client = await env.connect(port);
  const msg = pattern(100_000, 9);
  const times = await timed(async () => {
    const { data, ms } = await env.roundTrip(client, msg);
    expect(data.equals(msg)).toBe(true);
    return ms;
  });
  expectFast(times);
});

it('delay 0 closes at once', async () => {
  const closeDelays = await timed(async () => {
    let endedAt = 0;
    const source = env.track(
      await peerUpstream((peer) => {
        endedAt = performance.now();
        peer.socket.end();
      }),
    );
    const { name, port } = await env.proxy(source.address);
    await env.addToxic(name, { type: 'slow_close', attributes: { delay: 0 } });
    const client = await env.connect(port);
    const { how, at } = await client.closed();
    expect(how).toBe('end');
    return at - endedAt;
  });
  expectFast(closeDelays);
});
