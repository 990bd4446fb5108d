import { sliceOffsets } from '../../../proxy/toxics/slicer';
import { EARLY_MS, ToxicEnv, pattern, peerUpstream } from './harness';

/**
 * Slicer delay for the network tests, in microseconds. The receiving socket and the proxy share
 * one event loop: each piece is written from a timer callback, and the next timer cannot fire
 * before the loop has gone through a poll phase, where the receiver reads what loopback has
 * delivered. So a read spans two pieces only if the kernel defers loopback delivery (softirq work
 * pushed to ksoftirqd on a busy machine) for longer than the delay. With delay 0 the pieces are
 * written back to back and reads coalesce them, so the assertion would be unsound; at 1 ms we saw
 * about 1 read in 2,500 coalesced on this loaded 2-core machine, at 5 ms none in ~5,000. 5 ms
 * costs ~2.5 s for 480 KB (~470 pieces).
 */
const DELAY_US = 5_000;
const AVERAGE = 1024;
const VARIATION = 512;
const MAX_PIECE = AVERAGE + VARIATION;

let env: ToxicEnv;
beforeAll(async () => {
  env = await ToxicEnv.start();
});
afterEach(() => env.cleanup());
afterAll(() => env.close());

describe('sliceOffsets', () => {
  const pieces = (offsets: number[]) => offsets.slice(1).map((end, i) => end - offsets[i]);

  it('24 bytes with average 1, variation 0: 24 one-byte pieces', () => {
    const offsets = sliceOffsets(0, 24, 1, 0);
    expect(pieces(offsets)).toEqual(Array(24).fill(1));
  });

  it('480 KB with 1024/512: 240-720 pieces that cover the input exactly', () => {
    const runs = Array.from({ length: 50 }, () => sliceOffsets(0, 480_000, AVERAGE, VARIATION));
    for (const offsets of runs) {
      const sizes = pieces(offsets);
      expect({
        first: offsets[0],
        last: offsets[offsets.length - 1],
        countInRange: sizes.length >= 240 && sizes.length <= 720,
        // strictly increasing offsets: no gap, no overlap, no empty piece
        allSizesValid: sizes.every((size) => size > 0 && size <= MAX_PIECE),
        total: sizes.reduce((a, b) => a + b, 0),
      }).toEqual({ first: 0, last: 480_000, countInRange: true, allSizesValid: true, total: 480_000 });
    }
  });

  it('covers a sub-range exactly and leaves small inputs whole', () => {
    const offsets = sliceOffsets(100, 5_100, 100, 20);
    expect(offsets[0]).toBe(100);
    expect(offsets[offsets.length - 1]).toBe(5_100);
    expect(pieces(offsets).every((s) => s > 0 && s <= 120)).toBe(true);
    expect(sliceOffsets(0, 1_000, 1024, 512)).toEqual([0, 1_000]);
    expect(sliceOffsets(0, 0, 1024, 512)).toEqual([0]);
  });
});

describe('on a connection', () => {
  it('control: without the slicer, 480 KB arrives in reads larger than a slice', async () => {
    const { port } = await env.proxy();
    const client = await env.connect(port);
    const msg = pattern(480_000, 11);
    await env.roundTrip(client, msg);
    expect(Math.max(...client.chunks.map((c) => c.data.length))).toBeGreaterThan(MAX_PIECE);
  });

  it('downstream: 480 KB arrives intact in pieces of at most average + variation, spaced by the delay', async () => {
    const { name, port } = await env.proxy();
    await env.addToxic(name, {
      type: 'slicer',
      stream: 'downstream',
      attributes: { average_size: AVERAGE, size_variation: VARIATION, delay: DELAY_US },
    });
    const client = await env.connect(port);
    const msg = pattern(480_000, 12);
    const { data, ms } = await env.roundTrip(client, msg, 20_000);
    expect(data.equals(msg)).toBe(true);
    const sizes = client.chunks.map((c) => c.data.length);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(MAX_PIECE);
    expect(sizes.length).toBeGreaterThanOrEqual(Math.ceil(480_000 / MAX_PIECE));
    // Each piece is followed by a sleep of `delay` microseconds.
    expect(ms).toBeGreaterThanOrEqual((sizes.length - 1) * (DELAY_US / 1000) - EARLY_MS);
  });

  it('upstream: the upstream reads pieces of at most average + variation, bytes intact', async () => {
    const sink = env.track(await peerUpstream(() => {}));
    const { name, port } = await env.proxy(sink.address);
    await env.addToxic(name, {
      type: 'slicer',
      stream: 'upstream',
      attributes: { average_size: AVERAGE, size_variation: VARIATION, delay: DELAY_US },
    });
    const client = await env.connect(port);
    const msg = pattern(200_000, 13);
    client.send(msg);
    const server = await sink.accepted(0);
    const data = await server.read(msg.length, 20_000);
    expect(data.equals(msg)).toBe(true);
    expect(Math.max(...server.chunks.map((c) => c.data.length))).toBeLessThanOrEqual(MAX_PIECE);
  });

  it('removing the slicer mid-chunk sends the rest whole, nothing lost', async () => {
    const { name, port } = await env.proxy();
    await env.addToxic(name, {
      name: 'slow_slices',
      type: 'slicer',
      attributes: { average_size: 100, size_variation: 0, delay: 20_000 }, // 20 ms per 100 B piece
    });
    const client = await env.connect(port);
    const msg = pattern(20_000, 14); // 200 pieces: 4 s when sliced
    client.send(msg);
    await client.read(300, 2_000);
    await env.removeToxic(name, 'slow_slices');
    const rest = await client.read(msg.length - 300, 1_000);
    expect(Buffer.concat(client.chunks.map((c) => c.data)).equals(msg)).toBe(true);
    expect(rest.length).toBe(msg.length - 300);
  });
});
