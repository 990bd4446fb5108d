import * as net from 'node:net';
import { bindError, formatHostPort, resolveListen, splitHostPort, type HostPort } from './address';
import { errors } from './errors';
import { Link, type Counters, type StreamName, type ToxicRecord } from './link';
import { cachedLookup } from './lookup';

/** Shared by every proxy of the process: a name dialled by several links is looked up once (./lookup.ts). */
const upstreamLookup = cachedLookup();

export interface ProxySpec {
  name: string;
  listen: string;
  upstream: string;
}

/**
 * One named proxy: a listener that forwards every accepted connection to its upstream, through
 * the toxic chains of each stream. Listen shows the bound address while running.
 */
export class Proxy {
  readonly name: string;
  listen: string;
  upstream: string;
  readonly toxics: ToxicRecord[] = [];
  readonly counters: Counters = { received: { upstream: 0, downstream: 0 }, sent: { upstream: 0, downstream: 0 } };
  acceptedTotal = 0;
  private server: net.Server | undefined;
  private readonly links = new Set<Link>();

  constructor(spec: ProxySpec) {
    this.name = spec.name;
    this.listen = spec.listen;
    this.upstream = spec.upstream;
  }

  get enabled(): boolean {
    return this.server !== undefined;
  }

  get liveConnections(): number {
    return this.links.size;
  }

  /** Binds the listener; on failure throws the API error and stays stopped. */
  async start(): Promise<void> {
    if (this.server) return;
    const address = await resolveListen(this.listen);
    const server = net.createServer({ pauseOnConnect: true, noDelay: true }, (client) => this.accept(client));
    await listen(server, address);
    server.on('error', () => {
      // Accept errors (e.g. out of file descriptors) must not bring the server down.
    });
    const bound = server.address() as net.AddressInfo;
    this.listen = formatHostPort(bound.address, bound.port);
    this.server = server;
  }

  /** Closes the listener and every live connection. */
  stop(): void {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    server.close();
    for (const link of [...this.links]) link.destroy();
  }

  /**
   * True when the resolved listen or the upstream differs from what runs now. The listen is
   * resolved first, as in Toxiproxy: an unresolvable one fails the update before anything stops.
   */
  async differs(listen: string, upstream: string): Promise<boolean> {
    const wanted = await resolveListen(listen);
    if (upstream !== this.upstream) return true;
    if (!this.server) return listen !== this.listen;
    const bound = this.server.address() as net.AddressInfo;
    if (wanted.port === 0) return true;
    return wanted.host !== bound.address || wanted.port !== bound.port;
  }

  chain(stream: StreamName): ToxicRecord[] {
    return this.toxics.filter((t) => t.stream === stream);
  }

  findToxic(name: string): ToxicRecord | undefined {
    return this.toxics.find((t) => t.name === name);
  }

  addToxic(toxic: ToxicRecord): void {
    if (this.findToxic(toxic.name)) throw errors.toxicExists();
    this.toxics.push(toxic);
    this.refresh(toxic.stream);
  }

  /** Attributes or toxicity changed: live connections restart the chain with the new values. */
  toxicChanged(toxic: ToxicRecord): void {
    this.refresh(toxic.stream);
  }

  removeToxic(name: string): void {
    const index = this.toxics.findIndex((t) => t.name === name);
    if (index < 0) throw errors.toxicNotFound();
    const [removed] = this.toxics.splice(index, 1);
    this.refresh(removed.stream);
  }

  removeAllToxics(): void {
    this.toxics.length = 0;
    this.refresh('upstream');
    this.refresh('downstream');
  }

  private refresh(stream: StreamName): void {
    const chain = this.chain(stream);
    for (const link of this.links) link.update(stream, chain);
  }

  private accept(client: net.Socket): void {
    this.acceptedTotal++;
    client.on('error', () => client.destroy());
    let target: HostPort;
    try {
      const { host, port } = splitHostPort(this.upstream);
      target = { host, port: Number(port) };
    } catch {
      client.destroy();
      return;
    }
    const upstream = net.connect({ host: target.host, port: target.port, lookup: upstreamLookup });
    const abandon = () => upstream.destroy();
    client.once('close', abandon);
    upstream.once('error', () => {
      // Upstream down: the client sees its connection accepted, then EOF, as with Toxiproxy.
      client.off('close', abandon);
      client.end(() => client.destroy());
    });
    upstream.once('connect', () => {
      client.off('close', abandon);
      upstream.removeAllListeners('error');
      if (!this.server || client.destroyed) {
        upstream.destroy();
        client.destroy();
        return;
      }
      const link = new Link(
        client,
        upstream,
        this.counters,
        { upstream: this.chain('upstream'), downstream: this.chain('downstream') },
        (closed) => this.links.delete(closed),
      );
      this.links.add(link);
      client.resume();
    });
  }
}

function listen(server: net.Server, address: HostPort): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => reject(bindError(address, err));
    server.once('error', onError);
    server.listen({ host: address.host, port: address.port, backlog: 4096, exclusive: true }, () => {
      server.off('error', onError);
      resolve();
    });
  });
}
