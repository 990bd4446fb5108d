import { existsSync, rmSync } from 'node:fs';
import { estateRecordFile, type DockerEstateRecord } from '../../../model/estate_record';
import type { FreezeUndo } from '../runtime';
import { dockerConfigured } from '../shared';
import { findLeftovers, removeLeftovers, removeLeftoversSync, type Leftovers, type Scope } from './cleanup';
import { dockerClient } from './images';

/**
 * What another process does with a docker estate from its record (`blackstart down/status/
 * restore`): its objects are found by the estate's label, through the Docker API, or through the
 * docker CLI where the caller cannot wait (killContainers).
 */

async function findDocker(scope: Scope): Promise<Leftovers | undefined> {
  if (!dockerConfigured()) return undefined;
  return findLeftovers(scope).catch(() => undefined);
}

/** Removes docker objects in scope; undefined when no Docker daemon answers. */
async function removeDocker(scope: Scope): Promise<Leftovers | undefined> {
  if (!dockerConfigured()) return undefined;
  process.env.TESTCONTAINERS_RYUK_DISABLED ??= 'true';
  try {
    return await removeLeftovers(scope);
  } catch (e) {
    if (/no Docker daemon answers|ECONNREFUSED|ENOENT/.test((e as Error).message)) return undefined;
    throw e;
  }
}

const count = (l: Leftovers) => l.containers.length + l.volumes.length + l.networks.length;

function describeRemoved(l: Leftovers): string {
  return `removed ${l.containers.length} containers, ${l.volumes.length} volumes, ${l.networks.length} networks`;
}

/** Removes the estate's containers, volumes and network through the docker CLI; returns their names. Throws when it could not. */
export function killContainers(record: DockerEstateRecord): string[] {
  const { removed, error } = removeLeftoversSync(record.id);
  if (error) throw new Error(`estate ${record.id}: could not remove its containers: ${error}`);
  return removed;
}

/** Component name -> whether its container runs. */
export async function containersUp(record: DockerEstateRecord): Promise<Record<string, boolean>> {
  const found = await findDocker({ estate: record.id });
  const state = new Map(found?.containers.map((c) => [c.name, c.state]));
  return Object.fromEntries(Object.entries(record.containers).map(([n, container]) => [n, state.get(container) === 'running']));
}

/** Its harness, asked to stop it, is done once it has removed the record. */
export const containersGone = (record: DockerEstateRecord): boolean => !existsSync(estateRecordFile(record.dataDir));

/** `blackstart down` of one docker estate: its objects removed by label; the record kept when no daemon answers. */
export async function takeDownContainers(record: DockerEstateRecord): Promise<{ stopped: boolean; summary: string }> {
  const removed = await removeDocker({ estate: record.id });
  if (!removed) return { stopped: false, summary: `a docker estate, and no Docker daemon answers: its record is kept (${record.dataDir})` };
  rmSync(estateRecordFile(record.dataDir), { force: true });
  return { stopped: true, summary: `stopped${count(removed) ? ` (${describeRemoved(removed)})` : ' by its harness'}` };
}

/** Docker objects of estates in scope that have no record (a harness killed mid-start); what was removed, if anything. */
export async function sweepLeftovers(scope: Exclude<Scope, { estate: string }>): Promise<string | undefined> {
  const swept = await removeDocker(scope);
  return swept && count(swept) > 0 ? `docker leftovers removed: ${describeRemoved(swept)}` : undefined;
}

/** Unpauses the container a frozen component had, by its id. */
export async function unpause(step: Extract<FreezeUndo, { type: 'unpause' }>): Promise<{ outcome: 'done' | 'already'; detail: string }> {
  const container = (await dockerClient()).getContainer(step.container);
  let paused: boolean;
  try {
    paused = (await container.inspect()).State.Paused;
  } catch (e) {
    if ((e as { statusCode?: number }).statusCode === 404) return { outcome: 'already', detail: `${step.component} (container ${step.container.slice(0, 12)}) is gone` };
    throw e;
  }
  if (!paused) return { outcome: 'already', detail: `${step.component} was not paused` };
  await container.unpause();
  return { outcome: 'done', detail: `unpaused ${step.component}` };
}
