// A resilience test of the mock estate through blackstart's public API and Jest matchers
// (README, "From code and from Jest"). The project's own suite runs it (jest.config.js: roots).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runDrill, type DrillRun } from 'blackstart';
import 'blackstart/jest';

jest.setTimeout(90_000);

describe('the estate survives a power cut at the active site', () => {
  let result: DrillRun;

  beforeAll(async () => {
    result = await runDrill(join(__dirname, 'resilience.yaml'), { outDir: mkdtempSync(join(tmpdir(), 'blackstart-example-')) });
  });

  it('passes its gates', () => expect(result).toPass());
  it('recovers within 8 s', () => expect(result).toRecoverWithin('8s', { fault: 'power-cut' }));
  it('loses no acknowledged write', () => expect(result).toLoseNoWrites());
  it('leaves nothing behind', () => expect(result).toHaveNoResidue());
});
