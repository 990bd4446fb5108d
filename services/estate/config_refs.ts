import type { EstateConfig } from './config';

/**
 * The estate configuration as an estate file sees it: `${config:K}` (model/estate_file.ts). A
 * drill's `estate` block (replication, failover, timeouts) reaches the components of a file this
 * way, so the regional estate (estates/regional.yaml) takes the same settings as when it was wired
 * in code. Values are strings, as everything rendered into a command or a file is.
 */
export const CONFIG_KEYS = [
  'replication.mode',
  'replication.on_peer_unreachable',
  'replication.sync_timeout_ms',
  'failover.heartbeat_ms',
  'failover.detect_after',
  'failover.promotion_delay_ms',
  'failover.promotion',
  'failover.hold_down_ms',
  // heartbeat_ms x detect_after: a primary SAN cut off from the controller fences itself before a
  // failover could complete (its lease); a product the file's text cannot compute.
  'failover.lease_ms',
  'san.timeout_ms',
  'frontdoor.upstream_timeout_ms',
] as const;
export type ConfigKey = (typeof CONFIG_KEYS)[number];

export function configValues(config: EstateConfig): Record<ConfigKey, string> {
  const { replication: r, failover: f } = config;
  return {
    'replication.mode': r.mode,
    'replication.on_peer_unreachable': r.on_peer_unreachable,
    'replication.sync_timeout_ms': String(r.sync_timeout_ms),
    'failover.heartbeat_ms': String(f.heartbeat_ms),
    'failover.detect_after': String(f.detect_after),
    'failover.promotion_delay_ms': String(f.promotion_delay_ms),
    'failover.promotion': f.promotion,
    'failover.hold_down_ms': String(f.hold_down_ms),
    'failover.lease_ms': String(f.heartbeat_ms * f.detect_after),
    'san.timeout_ms': String(config.san.timeout_ms),
    'frontdoor.upstream_timeout_ms': String(config.frontdoor.upstream_timeout_ms),
  };
}
