import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import ts from 'typescript';

const ROOT = resolve(__dirname, '..', '..');

/**
 * Type-checks a k6 script (plain JavaScript with JSDoc) against @types/k6 with the TypeScript
 * compiler: checkJs, strict, no DOM or Node types (k6 has neither), ES modules as k6 reads them.
 * Returns the diagnostics as `line:col: message` lines; [] when the script checks.
 */
export function typeCheckK6(script: string, name = 'load.js'): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'blackstart-k6-types-'));
  const file = join(dir, name);
  writeFileSync(file, script);
  const program = ts.createProgram([file], {
    allowJs: true,
    checkJs: true,
    noEmit: true,
    strict: true,
    target: ts.ScriptTarget.ES2020,
    module: ts.ModuleKind.ES2020,
    moduleResolution: ts.ModuleResolutionKind.Node10,
    lib: ['lib.es2020.d.ts'],
    types: ['k6'],
    typeRoots: [join(ROOT, 'node_modules', '@types')],
    skipLibCheck: true,
  });
  return ts
    .getPreEmitDiagnostics(program)
    .map((d) => {
      const msg = ts.flattenDiagnosticMessageText(d.messageText, '\n');
      if (!d.file || d.start === undefined) return msg;
      const { line, character } = d.file.getLineAndCharacterOfPosition(d.start);
      return `${d.file.fileName === file ? name : d.file.fileName}:${line + 1}:${character + 1}: ${msg}`;
    });
}
