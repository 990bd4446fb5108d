import type { ControllerEvent } from '../../model/controller';

/**
 * What a Patroni cluster did, in blackstart's controller events (model/controller.ts), from
 * successive looks at each node's REST API: a pure function of the last view and the new one, so
 * it is tested on views written by hand. The events are the stack's own steps of a failover:
 * - `detect`: the DCS names no leader any more, or another one (Patroni's GET /cluster): the old
 *   leader's key expired or was released;
 * - `promote`: a node answers GET /patroni as a writable primary on a timeline higher than any
 *   seen (a promotion makes a new timeline), epoch = that timeline; or a writable node other than
 *   the active one that the DCS names leader (an old primary that took the leader key back);
 * - `demote`: a node that answered as primary now answers as a replica, or stopped;
 * - `switch`: an HAProxy in front of the nodes sends clients to another node than before (its
 *   stats: the one server it has UP), site = that node's: the clients' path follows the promotion;
 * - `unreachable` / `reachable`: a node's REST API stopped or started answering (shown, not read).
 */

/** One node as its REST API answered (null: no answer). */
export interface NodeView {
  /** 'master' or 'primary' (writable), 'replica', ...: GET /patroni `role`. */
  role: string;
  /** GET /patroni `state`: running, stopped, starting, ... */
  state: string;
  timeline: number;
}

export interface ClusterView {
  /** Per site, its node (null when its REST API did not answer). */
  nodes: Record<string, NodeView | null>;
  /** The site of the member GET /cluster names leader; null when none is; undefined when no node answered. */
  leader: string | null | undefined;
  /** Per HAProxy that answered, the site of the one node it has UP (null: none, or more than one). */
  routes?: Record<string, string | null>;
}

export interface ObserverState {
  view: ClusterView | undefined;
  /** The highest timeline a primary has been seen on. */
  timeline: number;
  /** The site of the last promotion (the first primary seen, before any). */
  active: string | undefined;
  /** The node the HAProxies were last seen sending clients to (the first seen, before any switch). */
  routed?: string;
}

const writable = (n: NodeView | null | undefined) => n != null && (n.role === 'master' || n.role === 'primary') && n.state === 'running';

export function observe(state: ObserverState, next: ClusterView, t: number): { state: ObserverState; events: ControllerEvent[] } {
  const events: ControllerEvent[] = [];
  const prev = state.view;
  let { timeline, active } = state;
  const event = (type: string, site: string, detail: string, epoch = timeline) => events.push({ t, type, site, detail, epoch });
  for (const [site, node] of Object.entries(next.nodes)) {
    const before = prev?.nodes[site];
    if (prev && before !== null && node === null) event('unreachable', site, `${site}: its Patroni REST API does not answer`);
    if (prev && before === null && node !== null) event('reachable', site, `${site}: its Patroni REST API answers (${node.role}, ${node.state})`);
    if (writable(node) && node!.timeline > timeline) {
      // The first primary seen is where the cluster starts, not a promotion.
      if (active !== undefined) event('promote', site, `${site}: a writable primary on timeline ${node!.timeline} (GET /patroni)`, node!.timeline);
      timeline = node!.timeline;
      active = site;
    } else if (writable(node) && active !== undefined && site !== active && next.leader === site) {
      // No new timeline, but the DCS names it leader again: an old primary that took the leader key back.
      event('promote', site, `${site}: the DCS names it leader again, a writable primary on timeline ${node!.timeline} (it took the leader key back)`, node!.timeline);
      active = site;
    }
    if (writable(before) && node !== null && !writable(node)) event('demote', site, `${site}: ${node.role}, ${node.state}, was a writable primary (GET /patroni)`);
  }
  if (prev && prev.leader !== undefined && next.leader !== undefined && next.leader !== prev.leader && prev.leader !== null) {
    event('detect', prev.leader, next.leader === null ? `the DCS names no leader: ${prev.leader}'s leader key is gone (GET /cluster)` : `the DCS names ${next.leader} leader, not ${prev.leader} (GET /cluster)`);
  }
  let routed = state.routed;
  for (const [proxy, to] of Object.entries(next.routes ?? {})) {
    if (to === null || to === routed) continue;
    // The first route seen is where clients start, not a switch.
    if (routed !== undefined) event('switch', to, `${proxy} sends clients to ${to}'s node, not ${routed}'s (HAProxy stats)`);
    routed = to;
  }
  // A leader we could not see answering in the last view keeps its place in the next.
  const leader = next.leader === undefined ? prev?.leader : next.leader;
  return { state: { view: { ...next, leader }, timeline, active, routed }, events };
}
