import { checkUpstream } from './address';
import { ApiError, errors } from './errors';
import { Proxy } from './proxy';
import type { ConfigEntry, ProxyBody, ToxicBody } from './schemas';
import { createToxic } from './toxic_factory';

const DEFAULT_LISTEN = '127.0.0.1:0';

/** The most proxies a server holds: each is a listening socket and its connections' descriptors. */
export const MAX_PROXIES = 1000;
/** The most toxics on one proxy: every chunk of every connection runs through its chain. */
export const MAX_TOXICS = 100;

export interface PopulateResult {
  proxies: Proxy[];
  error?: ApiError;
}

/** Every proxy of the server, by name. */
export class ProxyCollection {
  private readonly proxies = new Map<string, Proxy>();
  // Changes that await a bind or a lookup run one at a time, as under Toxiproxy's collection lock:
  // otherwise two requests could both take one name, or both start one proxy, and the loser's
  // listener would be orphaned, still accepting connections.
  private queue: Promise<unknown> = Promise.resolve();

  private exclusive<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(task);
    this.queue = run.catch(() => undefined);
    return run;
  }

  get(name: string): Proxy {
    const proxy = this.proxies.get(name);
    if (!proxy) throw errors.proxyNotFound();
    return proxy;
  }

  list(): Proxy[] {
    return [...this.proxies.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** Creates and (unless disabled) starts a proxy: 400 missing fields, 409 name taken, 500 bind failure. */
  create(body: ProxyBody): Promise<Proxy> {
    return this.exclusive(() => this.add(body));
  }

  private async add(body: ProxyBody): Promise<Proxy> {
    const spec = validate(body, '');
    if (this.proxies.has(spec.name)) throw errors.proxyExists();
    if (this.proxies.size >= MAX_PROXIES) throw errors.tooManyProxies(MAX_PROXIES);
    const proxy = new Proxy(spec);
    if (body.enabled !== false) await proxy.start();
    this.proxies.set(proxy.name, proxy);
    return proxy;
  }

  /** Updates listen/upstream/enabled; unsent fields keep their values. */
  update(name: string, body: ProxyBody): Promise<Proxy> {
    return this.exclusive(() => this.apply(name, body));
  }

  private async apply(name: string, body: ProxyBody): Promise<Proxy> {
    const proxy = this.get(name);
    const listen = body.listen ?? proxy.listen;
    const upstream = body.upstream ?? proxy.upstream;
    const enabled = body.enabled ?? proxy.enabled;
    if (body.upstream !== undefined) checkUpstream(upstream);
    if (await proxy.differs(listen, upstream)) {
      proxy.stop();
      proxy.listen = listen;
      proxy.upstream = upstream;
      if (enabled) await proxy.start();
      return proxy;
    }
    if (enabled) await proxy.start();
    else proxy.stop();
    return proxy;
  }

  /** Stops and forgets a proxy; waits for a start in progress, whose listener would outlive it. */
  remove(name: string): Promise<void> {
    return this.exclusive(async () => this.discard(name));
  }

  private discard(name: string): void {
    const proxy = this.get(name);
    proxy.stop();
    this.proxies.delete(name);
  }

  /**
   * Toxiproxy's populate: validate every entry first, then create new names, keep entries whose
   * listen and upstream are unchanged, replace the others; stop at the first bind error.
   */
  populate(entries: readonly ConfigEntry[], options: { applyToxics?: boolean } = {}): Promise<PopulateResult> {
    return this.exclusive(() => this.replaceAll(entries, options));
  }

  private async replaceAll(entries: readonly ConfigEntry[], options: { applyToxics?: boolean }): Promise<PopulateResult> {
    entries.forEach((entry, i) => validate(entry, ` at proxy ${i + 1}`));
    const added = new Set(entries.map((e) => e.name!).filter((name) => !this.proxies.has(name)));
    if (this.proxies.size + added.size > MAX_PROXIES) throw errors.tooManyProxies(MAX_PROXIES);
    const done: Proxy[] = [];
    for (const entry of entries) {
      try {
        const existing = this.proxies.get(entry.name!);
        const listen = entry.listen || DEFAULT_LISTEN;
        if (existing && !(await existing.differs(listen, entry.upstream!))) {
          done.push(existing);
          continue;
        }
        if (existing) this.discard(existing.name);
        const proxy = await this.add(entry);
        if (options.applyToxics) for (const toxic of entry.toxics ?? []) this.addToxic(proxy, toxic);
        done.push(proxy);
      } catch (err) {
        if (err instanceof ApiError) return { proxies: done, error: err };
        throw err;
      }
    }
    return { proxies: done };
  }

  addToxic(proxy: Proxy, body: ToxicBody) {
    const toxic = createToxic(proxy, body);
    if (proxy.toxics.length >= MAX_TOXICS) throw errors.tooManyToxics(MAX_TOXICS);
    proxy.addToxic(toxic);
    return toxic;
  }

  /**
   * Re-enables every proxy and removes its toxics; open connections survive. As in Toxiproxy, a
   * proxy that cannot bind stops the reset there, its toxics kept.
   */
  reset(): Promise<void> {
    return this.exclusive(() => this.resetAll());
  }

  private async resetAll(): Promise<void> {
    for (const proxy of this.list()) {
      await proxy.start();
      proxy.removeAllToxics();
    }
  }

  stopAll(): void {
    for (const proxy of this.proxies.values()) proxy.stop();
  }
}

function validate(body: ProxyBody, where: string): { name: string; listen: string; upstream: string } {
  if (!body.name) throw errors.missingField('name', where);
  if (!body.upstream) throw errors.missingField('upstream', where);
  checkUpstream(body.upstream);
  return { name: body.name, listen: body.listen || DEFAULT_LISTEN, upstream: body.upstream };
}
