import type { EstateConfigInput } from '../estate/config';
import { parseEstateConfig } from '../estate/config';
import { REGIONAL_ESTATE_FILE } from '../estate/regional';
import type { DockerStartOptions } from './docker/runtime';
import type { StartOptions } from './process/runtime';
import type { Estate } from './runtime';

/**
 * The one interface to the runtimes: start an estate on the runtime its configuration names, and
 * deal with one from its record afterwards, without knowing which runtime runs it. The docker
 * runtime's code is loaded only when a docker estate (or its record, or its images) is asked for.
 * The hook runner (external/hooks.ts) is exported for `blackstart restore`, which carries out a
 * journaled rollback hook from another process.
 */

/** Starts an estate on the runtime its configuration names. */
export async function startEstate(input: EstateConfigInput = {}, options: StartOptions & DockerStartOptions = {}): Promise<Estate> {
  const config = parseEstateConfig(input);
  // The regional estate (no `file`) is estates/regional.yaml, started as any estate file is.
  const plan = async () => (await import('../estate/estate_file')).loadEstateFile(config.file ?? REGIONAL_ESTATE_FILE, config.parameters);
  switch (config.runtime) {
    case 'process': {
      const { startPlannedEstate } = await import('./process/planned');
      return startPlannedEstate(config, await plan(), options);
    }
    case 'docker': {
      // Loaded only here: the process runtime never needs testcontainers.
      const { startDockerEstate } = await import('./docker/runtime');
      return startDockerEstate(config, await plan(), options);
    }
    case 'external': {
      if (config.file !== undefined) throw new Error(`estate file ${config.file}: an external system is described by the external block, not by an estate file`);
      const { startExternalEstate } = await import('./external/runtime');
      return startExternalEstate(config, options);
    }
  }
}

export type { Estate, ComponentHandle, SiteHandle, EstateEndpoints, EstateHooks, FreezeUndo, ProxyServer } from './runtime';
export { HookError, HookRefused, pollProbe, runHook, runHookStep, type HookOptions, type HookRun } from './external/hooks';
export { hookEnvNeeds } from './external/runtime';
export type { EstateRecord } from '../../model/estate_record';
export { componentsUp, findEstateRecords, findLeftovers, isAlive, killEstate, readEstateRecord, removeLeftovers, removeUnrecorded, takeDown, undoFreeze, type Leftovers, type Scope } from './records';
export { buildImages, type BuildOptions, type BuiltImage } from './images';
