// Every screen at phone and desktop/projector sizes, in English and
// Japanese, from the demo data: `make screenshots` → test-results/screens/.
import { mkdirSync } from 'node:fs';
import { launch } from './lib/browser.mjs';
import { startKoe } from './lib/server.mjs';

const token = 'screens-owner-token-0123456789abcdefgh';
const out = new URL('../../test-results/screens/', import.meta.url).pathname;
mkdirSync(out, { recursive: true });
const koe = await startKoe({ token, seed: true, rateLimits: 'off' });
const code = /join code (\w+)/.exec(koe.seeded)[1];
const browser = await launch();
const sizes = { phone: { width: 390, height: 844 }, desktop: { width: 1920, height: 1080 } };
try {
  for (const lang of ['en', 'ja']) {
    for (const [size, viewport] of Object.entries(sizes)) {
      const context = await browser.newContext({ viewport, locale: lang === 'ja' ? 'ja-JP' : 'en-US' });
      const page = await context.newPage();
      page.on('pageerror', (e) => console.error('pageerror', e.message));
      const snap = async (name, full = false) => {
        await page.waitForTimeout(2500);
        await page.screenshot({ path: `${out}${name}-${size}-${lang}.png`, fullPage: full });
      };
      await page.goto(`${koe.base}/`);
      await snap('join');
      await page.goto(`${koe.base}/j/${code}`);
      await snap('join-link');
      await page.fill('#name', lang === 'ja' ? 'さくら' : 'Sakura');
      await page.click('button[type="submit"]');
      await page.waitForURL(/\/e\/\d+\/t\/\d+$/);
      await page.locator('[data-testid="question"]').first().click({ position: { x: 5, y: 5 } });
      await snap('audience');
      await snap('audience-full', true);
      await page.goto(`${koe.base}/admin`);
      await snap('signin');
      await context.request.post(`${koe.base}/api/v1/session`, { data: { token } });
      await page.goto(`${koe.base}/admin`);
      await snap('admin');
      await page.goto(`${koe.base}/admin/e/1/t/1`);
      await snap('admin-event', true);
      await context.request.put(`${koe.base}/api/v1/events/1/talks/1/highlight`, { data: { question_id: 2 } });
      await page.goto(`${koe.base}/e/1/t/1/screen`);
      await snap('screen');
      await page.keyboard.press('?');
      await snap('screen-help');
      await context.request.put(`${koe.base}/api/v1/events/1/talks/1/highlight`, { data: { question_id: null } });
      await page.goto(`${koe.base}/e/1/t/1`);
      await snap('audience-staff');
      await context.close();
    }
  }
  console.log(`screenshots in ${out}`);
} finally {
  await browser.close();
  await koe.stop();
}
