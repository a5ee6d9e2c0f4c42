/**
 * Browser flow of the approval engine with leave (请假/销假) as its user: a clerk asks for three
 * days of annual leave (seeing the days counted and the chain before submitting); the section
 * head, the leader in charge — acting for the absent leader through the demo's delegation — and
 * the director approve from their inboxes; the clerk is notified, closes the leave a day early,
 * and sees the day back on the balance; the A4 请假审批单 prints on one page with every opinion.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { baseUrl, e2eUnavailable, launchBrowser, login, newPage, screenshot, SCREENSHOT_DIR } from './helpers.js';

const unavailable = e2eUnavailable();
if (unavailable) {
  if (process.env.CI === 'true' || process.env.CI === '1') throw new Error(`browser flows are mandatory in CI: ${unavailable}`);
  console.warn(`浏览器流程测试未运行 / browser flows NOT run: ${unavailable}`);
}

/** Monday, Tuesday and Wednesday of last week in the office's zone (retroactive leave, so it can be closed at once). */
function lastWeekMonToWed(): [string, string, string] {
  const now = new Date(Date.now() + 8 * 3_600_000);
  const dow = (now.getUTCDay() + 6) % 7; // 0 = Monday
  const monday = new Date(now.getTime() - (dow + 7) * 86_400_000);
  const iso = (d: Date) => d.toISOString().slice(0, 10);
  return [iso(monday), iso(new Date(monday.getTime() + 86_400_000)), iso(new Date(monday.getTime() + 2 * 86_400_000))];
}

async function annualLeft(page: Page): Promise<number> {
  const text = await page.getByTestId('balance-annual').locator('.ant-statistic-content-value').innerText();
  return Number(text);
}

/** Opens the approval numbered `caseNo` from the 待办 box and approves it with a comment. */
async function approveFromInbox(page: Page, caseNo: string, comment: string, expectOnBehalf?: RegExp) {
  await page.goto(`${baseUrl()}/approvals`);
  const row = page.locator('tr', { hasText: caseNo }).first();
  await row.waitFor();
  if (expectOnBehalf) await expect.poll(() => row.innerText()).toMatch(expectOnBehalf);
  await row.getByTestId('inbox-title').click();
  const drawer = page.getByTestId('approval-drawer');
  await drawer.getByTestId('approval-approve').click();
  await page.getByTestId('approval-comment').fill(comment);
  await page.getByTestId('approval-dialog-ok').click();
  await page.getByText('已同意').first().waitFor();
}

describe.skipIf(unavailable !== null)('leave on the approval engine, in the browser', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('keyuan1 asks for 3 days → section head → leader in charge (for the absent leader) → director; notified, closes a day early, the balance moves; the form prints on one A4 page', async () => {
    const [mon, tue, wed] = lastWeekMonToWed();
    const reason = `回老家处理家事 ${Date.now().toString(36)}`;

    // The clerk: balance, the form with its live preview, submit.
    const clerk = await newPage(browser);
    const p = clerk.page;
    await login(p, 'keyuan1');
    await p.getByTestId('nav-leave').click();
    await p.getByTestId('leave-page').waitFor();
    await p.getByTestId('balance-annual').waitFor();
    const before = await annualLeft(p);
    expect(before).toBeGreaterThanOrEqual(3);
    await p.getByTestId('leave-new').click();
    const form = p.getByTestId('leave-form');
    await form.getByTestId('leave-type').click();
    await p.locator('.ant-select-item-option', { hasText: '年休假' }).click();
    const inputs = form.locator('.ant-picker-range input');
    await inputs.nth(0).click();
    await inputs.nth(0).fill(mon);
    await inputs.nth(0).press('Enter');
    await inputs.nth(1).fill(wed);
    await inputs.nth(1).press('Enter');
    await form.getByTestId('leave-reason').fill(reason);
    await expect.poll(() => form.getByTestId('leave-preview-days').innerText().catch(() => '')).toBe('3 个工作日');
    const chain = await form.getByTestId('leave-preview-chain').innerText();
    expect(chain).toMatch(/科室负责人审批[\s\S]*分管领导审批[\s\S]*主要领导审批/);
    await expect.poll(() => form.getByTestId('leave-preview').innerText()).toContain('补请假');
    await screenshot(p, 'leave-form-preview');
    await p.getByTestId('leave-submit').click();
    await p.getByText('请假申请已提交').waitFor();
    const myRow = p.locator('tr', { hasText: reason });
    await expect.poll(() => myRow.innerText()).toContain('审批中');
    const caseNo = (await myRow.locator('td').first().innerText()).trim();
    expect(caseNo).toMatch(/^QJ-\d{4}-\d{6}$/);
    // The balance is held at once: three days fewer while it is in approval.
    await expect.poll(() => annualLeft(p)).toBe(before - 3);

    // Section head: the bell counts the new task; approves from 待办.
    const head = await newPage(browser);
    await login(head.page, 'dangzhengban');
    await expect.poll(async () => Number((await head.page.getByTestId('notification-bell').locator('xpath=..').innerText()) || 0)).toBeGreaterThan(0);
    await approveFromInbox(head.page, caseNo, '同意，请安排好工作交接');
    await head.context.close();

    // Leader in charge of 党政办 is away; fenguan1 holds the delegation and approves "for" them.
    const deputy = await newPage(browser);
    await login(deputy.page, 'fenguan1');
    await approveFromInbox(deputy.page, caseNo, '同意', /代.+审批/);
    await deputy.context.close();

    const director = await newPage(browser);
    await login(director.page, 'zhuren');
    await director.page.goto(`${baseUrl()}/approvals`);
    await director.page.locator('tr', { hasText: caseNo }).first().getByTestId('inbox-title').click();
    const drawer = director.page.getByTestId('approval-drawer');
    await expect.poll(() => drawer.getByTestId('approval-timeline').innerText()).toMatch(/（代.+）/);
    await director.page.waitForTimeout(500); // the drawer's slide-in
    await screenshot(director.page, 'leave-approval-drawer');
    await drawer.getByTestId('approval-approve').click();
    await director.page.getByTestId('approval-dialog-ok').click();
    await director.page.getByText('已同意').first().waitFor();
    await director.context.close();

    // The clerk is told, sees it approved, closes it on Tuesday: one day back.
    await p.reload();
    await p.getByTestId('notification-bell').click();
    await p.getByTestId('notification-drawer').getByText('您的请假申请已批准').first().waitFor();
    await p.keyboard.press('Escape');
    await expect.poll(() => myRow.innerText()).toContain('已批准');
    await myRow.getByTestId('leave-close').click();
    const close = p.locator('.ant-modal', { hasText: '实际结束日期' });
    const endInput = close.locator('input').first();
    await endInput.click();
    await endInput.fill(tue);
    await endInput.press('Enter');
    await p.getByTestId('leave-close-ok').click();
    await p.getByText('已销假').first().waitFor();
    await expect.poll(() => annualLeft(p)).toBe(before - 2);
    await expect.poll(() => myRow.innerText()).toContain('已销假');
    await screenshot(p, 'leave-my-page');

    // The printed form: every step's opinion with its signer; one A4 page.
    const [printPage] = await Promise.all([clerk.context.waitForEvent('page'), myRow.getByTestId('leave-print').click()]);
    await printPage.getByTestId('leave-print-form').waitFor();
    const sheet = await printPage.getByTestId('print-sheet').innerText();
    expect(sheet).toContain('工作人员请假审批单');
    expect(sheet).toContain('同意，请安排好工作交接');
    expect(sheet).toMatch(/代.+/);
    expect(sheet).toContain('实休 2 天');
    await printPage.emulateMedia({ media: 'print' });
    fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
    const pdf = await printPage.pdf({ format: 'A4', preferCSSPageSize: true, path: path.join(SCREENSHOT_DIR, 'leave-form.pdf') });
    const pages = pdf.toString('latin1').match(/\/Type\s*\/Page[^s]/g) ?? [];
    expect(pages.length).toBe(1);
    await printPage.emulateMedia({ media: 'screen' });
    await screenshot(printPage, 'leave-print');
    await clerk.context.close();
  });
});
