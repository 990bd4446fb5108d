import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

/** Debian's chromium (`apt-get install chromium`; .ci/run installs it), or BLACKSTART_CHROMIUM. */
export const CHROMIUM = process.env.BLACKSTART_CHROMIUM ?? '/usr/bin/chromium';

/**
 * `describe` for tests that need a real browser: skipped, with the reason in a warning, where
 * chromium is missing; with CI=true a missing chromium fails instead (as test/helpers/docker.ts).
 */
export function describeBrowser(name: string, fn: () => void): void {
  if (existsSync(CHROMIUM)) return describe(name, fn);
  const reason = `no chromium at ${CHROMIUM} (apt-get install -y chromium, or set BLACKSTART_CHROMIUM)`;
  if (process.env.CI === 'true') {
    describe(name, () => {
      it('needs chromium (CI=true: a missing browser fails the run)', () => {
        throw new Error(reason);
      });
    });
    return;
  }
  console.warn(`SKIPPED "${name}": ${reason}`);
  describe.skip(`${name} (skipped: ${reason})`, fn);
}

/** Headless chromium with a fresh profile, nothing in the background reaching the network. */
export function launchChromium(): Promise<BrowserContext> {
  const profile = mkdtempSync(join(tmpdir(), 'blackstart-chromium-'));
  return chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1100, height: 900 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}
