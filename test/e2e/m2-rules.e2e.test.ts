/**
 * Browser checks of the M2 rules of seed 000 §7: the staffing flags (one grid worker per grid, one
 * entry clerk per station) on the statistics page, for the street office and for a community station;
 * the collect → enter split is in population.e2e.test.ts; a crime lead reported by a grid worker
 * reaches the police liaison's list (000:41).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { baseUrl, DESKTOP, e2eUnavailable, launchBrowser, login, newPage, screenshot } from './helpers.js';

const unavailable = e2eUnavailable();
if (unavailable) {
  if (process.env.CI === 'true' || process.env.CI === '1') throw new Error(`browser flows are mandatory in CI: ${unavailable}`);
  console.warn(`浏览器流程测试未运行 / browser flows NOT run: ${unavailable}`);
}

const go = async (page: Page, path: string) => {
  await page.goto(`${baseUrl()}${path}`);
  await page.waitForLoadState('networkidle');
};

describe.skipIf(unavailable !== null)('M2 rules in the browser', () => {
  let browser: Browser;
  beforeAll(async () => { browser = await launchBrowser(); });
  afterAll(async () => { await browser?.close(); });

  it('staffing: the street sees grids without a grid worker and stations without an entry clerk flagged', async () => {
    const desk = await newPage(browser, DESKTOP);
    try {
      const page = desk.page;
      await login(page, 'liuguan');
      await go(page, '/population/stats');
      const card = page.getByTestId('staffing-card');
      await card.waitFor();
      // The demo staffs 蜀汉街 grids 1, 2 and 洗面桥 grid 1 and the 蜀汉街 station: the rest is vacant.
      await expect(card.textContent()).resolves.toContain('洗面桥社区第2网格');
      await expect(card.textContent()).resolves.toContain('不符合标准');
      await card.scrollIntoViewIfNeeded();
      await screenshot(page, 'm2-staffing-street');
      // A community: its station and grids; 蜀汉街's station has its clerk, grids 3–7 have no grid worker.
      await page.getByTestId('stats-child').filter({ hasText: '蜀汉街社区' }).first().click();
      await page.waitForLoadState('networkidle');
      const rows = page.getByTestId('staffing-card').getByTestId('staffing-row');
      // The card follows the unit shown: 蜀汉街's station has its clerk, grids 3–7 have no grid worker.
      await expect.poll(() => rows.count()).toBe(5);
      await expect(rows.filter({ hasText: '蜀汉街社区第1网格' }).count()).resolves.toBe(0);
      await expect(page.getByTestId('stats-child').filter({ hasText: '蜀汉街社区第3网格' }).getByTestId('stats-child-flag').count()).resolves.toBe(1);
      await page.getByTestId('staffing-card').scrollIntoViewIfNeeded();
      await screenshot(page, 'm2-staffing-community');
    } finally {
      await desk.context.close();
    }
  });

  it('crime lead: a grid worker reports one; the police liaison finds it in 违法犯罪线索, routed and reward-eligible', async () => {
    const what = `疑似传销窝点 ${Date.now() % 100000}`;
    const desk = await newPage(browser, DESKTOP);
    try {
      const page = desk.page;
      await login(page, 'wangge-sh-1');
      await go(page, '/population/crime-leads');
      await page.getByTestId('lead-new').click();
      await page.getByTestId('lead-what').fill(what);
      await page.getByTestId('lead-place').fill('蜀汉路88号2栋1单元402室');
      await page.getByTestId('lead-suspect-name').fill('柯远山');
      await screenshot(page, 'm2-crime-lead-form');
      await page.getByTestId('lead-submit').click();
      await page.getByTestId('lead-row').filter({ hasText: what }).waitFor();
    } finally {
      await desk.context.close();
    }
    const police = await newPage(browser, DESKTOP);
    try {
      const page = police.page;
      await login(page, 'paichusuo');
      await go(page, '/population/crime-leads');
      const row = page.getByTestId('lead-row').filter({ hasText: what });
      await row.waitFor();
      await expect(row.textContent()).resolves.toContain('已通知派出所');
      await expect(row.textContent()).resolves.not.toContain('柯远山');
      await screenshot(page, 'm2-crime-leads-police');
    } finally {
      await police.context.close();
    }
  });
});
