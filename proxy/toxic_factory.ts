import { zeroAttributes } from '../model/toxics';
import { errors } from './errors';
import type { StreamName, ToxicRecord } from './link';
import type { Proxy } from './proxy';
import { describeIssue, normaliseKeys, type ToxicBody, type ToxicUpdateBody } from './schemas';
import { toxicTypes, type AnyToxicType } from './toxics';

/**
 * Builds a toxic for a proxy from an API body, validating in Toxiproxy's order: stream, default
 * name, type, duplicate name, then attributes. Omitted attributes are 0 and toxicity 1.
 */
export function createToxic(proxy: Proxy, body: ToxicBody): ToxicRecord {
  const streamAsSent = body.stream ?? 'downstream';
  const stream = streamAsSent.toLowerCase();
  if (stream !== 'upstream' && stream !== 'downstream') throw errors.invalidStream();
  const behaviour = body.type === undefined ? undefined : toxicTypes.get(body.type);
  const name = body.name || `${body.type ?? ''}_${streamAsSent}`;
  if (!behaviour) throw errors.invalidToxicType();
  if (proxy.findToxic(name)) throw errors.toxicExists();
  const attributes = checkAttributes(behaviour, zeroAttributes(behaviour), body.attributes ?? {});
  return { name, type: behaviour.type, stream: stream as StreamName, toxicity: body.toxicity ?? 1, attributes, behaviour };
}

/** Applies an update: attributes merge into the current ones, toxicity kept unless sent. */
export function updateToxic(toxic: ToxicRecord, body: ToxicUpdateBody): void {
  const attributes = checkAttributes(toxic.behaviour, toxic.attributes, body.attributes ?? {});
  Object.assign(toxic.attributes, attributes);
  if (body.toxicity !== undefined) toxic.toxicity = body.toxicity;
}

function checkAttributes(
  behaviour: AnyToxicType,
  current: Record<string, number>,
  sent: Record<string, unknown>,
): Record<string, number> {
  const merged = { ...current, ...(normaliseKeys(sent, behaviour.attributeNames) as Record<string, unknown>) };
  const result = behaviour.schema.safeParse(merged);
  if (!result.success) throw errors.badRequestBody(describeIssue(result.error.issues[0]));
  // Keep Toxiproxy's key order in responses.
  return Object.fromEntries(behaviour.attributeNames.map((n: string) => [n, (result.data as Record<string, number>)[n]]));
}

export function toxicJson(toxic: ToxicRecord) {
  return {
    attributes: toxic.attributes,
    name: toxic.name,
    type: toxic.type,
    stream: toxic.stream,
    toxicity: toxic.toxicity,
  };
}
