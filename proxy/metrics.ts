import type { ProxyCollection } from './collection';

const esc = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

/** Prometheus text exposition: Toxiproxy's byte counters, plus live connections per proxy. */
export function renderMetrics(collection: ProxyCollection): string {
  const lines: string[] = [];
  const family = (name: string, type: string, help: string, samples: [string, number][]) => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [labels, value] of samples) lines.push(`${name}{${labels}} ${value}`);
  };
  const proxies = collection.list();
  const label = (p: (typeof proxies)[number], extra = '') =>
    `proxy="${esc(p.name)}",listener="${esc(p.listen)}",upstream="${esc(p.upstream)}"${extra}`;
  const perDirection = (pick: (p: (typeof proxies)[number]) => Record<'upstream' | 'downstream', number>) =>
    proxies.flatMap((p) =>
      (['upstream', 'downstream'] as const).map((d): [string, number] => [label(p, `,direction="${d}"`), pick(p)[d]]),
    );
  family('toxiproxy_proxy_received_bytes_total', 'counter', 'Bytes read from the source of each direction.', perDirection((p) => p.counters.received));
  family('toxiproxy_proxy_sent_bytes_total', 'counter', 'Bytes written to the destination of each direction.', perDirection((p) => p.counters.sent));
  family('blackstart_proxy_connections', 'gauge', 'Live proxied connections.', proxies.map((p) => [label(p), p.liveConnections]));
  family('blackstart_proxy_connections_accepted_total', 'counter', 'Connections accepted since the proxy was created.', proxies.map((p) => [label(p), p.acceptedTotal]));
  family('blackstart_proxy_enabled', 'gauge', '1 when the proxy is listening.', proxies.map((p) => [label(p), p.enabled ? 1 : 0]));
  family('blackstart_proxy_toxics', 'gauge', 'Toxics configured on the proxy.', proxies.map((p) => [label(p), p.toxics.length]));
  lines.push('# HELP process_resident_memory_bytes Resident memory size in bytes.', '# TYPE process_resident_memory_bytes gauge');
  lines.push(`process_resident_memory_bytes ${process.memoryUsage.rss()}`);
  return lines.join('\n') + '\n';
}
