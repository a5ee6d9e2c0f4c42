/**
 * Browser flow of M2 (population): a grid worker on a phone registers a newly arrived person
 * (ID number checked as typed, birth date and gender read from it), sees the registration saved
 * and awaiting review; the community station clerk enters it (录入, 000:27: the grid worker collects,
 * the station enters), finds it in the review queue, passes it, and sees it among the passed records.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { baseUrl, DESKTOP, e2eUnavailable, launchBrowser, login, newPage, PHONE, screenshot } from './helpers.js';

const unavailable = e2eUnavailable();
if (unavailable) {
  if (process.env.CI === 'true' || process.env.CI === '1') throw new Error(`browser flows are mandatory in CI: ${unavailable}`);
  console.warn(`浏览器流程测试未运行 / browser flows NOT run: ${unavailable}`);
}

/** A valid GB 11643 number: 17 digits and the ISO 7064 MOD 11-2 check character. */
function withCheck(first17: string): string {
  const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  const sum = [...first17].reduce((acc, d, i) => acc + Number(d) * weights[i]!, 0);
  return first17 + '10X98765432'[sum % 11]!;
}

/** A number nobody in the demo data has: 510107 (成都市武侯区), a random 1990s birth date, an odd (male) sequence. */
function freshIdNumber(): { id: string; birthDate: string } {
  const year = 1990 + Math.floor(Math.random() * 10);
  const month = String(1 + Math.floor(Math.random() * 12)).padStart(2, '0');
  const day = String(1 + Math.floor(Math.random() * 28)).padStart(2, '0');
  const seq = String(100 + Math.floor(Math.random() * 449) * 2 + 1).padStart(3, '0');
  return { id: withCheck(`510107${year}${month}${day}${seq}`), birthDate: `${year}-${month}-${day}` };
}

/** Pages through the review table until the row of `name` shows (the queue is oldest first). */
async function findRecordRow(page: Page, name: string) {
  const pane = page.locator('.ant-tabs-tabpane-active');
  const row = pane.locator(`[data-testid="record-row"][data-person="${name}"]`);
  await pane.locator('[data-testid="record-row"]').first().waitFor();
  for (let i = 0; i < 50; i++) {
    // A page's rows may still be arriving after the pagination moved: give the row a moment.
    if (await row.first().waitFor({ timeout: 3000 }).then(() => true, () => false)) return row.first();
    const next = pane.locator('.ant-pagination-next').first();
    if ((await next.count()) === 0 || (await next.getAttribute('aria-disabled')) === 'true') break;
    const current = await pane.locator('.ant-pagination-item-active').first().textContent();
    await next.click();
    await expect.poll(() => pane.locator('.ant-pagination-item-active').first().textContent()).not.toBe(current);
    // The page's rows have arrived when the table is no longer loading.
    await expect.poll(() => pane.locator('.ant-spin-spinning').count()).toBe(0);
  }
  throw new Error(`record of ${name} not found in the review queue`);
}

describe.skipIf(unavailable !== null)('population (M2) in the browser', () => {
  let browser: Browser;

  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('a grid worker registers an arrival on the phone; the station clerk enters it, then passes it in the review queue', async () => {
    const { id: idNumber, birthDate } = freshIdNumber();
    const name = '欧阳未来';
    const masked = `${idNumber.slice(0, 6)}********${idNumber.slice(14)}`;

    // ---- the grid worker, on a phone
    const phone = await newPage(browser, PHONE);
    try {
      const page = phone.page;
      await login(page, 'wangge-sh-1');
      await page.getByTestId('menu-toggle').click();
      await page.getByTestId('nav-drawer').waitFor();
      await page.getByTestId('nav-pop-register').click();
      await page.getByTestId('register-page').waitFor();
      expect(new URL(page.url()).pathname).toBe('/population/register');
      // The grid worker's own grid is filled in.
      await expect.poll(() => page.getByTestId('grid-select').textContent()).toContain('蜀汉街社区第1网格');

      // The number is checked as it is typed: a wrong check character is refused at once.
      const wrong = idNumber.slice(0, 17) + (idNumber[17] === '0' ? '1' : '0');
      await page.getByTestId('reg-id-number').fill(wrong);
      await expect.poll(() => page.locator('.ant-form-item-explain-error').first().textContent()).toContain('校验位不正确');
      await page.getByTestId('reg-id-number').fill(idNumber);
      await page.getByTestId('id-parsed').waitFor();
      await expect.poll(() => page.getByTestId('reg-birth-date-value').textContent()).toBe(birthDate);
      expect(await page.getByTestId('reg-gender-value').textContent()).toBe('男');

      await page.getByTestId('reg-name').fill(name);
      await page.getByTestId('reg-reason').locator('input').fill('务工');
      await screenshot(page, 'phone-pop-01-register-form');
      await page.getByTestId('reg-submit').click();
      // Similar persons (same name and birth date) are possible but unlikely: register anyway.
      await Promise.race([page.getByTestId('register-success').waitFor(), page.getByTestId('dedup-continue').waitFor()]);
      if (await page.getByTestId('dedup-continue').isVisible()) await page.getByTestId('dedup-continue').click();

      await page.getByTestId('register-success').waitFor();
      expect(await page.getByTestId('register-success').textContent()).toContain('登记成功');
      expect(await page.getByTestId('saved-name').textContent()).toBe(name);
      const saved = page.getByTestId('register-saved');
      expect(await saved.textContent()).toContain(masked);
      expect(await saved.textContent()).toContain('蜀汉街社区第1网格');
      expect(await saved.getByTestId('review-status').getAttribute('data-value')).toBe('reported');
      expect(await saved.getByTestId('review-status').textContent()).toBe('待审核');
      await screenshot(page, 'phone-pop-02-registered');
    } finally {
      await phone.context.close();
    }

    // ---- the community station clerk, at a desk
    const desk = await newPage(browser, DESKTOP);
    try {
      const page = desk.page;
      await login(page, 'zhan-sh');
      await page.getByTestId('nav-pop-review').click();
      await page.getByTestId('review-page').waitFor();
      await page.waitForLoadState('networkidle');
      // 待录入 first: the grid worker collected it, the station enters it.
      const collected = await findRecordRow(page, name);
      expect(await collected.textContent()).toContain('张伟');
      await screenshot(page, 'desktop-pop-00-entry-queue');
      await collected.getByTestId('record-enter').click();
      await expect.poll(() => page.locator(`.ant-tabs-tabpane-active [data-testid="record-row"][data-person="${name}"]`).count(), { timeout: 15_000 }).toBe(0);
      await page.getByRole('tab', { name: '待审核' }).click();
      await page.waitForURL(/tab=reported/);
      const row = await findRecordRow(page, name);
      expect(await row.getByTestId('record-enterer').textContent()).toBe('刘婷'); // entered by the station clerk
      expect(await row.textContent()).toContain('张伟'); // collected by the grid worker
      expect(await row.textContent()).toContain('蜀汉街社区第1网格');
      expect(await row.getByTestId('record-clock').getAttribute('data-late')).toBe('0');
      await screenshot(page, 'desktop-pop-01-review-queue');
      await row.getByTestId('record-pass').click();
      // Passed: it leaves the queue …
      await expect.poll(() => page.locator(`.ant-tabs-tabpane-active [data-testid="record-row"][data-person="${name}"]`).count()).toBe(0);

      // … and is listed as passed.
      await page.getByRole('tab', { name: '已合格' }).click();
      await page.waitForURL(/tab=passed/);
      await page.locator('.ant-tabs-tabpane-active [data-testid="record-row"] [data-testid="review-status"][data-value="passed"]').first().waitFor();
      const passed = await findRecordRow(page, name);
      expect(await passed.getByTestId('review-status').getAttribute('data-value')).toBe('passed');
      expect(await passed.getByTestId('review-status').textContent()).toBe('审核合格');
      await screenshot(page, 'desktop-pop-02-passed');

      // The person's own status follows: 审核合格 in the person search.
      await page.getByTestId('nav-pop-persons').click();
      await page.getByTestId('persons-name').fill(name);
      await page.getByTestId('persons-search').click();
      const person = page.getByTestId('person-row').filter({ hasText: name }).filter({ hasText: masked });
      await expect.poll(() => person.count()).toBe(1);
      expect(await person.getByTestId('review-status').getAttribute('data-value')).toBe('passed');
      expect(new URL(page.url()).origin).toBe(new URL(baseUrl()).origin);
    } finally {
      await desk.context.close();
    }
  });
});
