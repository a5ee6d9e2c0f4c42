/**
 * Browser checks of seed 000 l.40: 流管办 evaluates last month's entries against the standard and
 * records a district deduction on 年度目标考核; the community's station sees its own community with
 * the funding-deduction flag.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { asUser, browserFlowsUnavailable, launchBrowser, openPath, screenshot } from './helpers.js';

const unavailable = browserFlowsUnavailable();

describe.skipIf(unavailable !== null)('annual target assessment in the browser', () => {
  let browser: Browser;
  beforeAll(async () => { browser = await launchBrowser(); });
  afterAll(async () => { await browser?.close(); });

  it('流管办 evaluates last month and records a district deduction; the station sees its community flagged', async () => {
    await asUser(browser, 'liuguan', async (page) => {
      await openPath(page, '/population/assessment');
      await page.getByTestId('entry-row').first().waitFor();
      await page.getByTestId('assess-evaluate').click();
      await page.getByTestId('assess-deduct').click();
      await page.getByTestId('deduct-community').click();
      await page.locator('.ant-select-item-option').filter({ hasText: '蜀汉街社区' }).click();
      await page.locator('.ant-select-dropdown').waitFor({ state: 'hidden' });
      await page.getByTestId('deduct-reason').fill('区流管办通报：本季度录入信息不完整');
      await screenshot(page, 'm2-assessment-deduct-form');
      await page.getByTestId('deduct-submit').click();
      const row = page.getByTestId('assess-row').filter({ hasText: '蜀汉街社区' });
      await expect.poll(() => row.textContent()).toContain('区流管办扣分');
      await expect(row.textContent()).resolves.toContain('扣减经费');
      await page.waitForLoadState('networkidle');
      await screenshot(page, 'm2-assessment-street');
      // The statistics page flags the community's funding deduction too.
      await openPath(page, '/population/stats');
      const child = page.getByTestId('stats-child').filter({ hasText: '蜀汉街社区' }).first();
      await expect(child.getByTestId('stats-child-flag').count()).resolves.toBe(1);
      await child.click();
      await page.waitForLoadState('networkidle');
      await expect.poll(() => page.getByTestId('stats-flags').textContent()).toContain('扣减此项工作的部分经费');
      await page.evaluate(() => window.scrollTo(0, 0));
      await page.getByTestId('stats-flags').scrollIntoViewIfNeeded();
      await screenshot(page, 'm2-assessment-stats-flag');
    });
    await asUser(browser, 'zhan-sh', async (page) => {
      await openPath(page, '/population/assessment');
      const rows = page.getByTestId('assess-row');
      await rows.first().waitFor();
      await expect(rows.count()).resolves.toBe(1);
      await expect(rows.textContent()).resolves.toContain('扣减经费');
      await expect(page.getByTestId('assess-deduct').count()).resolves.toBe(0);
      await screenshot(page, 'm2-assessment-station');
    });
  });

  it('导入导出 → 市级系统交换: 流管办 produces the next exchange file and finds it in the sync log', async () => {
    await asUser(browser, 'liuguan', async (page) => {
      await openPath(page, '/population/transfer');
      const card = page.getByTestId('exchange-card');
      await card.waitFor();
      await page.getByTestId('exchange-start').click();
      await page.getByTestId('exchange-job-result').waitFor({ timeout: 30_000 });
      await expect.poll(() => card.getByTestId('exchange-row').first().textContent()).toContain('已完成');
      await card.scrollIntoViewIfNeeded();
      await screenshot(page, 'm2-exchange');
    });
  });
});
