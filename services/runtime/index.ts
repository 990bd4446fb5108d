import type { EstateConfigInput } from '../estate/config';
import { parseEstateConfig } from '../estate/config';
import { startProcessEstate, type StartOptions } from './process/runtime';
import type { Estate } from './runtime';

/** Starts an estate on the runtime its configuration names. */
export async function startEstate(input: EstateConfigInput = {}, options: StartOptions = {}): Promise<Estate> {
  const config = parseEstateConfig(input);
  switch (config.runtime) {
    case 'process':
      return startProcessEstate(config, options);
    default:
      throw new Error(`runtime ${config.runtime} is not available yet: use runtime: process`);
  }
}

export type { Estate, ComponentHandle, SiteHandle, EstateEndpoints } from './runtime';
