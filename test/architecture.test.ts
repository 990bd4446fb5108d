import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

/**
 * The dependency rule of docs/ARCHITECTURE.md § Rooms, as a fitness function: every relative
 * import of every source file is parsed, and one that runs from a lower room to a higher one, or
 * into a runtime's internals from outside `services/runtime`, fails the suite with its file.
 */

const ROOT = resolve(__dirname, '..');

/** Each room and the rooms it may import (its own room always). Lower rooms first. */
export const ROOMS: Record<string, readonly string[]> = {
  lib: [],
  model: ['lib'],
  proxy: ['lib', 'model'],
  services: ['lib', 'model', 'proxy'],
  chaos: ['lib', 'model', 'proxy', 'services'],
  reports: ['lib', 'model'],
  harness: ['lib', 'model', 'proxy', 'services', 'chaos', 'reports'],
  bench: ['lib', 'model', 'proxy', 'services', 'chaos', 'reports', 'harness'],
  api: ['lib', 'model', 'proxy', 'services', 'chaos', 'reports', 'harness'],
};

/** A runtime's internals: only `services/runtime` itself reaches into them. */
const RUNTIME_INTERNALS = ['services/runtime/process/', 'services/runtime/docker/', 'services/runtime/external/'];

interface Import {
  file: string;
  target: string;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.ts$/.test(name) && !name.endsWith('.d.ts') ? [path] : [];
  });
}

/** Static imports and exports, `import()` and `require()` of relative paths. */
export function relativeImports(file: string, text: string): Import[] {
  const specs = [
    ...text.matchAll(/\b(?:import|export)\s[^;'"]*?from\s*['"]([^'"]+)['"]/g),
    ...text.matchAll(/\bimport\s*['"]([^'"]+)['"]/g),
    ...text.matchAll(/\b(?:import|require)\s*\(\s*['"]([^'"]+)['"]\s*\)/g),
  ].map((m) => m[1]);
  return specs
    .filter((s) => s.startsWith('.'))
    .map((s) => ({ file: relative(ROOT, file).split(sep).join('/'), target: relative(ROOT, resolve(dirname(file), s)).split(sep).join('/') }));
}

const roomOf = (path: string) => path.split('/')[0];

function allImports(): Import[] {
  return Object.keys(ROOMS).flatMap((room) => sourceFiles(join(ROOT, room)).flatMap((f) => relativeImports(f, readFileSync(f, 'utf8'))));
}

describe('architecture: one direction through the house', () => {
  const imports = allImports();

  it('finds the imports it checks', () => {
    expect(imports.length).toBeGreaterThan(300);
    expect(imports.some((i) => i.file.startsWith('harness/') && i.target.startsWith('model/'))).toBe(true);
  });

  it('no room imports a room above it', () => {
    const wrong = imports
      .filter((i) => {
        const from = roomOf(i.file);
        const to = roomOf(i.target);
        return from !== to && !ROOMS[from].includes(to);
      })
      .map((i) => `${i.file} imports ${i.target} (${roomOf(i.file)} may import ${ROOMS[roomOf(i.file)].join(', ') || 'nothing of ours'})`);
    expect(wrong).toEqual([]);
  });

  it('no cycle between rooms: the allowed imports are a strict order', () => {
    const order = Object.keys(ROOMS);
    for (const [room, allowed] of Object.entries(ROOMS)) {
      for (const other of allowed) expect(order.indexOf(other)).toBeLessThan(order.indexOf(room));
    }
  });

  it("nothing outside services/runtime reaches into a runtime's internals", () => {
    const wrong = imports
      .filter((i) => !i.file.startsWith('services/runtime/') && RUNTIME_INTERNALS.some((p) => i.target.startsWith(p)))
      .map((i) => `${i.file} imports ${i.target}: use services/runtime`);
    expect(wrong).toEqual([]);
  });

  it('the checker sees a wrong import when there is one', () => {
    const found = relativeImports(join(ROOT, 'model', 'x.ts'), "import { a } from '../harness/y';\nconst b = await import('../services/runtime/docker/z');");
    expect(found.map((i) => i.target)).toEqual(['harness/y', 'services/runtime/docker/z']);
    expect(ROOMS.model.includes(roomOf(found[0].target))).toBe(false);
  });
});
