/**
 * Browser-flow helpers: headless Debian Chromium driven by playwright-core.
 * The harness (scripts/test.mjs) starts a server with demo data and sets JIEDAO_E2E_URL.
 */
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM_PATH = process.env.JIEDAO_CHROMIUM ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];
export const DEMO_PASSWORD = 'Jiedao@2026';
export const SCREENSHOT_DIR = path.resolve('test-results', 'e2e');

export const DESKTOP = { width: 1366, height: 768 };
export const PHONE = { width: 390, height: 844 };

/** Why the browser flows cannot run here, or null when they can. */
export function e2eUnavailable(): string | null {
  if (!process.env.JIEDAO_E2E_URL) return 'JIEDAO_E2E_URL is not set (run the flows through `npm test`)';
  if (!fs.existsSync(CHROMIUM_PATH)) return `Chromium not found at ${CHROMIUM_PATH} (apt-get install -y chromium)`;
  return null;
}

export function baseUrl(): string {
  const url = process.env.JIEDAO_E2E_URL;
  if (!url) throw new Error('JIEDAO_E2E_URL is not set');
  return url.replace(/\/+$/, '');
}

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS });
}

/** A fresh context (own cookies) at the given viewport, Chinese locale, office time zone. */
export async function newPage(browser: Browser, viewport = DESKTOP): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({
    viewport,
    locale: 'zh-CN',
    timezoneId: 'Asia/Shanghai',
    isMobile: viewport.width < 768,
    hasTouch: viewport.width < 768,
    deviceScaleFactor: 1,
  });
  context.setDefaultTimeout(15_000);
  const page = await context.newPage();
  page.on('console', (m) => { if (/Content[ -]Security[ -]Policy/i.test(m.text())) cspViolations.push(`${page.url()}: ${m.text()}`); });
  return { context, page };
}

/**
 * What the pages of this file's flows were refused by the Content-Security-Policy (server/app.ts):
 * checked after every flow (test/e2e/setup.ts), so a page that needs more than the policy allows
 * fails its flow instead of silently losing a script, style or image.
 */
export const cspViolations: string[] = [];

export async function screenshot(page: Page, name: string): Promise<string> {
  fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const file = path.join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path: file, fullPage: false });
  return file;
}

/** Opens the login page and logs in; resolves when the home page shows. */
export async function login(page: Page, username: string, password = DEMO_PASSWORD): Promise<void> {
  await page.goto(`${baseUrl()}/login`);
  await page.getByTestId('login-username').fill(username);
  await page.getByTestId('login-password').fill(password);
  await page.getByTestId('login-submit').click();
  // The user's landing page: the 工作台, or 我的网格 for a grid worker.
  await page.locator('[data-testid="home-page"], [data-testid="my-grid-page"]').first().waitFor();
}

export interface Transfer {
  url: string;
  status: number;
  /** Bytes on the wire (headers and encoded body), 0 when served from the browser's cache. */
  bytes: number;
  /** Decoded body bytes. */
  bodyBytes: number;
  mimeType: string;
  contentEncoding: string | undefined;
  cacheControl: string | undefined;
  fromCache: boolean;
}

/**
 * Records what the page downloads, through the DevTools protocol: per response the bytes on the wire
 * (`encodedDataLength` of Network.loadingFinished), the decoded size and the caching headers.
 */
export async function recordTransfers(context: BrowserContext, page: Page): Promise<{ list: () => Transfer[]; clear: () => void }> {
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  const byId = new Map<string, Transfer>();
  const cached = new Set<string>();
  const header = (h: Record<string, string>, name: string) => Object.entries(h).find(([k]) => k.toLowerCase() === name)?.[1];
  cdp.on('Network.responseReceived', (e) => {
    byId.set(e.requestId, {
      url: e.response.url, status: e.response.status, bytes: 0, bodyBytes: 0, mimeType: e.response.mimeType,
      contentEncoding: header(e.response.headers, 'content-encoding'), cacheControl: header(e.response.headers, 'cache-control'),
      fromCache: cached.has(e.requestId) || Boolean(e.response.fromDiskCache || e.response.fromPrefetchCache),
    });
  });
  // Sent before the response event of a request the memory cache answers.
  cdp.on('Network.requestServedFromCache', (e) => {
    cached.add(e.requestId);
    const t = byId.get(e.requestId);
    if (t) t.fromCache = true;
  });
  cdp.on('Network.dataReceived', (e) => {
    const t = byId.get(e.requestId);
    if (t) t.bodyBytes += e.dataLength;
  });
  cdp.on('Network.loadingFinished', (e) => {
    const t = byId.get(e.requestId);
    if (t) t.bytes = e.encodedDataLength;
  });
  return { list: () => [...byId.values()], clear: () => { byId.clear(); cached.clear(); } };
}

/** Why browser flows cannot run here (null when they can): a warning locally, an error in CI. */
export function browserFlowsUnavailable(): string | null {
  const why = e2eUnavailable();
  if (why) {
    if (process.env.CI === 'true' || process.env.CI === '1') throw new Error(`browser flows are mandatory in CI: ${why}`);
    console.warn(`浏览器流程测试未运行 / browser flows NOT run: ${why}`);
  }
  return why;
}

/** Opens an app path and waits for its requests to settle. */
export async function openPath(page: Page, appPath: string): Promise<void> {
  await page.goto(`${baseUrl()}${appPath}`);
  await page.waitForLoadState('networkidle');
}

/** Runs `fn` as `username` in a fresh browser context, closed afterwards. */
export async function asUser(browser: Browser, username: string, fn: (page: Page) => Promise<void>, viewport = DESKTOP): Promise<void> {
  const { context, page } = await newPage(browser, viewport);
  try {
    await login(page, username);
    await fn(page);
  } finally {
    await context.close();
  }
}
