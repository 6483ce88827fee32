// Loads every job's page in headless Chromium (Debian's, never a downloaded one), runs axe-core's
// WCAG 2.1 A/AA rules, and prints one JSON result per job. The Rust runner (src/main.rs) starts
// the server, writes the jobs and judges the results.
import { chromium } from 'playwright-core';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const { chromium: executablePath, jobs } = JSON.parse(readFileSync(process.argv[2], 'utf8'));

const browser = await chromium.launch({
  executablePath,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
});
const results = [];
try {
  for (const job of jobs) {
    const context = await browser.newContext({ viewport: { width: job.width, height: 900 }, locale: job.locale });
    if (job.cookies.length) await context.addCookies(job.cookies.map((c) => ({ ...c, url: job.origin })));
    const page = await context.newPage();
    const result = { url: job.url, width: job.width, label: job.label, status: 0, violations: [], error: null };
    try {
      let response = await page.goto(job.url, { waitUntil: 'load' });
      if (job.submit) {
        // Press the form's button: the page checked is the answer to its POST.
        [response] = await Promise.all([
          page.waitForNavigation({ waitUntil: 'load' }),
          page.click(job.submit),
        ]);
      }
      result.status = response ? response.status() : 0;
      await page.evaluate(axeSource);
      const axe = await page.evaluate(() => window.axe.run(document, {
        runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
        resultTypes: ['violations'],
      }));
      result.violations = axe.violations.map((v) => ({
        id: v.id, impact: v.impact, help: v.help,
        nodes: v.nodes.map((n) => ({ target: n.target.join(' '), summary: n.failureSummary })),
      }));
      // Nothing may scroll sideways: a 320px phone must not need horizontal scrolling (WCAG 1.4.10).
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      if (overflow > 1) result.violations.push({ id: 'reflow', impact: 'serious', help: `page is ${overflow}px wider than the viewport`, nodes: [] });
      if (job.screenshot) await page.screenshot({ path: job.screenshot, fullPage: true });
    } catch (e) {
      result.error = String(e);
    }
    results.push(result);
    await context.close();
  }
} finally {
  await browser.close();
}
process.stdout.write(JSON.stringify(results));
