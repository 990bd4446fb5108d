import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { EstateConfig } from './config';

/**
 * The built-in regional estate is an estate file like any other (estates/regional.yaml): a drill
 * that names no `estate.file` stands it up through the same path as a user's estate.
 */
function packageRoot(): string {
  // services/estate/ in a source checkout, dist/services/estate/ once compiled.
  const up = resolve(__dirname, '..', '..');
  return existsSync(resolve(up, 'estates')) ? up : resolve(up, '..');
}

export const REGIONAL_ESTATE_FILE = resolve(packageRoot(), 'estates', 'regional.yaml');

/** The estate file a configuration stands up: its own, else the regional estate; none for an external system. */
export function estateFileOf(config: EstateConfig): string | undefined {
  if (config.file !== undefined) return config.file;
  return config.runtime === 'external' ? undefined : REGIONAL_ESTATE_FILE;
}
