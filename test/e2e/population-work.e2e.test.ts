/**
 * Browser flows of the grid's daily work (M2): a house is named by its full standard address
 * (street, building, unit, room) in 我的网格, the phone's house list and the 登记成功 card; a grid
 * incident goes report → dispatch → handle → close between the grid worker's phone and the station's desk;
 * a file imported twice says its rows already exist (已存在，跳过), not that they failed.
 * The demo's rental house 蜀汉路88号 2栋 1单元 402室 (蜀汉街 grid 1) is never patrolled, so it is due.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import ExcelJS from '../../src/platform/excel/exceljs.js';
import { IMPORT_HEADERS } from '../../src/modules/population/import.js';
import { baseUrl, DESKTOP, e2eUnavailable, launchBrowser, login, newPage, PHONE, screenshot } from './helpers.js';

const unavailable = e2eUnavailable();
if (unavailable) {
  if (process.env.CI === 'true' || process.env.CI === '1') throw new Error(`browser flows are mandatory in CI: ${unavailable}`);
  console.warn(`浏览器流程测试未运行 / browser flows NOT run: ${unavailable}`);
}

const HOUSE = '蜀汉路88号2栋1单元402室';

/** A valid GB 11643 number nobody in the demo data has (510107, a 1980s birth date, an even — female — sequence). */
function freshIdNumber(): string {
  const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  const year = 1980 + Math.floor(Math.random() * 10);
  const month = String(1 + Math.floor(Math.random() * 12)).padStart(2, '0');
  const day = String(1 + Math.floor(Math.random() * 28)).padStart(2, '0');
  const first17 = `510107${year}${month}${day}${String(100 + Math.floor(Math.random() * 449) * 2).padStart(3, '0')}`;
  const sum = [...first17].reduce((acc, d, i) => acc + Number(d) * weights[i]!, 0);
  return first17 + '10X98765432'[sum % 11]!;
}

/** Picks the option of an antd Select whose text contains `text` (typing it first when the select searches). */
async function choose(page: Page, testId: string, text: string, search?: string) {
  await page.getByTestId(testId).click();
  if (search) await page.getByTestId(testId).locator('input').fill(search);
  const option = page.locator('.ant-select-dropdown:not(.ant-select-dropdown-hidden) .ant-select-item-option').filter({ hasText: text }).first();
  await option.waitFor();
  await option.click();
}

const go = async (page: Page, path: string) => {
  await page.goto(`${baseUrl()}${path}`);
  await page.waitForLoadState('networkidle');
};

describe.skipIf(unavailable !== null)('the grid\'s work in the browser', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('a house shows its full standard address in 我的网格, the phone house list and the 登记成功 card', async () => {
    const phone = await newPage(browser, PHONE);
    try {
      const page = phone.page;
      await login(page, 'wangge-sh-1');
      await go(page, '/population/my-grid');
      const due = page.getByTestId('due-patrols').getByTestId('due-item').filter({ hasText: HOUSE });
      await expect.poll(() => due.count()).toBe(1);
      await screenshot(page, 'phone-pop-work-01-due-address');

      await go(page, `/population/houses?q=${encodeURIComponent('蜀汉路88号')}`);
      await expect.poll(() => page.getByTestId('house-address-line').allTextContents()).toContain(HOUSE);

      await go(page, '/population/register');
      await expect.poll(() => page.getByTestId('grid-select').textContent()).toContain('蜀汉街社区第1网格');
      await page.getByTestId('reg-id-number').fill(freshIdNumber());
      await page.getByTestId('id-parsed').waitFor();
      await page.getByTestId('reg-name').fill('上官知微');
      await choose(page, 'reg-house', HOUSE, '蜀汉路88号');
      await page.getByTestId('reg-submit').click();
      await Promise.race([page.getByTestId('register-success').waitFor(), page.getByTestId('dedup-continue').waitFor()]);
      if (await page.getByTestId('dedup-continue').isVisible()) await page.getByTestId('dedup-continue').click();
      await page.getByTestId('register-success').waitFor();
      expect(await page.getByTestId('saved-house').textContent()).toBe(HOUSE);
      await screenshot(page, 'phone-pop-work-02-registered-address');
    } finally {
      await phone.context.close();
    }
  });

  it('a file imported twice: the second time its rows are 已存在（跳过）, not 失败', async () => {
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet('流动人口');
    ws.addRow(IMPORT_HEADERS);
    for (const name of ['诸葛青', '端木蓉']) {
      ws.addRow(IMPORT_HEADERS.map((h) => ({ 证件号码: freshIdNumber(), 姓名: name, 网格: '蜀汉街社区第3网格', 来本地日期: '2026-03-01', 户籍地: '四川省广安市' } as Record<string, string>)[h] ?? ''));
    }
    const file = { name: '台账.xlsx', mimeType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', buffer: Buffer.from(await wb.xlsx.writeBuffer()) };
    const desk = await newPage(browser, DESKTOP);
    try {
      const page = desk.page;
      await login(page, 'liuguan');
      await go(page, '/population/transfer');
      const counts = page.getByTestId('import-job-counts');
      for (const expected of ['成功 2，已存在（跳过）0，失败 0', '成功 0，已存在（跳过）2，失败 0']) {
        await page.getByTestId('import-card').locator('input[type=file]').setInputFiles(file);
        await page.getByTestId('import-start').click();
        await expect.poll(() => page.getByTestId('import-job').getAttribute('data-status'), { timeout: 30_000 }).toBe('done');
        // The card shows the previous job (done) until the new one is polled: wait for the new job's counts.
        await expect.poll(() => counts.textContent(), { timeout: 30_000 }).toContain(expected);
      }
      await screenshot(page, 'desktop-pop-work-03-import-twice');
    } finally {
      await desk.context.close();
    }
  });

  it('a grid incident is reported on the phone, dispatched by the station, handled by the grid worker and closed with a resolution', async () => {
    const title = `楼道堆放杂物 ${Date.now() % 100000}`;
    const row = (page: Page) => page.locator(`[data-testid="incident-row"][data-title="${title}"]`);
    const status = (page: Page) => page.getByTestId('incident-detail').getByTestId('incident-status').getAttribute('data-value');

    // ---- the grid worker reports it from the phone
    const phone = await newPage(browser, PHONE);
    const wg = phone.page;
    try {
      await login(wg, 'wangge-sh-1');
      await go(wg, '/population/incidents');
      await wg.getByTestId('incident-new').click();
      await wg.getByTestId('incident-drawer').waitFor();
      await wg.getByTestId('incident-title').fill(title);
      await wg.getByTestId('incident-description').fill('3 栋 2 单元楼道堆放纸箱，影响消防通道');
      await wg.getByTestId('incident-submit').click();
      await expect.poll(() => row(wg).getAttribute('data-status')).toBe('reported');

      // ---- the station dispatches it to the grid worker
      const desk = await newPage(browser, DESKTOP);
      try {
        const page = desk.page;
        await login(page, 'zhan-sh');
        await go(page, '/population/incidents?status=reported');
        await row(page).click();
        await page.getByTestId('incident-detail').waitFor();
        await page.getByTestId('incident-dispatch').click();
        await choose(page, 'incident-assignee-select', '张伟');
        await page.getByTestId('incident-note-input').fill('请今日内处理');
        await page.getByTestId('incident-step-ok').click();
        await expect.poll(() => status(page)).toBe('dispatched');
        expect(await page.getByTestId('incident-assignee').textContent()).toBe('张伟');
        await screenshot(page, 'desktop-pop-work-01-dispatched');

        // ---- the grid worker, on the phone, says what was done
        await go(wg, '/population/incidents');
        await expect.poll(() => row(wg).getAttribute('data-status')).toBe('dispatched');
        await row(wg).click();
        await wg.getByTestId('incident-handle').click();
        await wg.getByTestId('incident-note-input').fill('已联系物业清理');
        await wg.getByTestId('incident-step-ok').click();
        await expect.poll(() => status(wg)).toBe('handling');
        // A grid worker does not close.
        expect(await wg.getByTestId('incident-close').count()).toBe(0);
        await screenshot(wg, 'phone-pop-work-03-handling');

        // ---- the station closes it with the resolution; each step is in the history
        await page.reload();
        await page.getByTestId('incident-detail').waitFor();
        await expect.poll(() => status(page)).toBe('handling');
        await page.getByTestId('incident-close').click();
        await page.getByTestId('incident-resolution-input').fill('杂物已清理，通道畅通');
        await page.getByTestId('incident-step-ok').click();
        await expect.poll(() => status(page)).toBe('closed');
        expect(await page.getByTestId('incident-resolution').textContent()).toBe('杂物已清理，通道畅通');
        const actions = page.getByTestId('incident-detail').getByTestId('incident-action');
        expect(await actions.evaluateAll((els) => els.map((e) => e.getAttribute('data-action')))).toEqual(['report', 'dispatch', 'handle', 'close']);
        expect(await page.getByTestId('incident-detail').textContent()).toContain('请今日内处理');
        await page.keyboard.press('Escape');
        await page.locator('[data-testid="incident-rate"][data-grid="蜀汉街社区第1网格"]').waitFor();
        await screenshot(page, 'desktop-pop-work-02-closed');
      } finally {
        await desk.context.close();
      }
    } finally {
      await phone.context.close();
    }
  });
});
