import type { Fault, FaultContext, RevertStep } from './fault';
import { toxicName } from './fault';
import { addToxic, removeToxic, setEnabled } from './proxy_ops';
import type { NetworkSpec } from '../../model/faults';

/**
 * Any Toxiproxy toxic on any link of the estate; `down` is not a toxic in Toxiproxy but the
 * proxy disabled (connections refused, live ones closed).
 */
export function networkFault(id: string, spec: NetworkSpec): Fault {
  const name = toxicName(id);
  const down = spec.toxic === 'down';
  return {
    id,
    spec: { kind: 'network', spec },
    describe: () =>
      down
        ? `network down: link ${spec.link} disabled`
        : `network ${spec.toxic} ${JSON.stringify(spec.attributes)} on ${spec.link} (${spec.stream}, toxicity ${spec.toxicity})`,
    revertPlan: ({ estate }: FaultContext): RevertStep[] => {
      const proxyApi = estate.endpoints.proxyApi;
      return down ? [{ type: 'enable-proxy', proxyApi, proxy: spec.link }] : [{ type: 'remove-toxic', proxyApi, proxy: spec.link, toxic: name }];
    },
    apply: async ({ toxiproxy }) => {
      if (down) {
        await setEnabled(toxiproxy, spec.link, false);
        return;
      }
      await addToxic(toxiproxy, spec.link, {
        name,
        type: spec.toxic,
        stream: spec.stream,
        toxicity: spec.toxicity,
        attributes: spec.attributes,
      });
    },
    revert: async ({ toxiproxy }) => {
      if (down) await setEnabled(toxiproxy, spec.link, true);
      else await removeToxic(toxiproxy, spec.link, name);
    },
  };
}
