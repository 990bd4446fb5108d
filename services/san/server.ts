import * as http from 'node:http';
import { readBody } from '../../lib/http_body';
import * as net from 'node:net';
import { join } from 'node:path';
import { SanDb } from './db';
import { ReplicationSender, replicationReceiver, type ReplicationSettings } from './replication';
import { VersionConflict, type CommitRequest, type SanRole } from './storage';
import { onMessages, send, wallNow } from './wire';

export interface SanOptions {
  site: string;
  host: string;
  dataDir: string;
  /** Apps connect here (through the proxy `SITE-san`). */
  appPort: number;
  /** The primary's replication stream arrives here (through the proxy `replication`). */
  replicationPort: number;
  /** Control plane (controller, harness): status, promote, fence, demote. */
  adminPort: number;
  /** Where this SAN ships replication when primary: the `replication` proxy. */
  replicationTarget: { host: string; port: number };
  replication: ReplicationSettings;
  /** The failover controller: the SAN asks it for its role, and fences itself when it cannot. */
  controllerUrl: string;
  rolePollMs: number;
  /** A primary that cannot reach the controller for this long stops taking writes. */
  leaseMs: number;
}

export type SanRequest =
  | { id: number; op: 'status' }
  | { id: number; op: 'get'; table: string; recordId: string }
  | { id: number; op: 'list'; table: string; where?: { field: string; equals: string | number | boolean } }
  | { id: number; op: 'lookupKey'; key: string }
  | { id: number; op: 'commit'; request: CommitRequest };

export type SanError =
  | { kind: 'conflict'; message: string; table: string; recordId: string; expected: number; actual: number }
  | { kind: 'unavailable'; message: string; indeterminate: boolean }
  | { kind: 'bad'; message: string };

interface Role {
  role: SanRole;
  epoch: number;
}

/** A site's storage array: durable records for every app of the site, replicated to the other site. */
export class SanServer {
  private readonly db: SanDb;
  private role: SanRole = 'fenced';
  private readonly sender: ReplicationSender;
  private readonly servers: net.Server[] = [];
  private lastLease = 0;
  private stopped = false;
  private pollTimer: NodeJS.Timeout | undefined;
  private readonly events: { t: number; type: string; detail?: string }[] = [];

  constructor(private readonly options: SanOptions) {
    this.db = new SanDb(join(options.dataDir, `${options.site}-san.sqlite`));
    this.sender = new ReplicationSender(this.db, options.site, options.replicationTarget, options.replication);
  }

  async start(): Promise<void> {
    const { host } = this.options;
    const appServer = net.createServer((socket) => this.serveApp(socket));
    const replServer = replicationReceiver(this.db, () => this.role === 'replica', () => {});
    const adminServer = http.createServer((req, res) => void this.serveAdmin(req, res));
    await Promise.all([
      listen(appServer, host, this.options.appPort),
      listen(replServer, host, this.options.replicationPort),
      listen(adminServer, host, this.options.adminPort),
    ]);
    this.servers.push(appServer, replServer, adminServer);
    // A restarted array never assumes it is primary: it takes writes only once the controller says so.
    this.record('start', `was ${this.db.role} at epoch ${this.db.epoch}, seq ${this.db.seq}`);
    void this.pollRole();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.pollTimer);
    this.sender.stop('shutdown');
    for (const s of this.servers) s.close();
    this.db.close();
  }

  private record(type: string, detail?: string): void {
    this.events.push({ t: wallNow(), type, detail });
    if (this.events.length > 1000) this.events.shift();
  }

  private setRole(next: Role, why: string): void {
    if (next.epoch < this.db.epoch && next.role === 'primary') return;
    if (next.epoch > this.db.epoch) this.db.setMeta('epoch', next.epoch);
    if (next.role === this.role) return;
    const previous = this.role;
    this.role = next.role;
    this.db.setMeta('role', next.role);
    this.record(next.role, `${previous} -> ${next.role} at epoch ${this.db.epoch}: ${why}`);
    if (next.role === 'primary') this.sender.start();
    else this.sender.stop(`no longer primary (${next.role})`);
  }

  private async pollRole(): Promise<void> {
    try {
      const res = await fetch(`${this.options.controllerUrl}/sites/${this.options.site}/role`, {
        signal: AbortSignal.timeout(Math.max(100, this.options.rolePollMs)),
      });
      if (res.ok && !this.stopped) {
        const role = (await res.json()) as Role;
        this.lastLease = performance.now();
        this.setRole(role, 'controller');
      }
    } catch {
      // Unreachable controller: handled by the lease below.
    }
    if (this.stopped) return;
    if (this.role === 'primary' && performance.now() - this.lastLease > this.options.leaseMs) {
      this.setRole({ role: 'fenced', epoch: this.db.epoch }, 'lease expired: controller unreachable');
    }
    this.pollTimer = setTimeout(() => void this.pollRole(), this.options.rolePollMs);
  }

  private serveApp(socket: net.Socket): void {
    socket.setNoDelay(true);
    socket.on('error', () => {});
    onMessages(socket, (raw) => {
      const req = raw as SanRequest;
      this.handle(req).then(
        (result) => send(socket, { id: req.id, ok: true, result }),
        (err: unknown) => send(socket, { id: req.id, ok: false, error: toSanError(err) }),
      );
    });
  }

  private async handle(req: SanRequest): Promise<unknown> {
    if (req.op === 'status') return this.status();
    if (this.role !== 'primary') throw unavailable(`SAN ${this.options.site} is ${this.role}: not serving`, false);
    switch (req.op) {
      case 'get':
        return this.db.get(req.table, req.recordId) ?? null;
      case 'list':
        return this.db.list(req.table, req.where);
      case 'lookupKey':
        return this.db.lookupKey(req.key) ?? null;
      case 'commit': {
        const { result, entry } = this.db.commit(req.request, this.db.epoch);
        if (!entry) return result;
        this.sender.notify();
        if (this.sender.settings.mode === 'sync') {
          try {
            await this.sender.waitFor(entry.seq);
          } catch (e) {
            throw unavailable(`replication: ${(e as Error).message}`, true);
          }
        }
        return result;
      }
      default:
        throw new BadRequest(`unknown op ${(req as { op: string }).op}`);
    }
  }

  private status() {
    return { role: this.role, epoch: this.db.epoch, site: this.options.site, seq: this.db.seq };
  }

  private async serveAdmin(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const reply = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const url = new URL(req.url ?? '/', 'http://san');
    try {
      if (req.method === 'GET' && url.pathname === '/health') return reply(200, { ok: true });
      if (req.method === 'GET' && url.pathname === '/status') return reply(200, this.status());
      if (req.method === 'GET' && url.pathname === '/events') return reply(200, this.events);
      if (req.method === 'GET' && url.pathname === '/replication') {
        return reply(200, { ...this.status(), mode: this.options.replication.mode, onPeerUnreachable: this.options.replication.onPeerUnreachable, sender: this.role === 'primary' ? this.sender.status() : null });
      }
      if (req.method === 'GET' && url.pathname === '/keys') return reply(200, this.db.keys());
      const transitions: Record<string, SanRole> = { '/promote': 'primary', '/fence': 'fenced', '/demote': 'replica' };
      if (req.method === 'POST' && transitions[url.pathname]) {
        const body = JSON.parse((await readBody(req)).toString('utf8') || '{}') as { epoch?: number };
        const epoch = body.epoch ?? this.db.epoch;
        if (transitions[url.pathname] === 'primary' && epoch < this.db.epoch) {
          return reply(409, { error: `stale epoch ${epoch} < ${this.db.epoch}` });
        }
        this.setRole({ role: transitions[url.pathname], epoch }, `admin ${url.pathname}`);
        return reply(200, this.status());
      }
      reply(404, { error: 'not found' });
    } catch (e) {
      reply(400, { error: (e as Error).message });
    }
  }
}

class BadRequest extends Error {}

function unavailable(message: string, indeterminate: boolean): Error & { san: SanError } {
  return Object.assign(new Error(message), { san: { kind: 'unavailable' as const, message, indeterminate } });
}

function toSanError(err: unknown): SanError {
  if (err instanceof VersionConflict) {
    return { kind: 'conflict', message: err.message, table: err.table, recordId: err.id, expected: err.expected, actual: err.actual };
  }
  const san = (err as { san?: SanError }).san;
  if (san) return san;
  return { kind: 'bad', message: (err as Error).message };
}

function listen(server: net.Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port }, () => {
      server.off('error', reject);
      resolve();
    });
  });
}


