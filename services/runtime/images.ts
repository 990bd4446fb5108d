import type { BuildOptions, BuiltImage } from './docker/images';

/**
 * The docker runtime's images (`blackstart images build`), loaded only when asked for: the process
 * runtime never loads the docker code.
 */
export type { BuildOptions, BuiltImage };

/** Builds (or skips, when unchanged) the base, estate and proxy images. */
export async function buildImages(options: BuildOptions): Promise<BuiltImage[]> {
  return (await import('./docker/images')).buildImages(options);
}
