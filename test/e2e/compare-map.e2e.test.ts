/**
 * Browser flows of issue 11 items 8 and 10: the police liaison compares a list of ID numbers and
 * sees their own numbers back, row by row, in words fit for a comparison; the grid map shows a
 * schematic with the communities in their relative places and every grid by name, and says how
 * to upload the surveyed GCJ-02 GeoJSON.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import ExcelJS from '../../src/platform/excel/exceljs.js';
import { baseUrl, DESKTOP, e2eUnavailable, launchBrowser, login, newPage, PHONE, screenshot } from './helpers.js';

const unavailable = e2eUnavailable();
if (unavailable) {
  if (process.env.CI === 'true' || process.env.CI === '1') throw new Error(`browser flows are mandatory in CI: ${unavailable}`);
  console.warn(`浏览器流程测试未运行 / browser flows NOT run: ${unavailable}`);
}

/** A valid GB 11643 number nobody in the demo data has. */
function freshIdNumber(): string {
  const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  const first17 = `510107198${Math.floor(Math.random() * 10)}0${1 + Math.floor(Math.random() * 9)}1${Math.floor(Math.random() * 9)}${String(Math.floor(Math.random() * 900) + 100)}`;
  const sum = [...first17].reduce((acc, d, i) => acc + Number(d) * weights[i]!, 0);
  return first17 + '10X98765432'[sum % 11]!;
}

describe.skipIf(unavailable !== null)('comparison and grid map in the browser', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('the police liaison compares a list and sees the numbers they uploaded, row by row', async () => {
    const sent = [freshIdNumber(), freshIdNumber(), '51010719900101'];
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet('名单');
    ws.addRow(['证件号码', '备注']);
    for (const n of sent) ws.addRow([n, '派出所核查名单']);
    const file = path.join(os.tmpdir(), `jiedao-compare-e2e-${process.pid}.xlsx`);
    fs.writeFileSync(file, Buffer.from(await wb.xlsx.writeBuffer()));
    const { context, page } = await newPage(browser, DESKTOP);
    try {
      await login(page, 'paichusuo');
      await page.goto(`${baseUrl()}/population/transfer`);
      await page.getByTestId('compare-card').waitFor();
      await page.locator('[data-testid="compare-card"] input[type="file"]').setInputFiles(file);
      await page.getByTestId('compare-start').click();
      await expect.poll(() => page.getByTestId('compare-job').getAttribute('data-status'), { timeout: 60_000 }).toBe('done');
      const counts = await page.getByTestId('compare-job-counts').textContent();
      expect(counts).toContain('已比对 3 行');
      expect(counts).toContain('库中无此人 2');
      expect(counts).toContain('号码无效 1');
      expect(counts).not.toMatch(/成功|失败/);
      await screenshot(page, 'desktop-compare-01-done');
      await page.getByTestId('compare-show').click();
      const table = page.getByTestId('compare-rows');
      for (const n of sent) await expect.poll(() => table.getByText(n, { exact: true }).isVisible()).toBe(true);
      expect(await table.textContent()).toContain('库中无此人');
      await screenshot(page, 'desktop-compare-02-rows');
    } finally {
      await context.close();
      fs.rmSync(file, { force: true });
    }
  });

  it('the grid map is a schematic with the communities in their places and every grid by name; the upload path is on the page', async () => {
    const { context, page } = await newPage(browser, DESKTOP);
    try {
      await login(page, 'liuguan');
      await page.goto(`${baseUrl()}/population/map`);
      await page.getByTestId('grid-schematic').waitFor();
      const grid = (name: string) => page.locator('[data-testid="schematic-grid"]').filter({ hasText: name });
      for (const name of ['蜀汉街社区第1网格', '洗面桥社区第6网格', '洗面桥横街社区第7网格', '大石东路社区第1网格', '凉水井街社区第2网格']) {
        expect(await grid(name).count(), name).toBe(1);
        expect(await grid(name).isVisible(), name).toBe(true);
      }
      expect(await page.locator('[data-testid="schematic-grid"]').count()).toBe(35);
      // Relative places: 蜀汉街 north-west of 大石东路 (same column, above), 洗面桥横街 to the east of all.
      const box = async (name: string) => (await grid(name).boundingBox())!;
      const [sh, dsdl, xmqhj] = [await box('蜀汉街社区第1网格'), await box('大石东路社区第1网格'), await box('洗面桥横街社区第1网格')];
      expect(sh.y).toBeLessThan(dsdl.y);
      expect(xmqhj.x).toBeGreaterThan(sh.x + sh.width);
      // How to get the surveyed map in: format, GCJ-02, and the button, right under the map.
      const surveyed = page.getByTestId('map-surveyed');
      expect(await surveyed.textContent()).toContain('GCJ-02');
      expect(await surveyed.textContent()).toContain('.geojson');
      expect(await page.getByTestId('map-upload-inline').isVisible()).toBe(true);
      await screenshot(page, 'desktop-map-01-schematic');
      await grid('洗面桥社区第6网格').click();
      await expect.poll(() => page.getByTestId('map-grid-name').textContent()).toBe('洗面桥社区第6网格');
      await screenshot(page, 'desktop-map-02-selected');
      await page.getByTestId('map-surveyed').scrollIntoViewIfNeeded();
      await screenshot(page, 'desktop-map-03-upload-help');
    } finally {
      await context.close();
    }
    const phone = await newPage(browser, PHONE);
    try {
      await login(phone.page, 'zhan-sh');
      await phone.page.goto(`${baseUrl()}/population/map`);
      await phone.page.getByTestId('grid-schematic').waitFor();
      expect(await phone.page.locator('[data-testid="schematic-grid"]').count()).toBe(7);
      expect(await phone.page.locator('[data-testid="schematic-grid"]').filter({ hasText: '蜀汉街社区第3网格' }).isVisible()).toBe(true);
      await screenshot(phone.page, 'phone-map-01-station');
    } finally {
      await phone.context.close();
    }
  });
});
