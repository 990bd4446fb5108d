import type { Fault, FaultContext, RevertStep } from './fault';
import { toxicName } from './fault';
import { addToxic, removeToxic, setEnabled } from './proxy_ops';
import type { AtSite, StorageCutSpec } from '../../model/faults';

const DEFAULT_SLOW_MS = 500;

/**
 * A SAN fault on the wire, on the links the site's apps reach its storage by (Estate.siteLinks:
 * `<site>-san` in the regional estate, the links to its `storage` components in an estate file).
 * - hang: a `timeout` toxic with timeout 0 on both streams. A hung array neither takes nor
 *   answers I/O; a downstream-only toxic would let writes commit whose acknowledgements never
 *   arrive, which is a different fault (lost acks), and an upstream-only one would still deliver
 *   replies already in flight.
 * - refuse: the proxy disabled: connections refused, live ones closed.
 * - slow: a `latency` toxic on the replies (default 500 ms one way).
 * On an estate that cuts storage through hooks (runtime external), its storage_cut hooks with
 * `${site}`, `${mode}` and `${fault}`, the rollback journaled before the inject.
 */
export function storageCutFault(id: string, spec: AtSite<StorageCutSpec>): Fault {
  const toxics: { name: string; stream: 'downstream' | 'upstream' }[] =
    spec.mode === 'hang'
      ? [
          { name: toxicName(id), stream: 'downstream' },
          { name: toxicName(id, 'upstream'), stream: 'upstream' },
        ]
      : spec.mode === 'slow'
        ? [{ name: toxicName(id), stream: 'downstream' }]
        : [];
  const latency = spec.latency ?? DEFAULT_SLOW_MS;
  const hookVars = { site: spec.site, mode: spec.mode, fault: id };
  return {
    id,
    spec: { kind: 'storage_cut', spec },
    describe: () =>
      spec.mode === 'hang'
        ? `storage hang at ${spec.site}: its storage links swallow all I/O`
        : spec.mode === 'refuse'
          ? `storage refuse at ${spec.site}: its storage links disabled`
          : `storage slow at ${spec.site}: +${latency} ms on its storage links`,
    revertPlan: ({ estate }: FaultContext): RevertStep[] => {
      if (estate.hooks?.of('storage_cut')) return [estate.hooks.rollbackStep('storage_cut', hookVars)];
      const proxyApi = estate.endpoints.proxyApi;
      return estate.siteLinks(spec.site).storage.flatMap((link): RevertStep[] =>
        spec.mode === 'refuse' ? [{ type: 'enable-proxy', proxyApi, proxy: link }] : toxics.map((t) => ({ type: 'remove-toxic', proxyApi, proxy: link, toxic: t.name })),
      );
    },
    apply: async ({ toxiproxy, estate }) => {
      if (estate.hooks?.of('storage_cut')) return estate.hooks.inject('storage_cut', hookVars);
      for (const link of estate.siteLinks(spec.site).storage) {
        if (spec.mode === 'refuse') {
          await setEnabled(toxiproxy, link, false);
          continue;
        }
        for (const t of toxics) {
          await addToxic(toxiproxy, link, {
            name: t.name,
            stream: t.stream,
            toxicity: 1,
            ...(spec.mode === 'hang' ? { type: 'timeout', attributes: { timeout: 0 } } : { type: 'latency', attributes: { latency, jitter: 0 } }),
          });
        }
      }
    },
    revert: async ({ toxiproxy, estate }) => {
      if (estate.hooks?.of('storage_cut')) return estate.hooks.rollback('storage_cut', hookVars);
      for (const link of estate.siteLinks(spec.site).storage) {
        if (spec.mode === 'refuse') await setEnabled(toxiproxy, link, true);
        else for (const t of toxics) await removeToxic(toxiproxy, link, t.name);
      }
    },
  };
}
