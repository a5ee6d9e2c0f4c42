/**
 * The 工作台 (home page) in the browser: a grid worker lands on 我的网格 (desktop and phone); an
 * approver's to-do card shows how many approvals wait and leads to the inbox, and the page asks the
 * server for its cards in one request; the office accounts (no grid or community scope) reach no page
 * from the menu that says 暂无数据, and the street above their unit says why it shows nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { baseUrl, DESKTOP, e2eUnavailable, launchBrowser, login, newPage, PHONE, screenshot } from './helpers.js';

const unavailable = e2eUnavailable();
if (unavailable) {
  if (process.env.CI === 'true' || process.env.CI === '1') throw new Error(`browser flows are mandatory in CI: ${unavailable}`);
  console.warn(`浏览器流程测试未运行 / browser flows NOT run: ${unavailable}`);
}

/** The paths of the API requests the page makes while `act` runs. */
async function apiRequests(page: Page, act: () => Promise<void>): Promise<string[]> {
  const seen: string[] = [];
  const on = (r: { url: () => string }) => {
    const u = new URL(r.url());
    if (u.pathname.startsWith('/api/')) seen.push(u.pathname);
  };
  page.on('request', on);
  try {
    await act();
    await page.waitForLoadState('networkidle');
  } finally {
    page.off('request', on);
  }
  return seen;
}

describe.skipIf(unavailable !== null)('工作台', () => {
  let browser: Browser;

  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('a grid worker lands on 我的网格 after login, on the desktop and on the phone; the 工作台 lists the grid\'s work', async () => {
    for (const [viewport, name] of [[DESKTOP, 'desktop'], [PHONE, 'phone']] as const) {
      const { context, page } = await newPage(browser, viewport);
      try {
        await login(page, 'wangge-sh-1');
        await page.getByTestId('my-grid-page').waitFor();
        expect(new URL(page.url()).pathname).toBe('/population/my-grid');
        await screenshot(page, `${name}-home-01-grid-worker-lands`);
        // Opening the app again at / lands there too.
        await page.goto(`${baseUrl()}/`);
        await page.getByTestId('my-grid-page').waitFor();
        // The 工作台 stays in the menu: patrols due in the grid, a link to 我的网格.
        if (name === 'phone') {
          await page.getByTestId('menu-toggle').click();
          await page.getByTestId('nav-drawer').waitFor();
        }
        await page.getByTestId('nav-home').click();
        await page.getByTestId('home-page').waitFor();
        if (name === 'phone') await page.getByTestId('nav-drawer').waitFor({ state: 'hidden' });
        const patrols = page.getByTestId('home-card-population.gridPatrols');
        await patrols.waitFor();
        expect(await page.getByTestId('home-card-population.myMonth').count()).toBe(1);
        await screenshot(page, `${name}-home-02-grid-worker-home`);
        await patrols.click();
        await page.getByTestId('my-grid-page').waitFor();
      } finally {
        await context.close();
      }
    }
  });

  it('an approver sees 待我审批 with the count and the oldest, in one request, and the card opens the inbox', async () => {
    const { context, page } = await newPage(browser, DESKTOP);
    try {
      const card = page.getByTestId('home-card-approvals.todo');
      // The 工作台's cards cost one request, whatever the modules (besides the session and the header's bell).
      const requests = await apiRequests(page, async () => {
        await login(page, 'fenguan1');
        await card.waitFor();
      });
      const shell = ['/api/v1/auth/me', '/api/v1/auth/login', '/api/v1/notifications/unread-count'];
      expect(requests.filter((p) => !shell.includes(p)), requests.join('\n')).toEqual(['/api/v1/home/summary']);
      const count = Number(await card.getAttribute('data-count'));
      expect(count).toBeGreaterThan(0);
      expect(await card.getByTestId('home-card-oldest').textContent()).toContain('最早');
      await screenshot(page, 'desktop-home-03-approver');

      await page.getByTestId('home-card-approvals.todo').click();
      await page.getByTestId('approvals-page').waitFor();
      expect(new URL(page.url()).searchParams.get('box')).toBe('todo');
      await expect.poll(() => page.getByTestId('inbox-title').count()).toBe(count);
    } finally {
      await context.close();
    }
  });

  // Office accounts without grid or community work, each with its own unit; 纪工委 reads the whole street.
  const OFFICE = [
    ['chuangkou1', '浆洗街街道便民服务大厅', false, DESKTOP, 'desktop'],
    ['chuangkou1', '浆洗街街道便民服务大厅', false, PHONE, 'phone'],
    ['keyuan1', '党政办', false, DESKTOP, 'desktop'],
    ['caizheng', '财政所', false, DESKTOP, 'desktop'],
    ['jigongwei', '纪工委', true, DESKTOP, 'desktop'],
  ] as const;
  for (const [username, ownUnit, streetInScope, viewport, name] of OFFICE) {
    it(`${username} (office, no grid work) reaches no page saying 暂无数据 from the menu (${name})`, async () => {
      const { context, page } = await newPage(browser, viewport);
      try {
        await login(page, username);
        await page.getByTestId('home-page').waitFor();
        await page.getByTestId('home-todos').waitFor();
        await screenshot(page, `${name}-home-04-${username}`);
        const openMenu = async () => {
          if (name !== 'phone') return;
          await page.getByTestId('menu-toggle').click();
          await page.getByTestId('nav-drawer').waitFor();
        };
        await openMenu();
        const keys = await page.locator('[data-testid^="nav-"]').evaluateAll((els) => els.map((e) => e.getAttribute('data-testid')!).filter((k) => k !== 'nav-drawer'));
        expect(keys.length).toBeGreaterThan(1);
        if (name === 'phone') await page.keyboard.press('Escape');
        for (const key of keys) {
          await openMenu();
          await page.getByTestId(key).click();
          await page.waitForLoadState('networkidle');
          await expect.poll(() => page.locator('main, .ant-layout-content').first().textContent(), { message: key }).not.toContain('暂无数据');
        }
        // The street above the service hall: shown only to place it, and it says so.
        await openMenu();
        await page.getByTestId('nav-org').click();
        await page.getByTestId('org-page').waitFor();
        // The page opens on the clerk's own unit; its parent is the street.
        await expect.poll(() => page.getByTestId('unit-name').textContent()).toBe(ownUnit);
        await page.getByTestId('unit-detail').getByText('浆洗街街道', { exact: true }).click();
        if (streetInScope) {
          // The street is theirs to read: its figures, not an explanation.
          await page.getByTestId('survey-residents').waitFor();
          expect(await page.getByTestId('unit-out-of-scope').count()).toBe(0);
        } else {
          const why = page.getByTestId('unit-out-of-scope');
          await why.waitFor();
          expect(await why.textContent()).toContain('您的账号不负责网格工作');
        }
        expect(await page.getByTestId('unit-detail').textContent()).not.toContain('暂无');
        await screenshot(page, `${name}-home-05-${username}-street`);
        if (!streetInScope) {
          await page.getByTestId('unit-own-link').first().click();
          await expect.poll(() => page.getByTestId('unit-name').textContent()).toBe(ownUnit);
        }
      } finally {
        await context.close();
      }
    });
  }
});
