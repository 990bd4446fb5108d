import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { BrowserContext } from 'playwright-core';
import { loadDrill } from '../../harness/drill/load';
import { reportHtml } from '../../reports/html';
import { describeBrowser, launchChromium } from '../helpers/browser';
import { syntheticResult } from './results';

jest.setTimeout(120_000);

const ROOT = resolve(__dirname, '..', '..');
/** Every shipped drill (drills/*.yaml). */
const SHIPPED = readdirSync(join(ROOT, 'drills')).filter((f) => f.endsWith('.yaml')).map((f) => f.replace(/\.yaml$/, '')).sort();
/** CI artefacts: a screenshot of each shipped drill's report (blackstart-reports/ is git-ignored). */
const SCREENSHOTS = join(ROOT, 'blackstart-reports', 'screenshots');

interface PageCheck {
  charts: { title: string; width: number; height: number }[];
  /** Text of any chart drawn outside its chart or the page (a label cut off), or an axis title over a tick label. */
  outside: string[];
  verdict: string;
  gateRows: number;
  headline: string;
}

/** In the page: each chart's size, and every text of every chart that is not wholly inside its chart and the page. */
const inspect = (): PageCheck => {
  // Runs in the page (the project's types have no DOM): the page's document, loosely typed.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const document = (globalThis as any).document;
  const page = { left: 0, right: document.documentElement.scrollWidth };
  const charts: any[] = [...document.querySelectorAll('svg')]; // eslint-disable-line @typescript-eslint/no-explicit-any
  const outside: string[] = [];
  for (const svg of charts) {
    const box = svg.getBoundingClientRect();
    for (const t of svg.querySelectorAll('text') as any[]) { // eslint-disable-line @typescript-eslint/no-explicit-any
      const r = t.getBoundingClientRect();
      if (r.left < box.left - 0.5 || r.right > box.right + 0.5 || r.top < box.top - 0.5 || r.bottom > box.bottom + 0.5 || r.left < page.left || r.right > page.right) {
        outside.push(`${svg.getAttribute('aria-label')}: "${t.textContent}" at ${Math.round(r.left)}..${Math.round(r.right)} (chart ${Math.round(box.left)}..${Math.round(box.right)})`);
      }
    }
  }
  // An axis title must not run into its tick labels.
  for (const svg of charts) {
    const ticks: { left: number; right: number; top: number; bottom: number }[] = [...svg.querySelectorAll('text.tick')].map((t: any) => t.getBoundingClientRect()); // eslint-disable-line @typescript-eslint/no-explicit-any
    for (const a of svg.querySelectorAll('text.axis-label') as any[]) { // eslint-disable-line @typescript-eslint/no-explicit-any
      const r = a.getBoundingClientRect();
      const hit = ticks.find((t) => t.left < r.right && t.right > r.left && t.top < r.bottom && t.bottom > r.top);
      if (hit) outside.push(`${svg.getAttribute('aria-label')}: axis title "${a.textContent}" overlaps a tick label`);
    }
  }
  // Faults applied together: their names must not print over one another.
  for (const svg of charts) {
    const names = [...svg.querySelectorAll('.fault-band text')].map((t: any) => ({ text: t.textContent, r: t.getBoundingClientRect() })); // eslint-disable-line @typescript-eslint/no-explicit-any
    names.forEach((a, i) =>
      names.slice(i + 1).forEach((b) => {
        if (a.r.left < b.r.right && a.r.right > b.r.left && a.r.top < b.r.bottom && a.r.bottom > b.r.top) outside.push(`${svg.getAttribute('aria-label')}: fault names "${a.text}" and "${b.text}" overlap`);
      }),
    );
  }
  return {
    charts: charts.map((s) => ({ title: s.getAttribute('aria-label') ?? '', width: s.getBoundingClientRect().width, height: s.getBoundingClientRect().height })),
    outside,
    verdict: document.querySelector('header.verdict .badge')?.textContent ?? '',
    gateRows: [...document.querySelectorAll('table')].find((t: any) => t.querySelector('th')?.textContent === 'Gate') // eslint-disable-line @typescript-eslint/no-explicit-any
?.querySelectorAll('tr').length ?? 0,
    headline: document.querySelector('.headline')?.textContent ?? '',
  };
};

describeBrowser('report.html in a real browser (chromium)', () => {
  let browser: BrowserContext;
  const dir = mkdtempSync(join(tmpdir(), 'blackstart-browser-'));

  beforeAll(async () => {
    browser = await launchChromium();
    mkdirSync(SCREENSHOTS, { recursive: true });
  });
  afterAll(async () => browser?.close());

  it.each(SHIPPED)('%s: no console error, no network request, every chart drawn with its labels inside, verdict and gates shown, prints to PDF', async (name) => {
    const result = syntheticResult(loadDrill(join(ROOT, 'drills', `${name}.yaml`)), `drills/${name}.yaml`);
    const file = join(dir, `${name}.html`);
    writeFileSync(file, reportHtml(result));
    const url = pathToFileURL(file).href;
    const page = await browser.newPage();
    const errors: string[] = [];
    const requests: string[] = [];
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('request', (r) => r.url() !== url && requests.push(r.url()));
    await page.goto(url, { waitUntil: 'load' });
    const check = await page.evaluate(inspect);
    expect(errors).toEqual([]);
    expect(requests).toEqual([]);
    // A chart for all services and one per service, each a drawn SVG.
    expect(check.charts.map((c) => c.title)).toEqual(['All services', ...Object.keys(result.timeline!.byService)]);
    expect(check.charts.length).toBeGreaterThan(1);
    for (const c of check.charts) expect([c.title, c.width > 500, c.height > 100]).toEqual([c.title, true, true]);
    expect(check.outside).toEqual([]);
    expect(check.verdict).toBe(result.verdict === 'passed' ? 'PASSED' : 'FAILED');
    expect(check.headline).toBe(result.headline);
    expect(check.gateRows).toBe(result.gates.length + 1);
    const pdf = await page.pdf({ format: 'A4', printBackground: true });
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
    expect(pdf.length).toBeGreaterThan(10_000);
    await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
    await page.close();
  });

  it('a 3 s stall among 5 ms answers: the latency axis is labelled in full (log scale), the peak named', async () => {
    const result = syntheticResult(loadDrill(join(ROOT, 'drills', 'maidstone-san-outage.yaml')), 'drills/maidstone-san-outage.yaml');
    const file = join(dir, 'stall.html');
    writeFileSync(file, reportHtml(result));
    const page = await browser.newPage();
    await page.goto(pathToFileURL(file).href);
    const ticks = await page.$$eval('svg[aria-label="All services"] text.tick', (ts) => ts.map((t) => t.textContent));
    expect(ticks).toEqual(expect.arrayContaining(['1 ms', '10 ms', '100 ms', '1 s', '10 s']));
    expect(await page.$eval('svg[aria-label="All services"] .peak text', (t) => t.textContent)).toBe('peak 3 s');
    expect((await page.evaluate(inspect)).outside).toEqual([]);
    await page.close();
  });
});
