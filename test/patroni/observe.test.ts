import { observe, type ClusterView, type ObserverState } from '../../services/patroni/observe';

/** services/patroni/observe.ts on views written by hand: the Patroni watch's events. */
const primary = (timeline: number) => ({ role: 'master', state: 'running', timeline });
const replica = (timeline: number) => ({ role: 'replica', state: 'running', timeline });

function run(views: ClusterView[]) {
  let state: ObserverState = { view: undefined, timeline: 0, active: undefined };
  const events: { t: number; type: string; site?: string }[] = [];
  views.forEach((v, t) => {
    const r = observe(state, v, t);
    state = r.state;
    events.push(...r.events.map((e) => ({ t: e.t, type: e.type, site: e.site })));
  });
  return { events, state };
}

describe('the Patroni watch (observe)', () => {
  it('a failover: unreachable, the leader key gone (detect), a new timeline (promote), the old primary back as a replica (demote not needed)', () => {
    const { events, state } = run([
      { nodes: { dc1: primary(1), dc2: replica(1) }, leader: 'dc1' },
      { nodes: { dc1: null, dc2: replica(1) }, leader: 'dc1' },
      { nodes: { dc1: null, dc2: replica(1) }, leader: null },
      { nodes: { dc1: null, dc2: primary(2) }, leader: 'dc2' },
      { nodes: { dc1: replica(2), dc2: primary(2) }, leader: 'dc2' },
    ]);
    expect(events).toEqual([
      { t: 1, type: 'unreachable', site: 'dc1' },
      { t: 2, type: 'detect', site: 'dc1' },
      { t: 3, type: 'promote', site: 'dc2' },
      { t: 4, type: 'reachable', site: 'dc1' },
    ]);
    expect(state).toMatchObject({ active: 'dc2', timeline: 2 });
  });

  it('an old primary still writable after the promotion is demoted when its Patroni returns', () => {
    const { events } = run([
      { nodes: { dc1: primary(1), dc2: replica(1) }, leader: 'dc1' },
      { nodes: { dc1: null, dc2: primary(2) }, leader: 'dc2' },
      { nodes: { dc1: primary(1), dc2: primary(2) }, leader: 'dc2' },
      { nodes: { dc1: { role: 'master', state: 'stopping', timeline: 1 }, dc2: primary(2) }, leader: 'dc2' },
    ]);
    expect(events.filter((e) => e.type === 'promote' || e.type === 'demote')).toEqual([
      { t: 1, type: 'promote', site: 'dc2' },
      { t: 3, type: 'demote', site: 'dc1' },
    ]);
  });

  it('an old primary that takes the leader key back is the active one again', () => {
    const { events, state } = run([
      { nodes: { dc1: primary(1), dc2: replica(1) }, leader: 'dc1' },
      { nodes: { dc1: null, dc2: primary(2) }, leader: 'dc2' },
      { nodes: { dc1: primary(1), dc2: primary(2) }, leader: 'dc1' },
      { nodes: { dc1: primary(1), dc2: { role: 'replica', state: 'stopped', timeline: 2 } }, leader: 'dc1' },
    ]);
    expect(events.filter((e) => e.type !== 'unreachable' && e.type !== 'reachable')).toEqual([
      { t: 1, type: 'promote', site: 'dc2' },
      { t: 1, type: 'detect', site: 'dc1' },
      { t: 2, type: 'promote', site: 'dc1' },
      { t: 2, type: 'detect', site: 'dc2' },
      { t: 3, type: 'demote', site: 'dc2' },
    ]);
    expect(state.active).toBe('dc1');
  });
});

describe('the Patroni watch: HAProxy’s view (switch)', () => {
  it('a switch when an HAProxy sends clients to another node; the first route seen is none', () => {
    const nodes = { dc1: primary(1), dc2: replica(1) };
    const { events, state } = run([
      { nodes, leader: 'dc1', routes: { 'dc1-haproxy': 'dc1', 'dc2-haproxy': 'dc1' } },
      { nodes, leader: 'dc1', routes: { 'dc2-haproxy': null } },
      { nodes: { dc1: null, dc2: primary(2) }, leader: 'dc2', routes: { 'dc2-haproxy': 'dc2' } },
      { nodes: { dc1: null, dc2: primary(2) }, leader: 'dc2', routes: { 'dc1-haproxy': 'dc2', 'dc2-haproxy': 'dc2' } },
    ]);
    expect(events.filter((e) => e.type === 'switch')).toEqual([{ t: 2, type: 'switch', site: 'dc2' }]);
    expect(state.routed).toBe('dc2');
  });
});
