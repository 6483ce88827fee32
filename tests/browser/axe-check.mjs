// Loads every job's page in headless Chromium (Debian's, never a downloaded one), runs axe-core's
// WCAG 2.1 A/AA rules, and prints one JSON result per job; a walkthrough's job walks its steps,
// checking every page it lands on. The Rust runner (src/main.rs) starts
// the server, writes the jobs and judges the results.
import { chromium } from 'playwright-core';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const { chromium: executablePath, jobs } = JSON.parse(readFileSync(process.argv[2], 'utf8'));

// axe-core's WCAG 2.1 A/AA rules and the reflow check on the page as it stands.
async function check(page) {
  await page.evaluate(axeSource);
  const axe = await page.evaluate(() => window.axe.run(document, {
    runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
    resultTypes: ['violations'],
  }));
  const violations = axe.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map((n) => ({ target: n.target.join(' '), summary: n.failureSummary })),
  }));
  // Nothing may scroll sideways: a 320px phone must not need horizontal scrolling (WCAG 1.4.10).
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  if (overflow > 1) violations.push({ id: 'reflow', impact: 'serious', help: `page is ${overflow}px wider than the viewport`, nodes: [] });
  return violations;
}

// A walkthrough (walks.toml): each step opens, ticks, fills and presses as a resident does, then
// the page it lands on is checked like any other and must show what the step expects.
async function walk(page, job, result) {
  try {
    await walkSteps(page, job, result);
  } catch (e) {
    // The page a step could not go on from, for the people who look at the screenshots.
    if (job.screenshot) await page.screenshot({ path: `${job.screenshot}-failed.png`, fullPage: true }).catch(() => {});
    throw e;
  }
}

async function walkSteps(page, job, result) {
  let status = 200;
  for (const [i, step] of job.steps.entries()) {
    const at = `step ${i + 1}`;
    const miss = (help) => result.violations.push({ id: 'walkthrough', impact: 'serious', help: `${at}: ${help}`, nodes: [] });
    if (step.visit) {
      const response = await page.goto(job.origin + step.visit, { waitUntil: 'load' });
      status = response ? response.status() : 0;
    }
    // What a phone folds away ("Opties") is opened first, as a resident opens it.
    if (step.reveal) {
      const fold = page.locator(step.reveal).first();
      if (await fold.isVisible()) await fold.click();
    }
    if (step.follow) {
      const link = page.locator(step.follow).first();
      await link.waitFor({ state: 'visible', timeout: 5000 });
      const response = await page.goto(new URL(await link.getAttribute('href'), page.url()).toString(), { waitUntil: 'load' });
      status = response ? response.status() : 0;
    }
    for (const selector of step.check) await page.check(selector);
    for (const [name, value] of Object.entries(step.fill)) await page.fill(`[name="${name}"]`, value);
    if (step.enter) {
      // Enter in a field: the form's implicit submission, as a resident types and sends.
      const [response] = await Promise.all([
        page.waitForNavigation({ waitUntil: 'load' }),
        page.press(`[name="${step.enter}"]`, 'Enter'),
      ]);
      status = response ? response.status() : 0;
    }
    if (step.press) {
      const [response] = await Promise.all([
        page.waitForNavigation({ waitUntil: 'load' }),
        page.click(step.press),
      ]);
      status = response ? response.status() : 0;
    }
    if (status !== 200) miss(`status ${status} at ${page.url()}`);
    const text = (selector) => page.evaluate((s) => document.querySelector(s)?.innerText ?? '', selector);
    const body = await text('body');
    for (const want of step.expect) if (!body.includes(want)) miss(`"${want}" is not on ${page.url()}`);
    const said = await text('.pp-flash');
    for (const want of step.said) if (!said.includes(want)) miss(`the message does not say "${want}" (it says "${said}")`);
    const header = await text('.pp-header');
    for (const want of step.header) if (!header.includes(want)) miss(`the header does not show "${want}" (it shows "${header}")`);
    for (const [name, want] of Object.entries(step.values)) {
      const value = await page.inputValue(`[name="${name}"]`);
      if (value !== want) miss(`field ${name} holds "${value}", not "${want}"`);
    }
    for (const v of await check(page)) result.violations.push({ ...v, help: `${at}: ${v.help}` });
    if (job.screenshot) await page.screenshot({ path: `${job.screenshot}-step${i + 1}.png`, fullPage: true });
  }
  result.status = status;
}

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
      if (job.steps) {
        await walk(page, job, result);
        results.push(result);
        await context.close();
        continue;
      }
      let response = await page.goto(job.url, { waitUntil: 'load' });
      if (job.submit) {
        // Press the form's button: the page checked is the answer to its POST.
        [response] = await Promise.all([
          page.waitForNavigation({ waitUntil: 'load' }),
          page.click(job.submit),
        ]);
      }
      result.status = response ? response.status() : 0;
      result.violations = await check(page);
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
