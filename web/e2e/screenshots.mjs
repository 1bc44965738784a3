// Every screen at phone and desktop/projector sizes, in English and
// Japanese, from the demo data: `make screenshots` → test-results/screens/.
// Staff pages are shown as an admin account (Aiko), with a moderator and a
// presenter invited, an invitation pending, and some entries in the audit
// log; koe runs on localhost so that the passkey section shows.
import { mkdirSync } from 'node:fs';
import { request } from 'playwright-core';
import { launch } from './lib/browser.mjs';
import { apiClient, startKoe } from './lib/server.mjs';

const token = 'screens-owner-token-0123456789abcdefgh';
const out = new URL('../../test-results/screens/', import.meta.url).pathname;
mkdirSync(out, { recursive: true });
let koe, code;
try {
  koe = await startKoe({ token, seed: true, rateLimits: 'off', host: 'localhost' });
  code = /join code (\w+)/.exec(koe.seeded)[1];
} catch (e) {
  // koe seed fails when koe's own actions are refused (a staff reply by
  // koe itself); show a smaller demo made through the API instead.
  console.error(`koe seed failed, making a smaller demo through the API: ${String(e.message).split('\n').slice(-3).join(' ')}`);
  koe = await startKoe({ token, rateLimits: 'off', host: 'localhost' });
  code = await demo();
}

/** A demo event like koe seed's, made with the owner token and three participants. */
async function demo() {
  const api = apiClient(koe.base, token);
  const now = Date.now();
  const e = await api('POST', '/api/v1/events', {
    title: 'Go Conference Tokyo 2026', slug: 'gocon-2026', time_zone: 'Asia/Tokyo',
    starts_at: new Date(now - 3600e3).toISOString(), ends_at: new Date(now + 6 * 3600e3).toISOString(), settings: { participant_replies: true },
  });
  const t1 = await api('POST', `/api/v1/events/${e.id}/talks`, {
    title: 'Generics in practice: two years on', speaker: 'Aiko Tanaka', track: 'Hall A',
    starts_at: new Date(now - 600e3).toISOString(), ends_at: new Date(now + 2400e3).toISOString(),
  });
  await api('POST', `/api/v1/events/${e.id}/talks`, {
    title: 'Observability for small teams', speaker: 'Daniel Smith', track: 'Hall B',
    starts_at: new Date(now + 3000e3).toISOString(), ends_at: new Date(now + 6000e3).toISOString(),
  });
  const people = [];
  for (const name of ['Sakura', 'Ken', '']) {
    const r = await fetch(`${koe.base}/api/v1/join`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(name ? { code: e.join_code, display_name: name } : { code: e.join_code }) });
    people.push(apiClient(koe.base, (await r.json()).token));
  }
  const qs = [
    ['How do generics affect compile times in large codebases?', 3],
    ['型パラメータの制約はどう設計するのがおすすめですか？', 2],
    ['Buy cheap watches here!!!', 0],
    ['Would you use generics for a small CLI tool?', 1],
    ['What changed between Go 1.18 and today?', 2],
    ['ジェネリクスで書き直して遅くなった例はありますか？', 1],
  ];
  for (const [i, [body, likes]] of qs.entries()) {
    const q = await people[i % 3]('POST', `/api/v1/events/${e.id}/talks/${t1.id}/questions`, { body, anonymous: i % 3 === 2 });
    for (let k = 0; k < likes; k++) await people[k]('PUT', `/api/v1/events/${e.id}/talks/${t1.id}/questions/${q.id}/like`);
  }
  return e.join_code;
}
const browser = await launch();
const sizes = { phone: { width: 390, height: 844 }, desktop: { width: 1920, height: 1080 } };
const langs = ['en', 'ja'];
const admin = { login: 'aiko', password: 'Blue-Harbor-Lantern-42' };
const moderator = { login: 'kenji', password: 'Quiet-Maple-Orbit-77' };

async function client() {
  const c = await request.newContext({ baseURL: koe.base });
  c.call = async (method, path, data) => {
    const r = await c.fetch(path, { method, data });
    if (!r.ok()) throw new Error(`${method} ${path}: ${r.status()} ${await r.text()}`);
    return r.status() === 204 ? null : r.json();
  };
  return c;
}

async function context(lang, viewport) {
  const ctx = await browser.newContext({ viewport, locale: lang === 'ja' ? 'ja-JP' : 'en-US' });
  const page = await ctx.newPage();
  page.on('pageerror', (e) => console.error('pageerror', e.message));
  return { ctx, page };
}

const snapper = (page, size, lang) => async (name, full = false) => {
  await page.waitForTimeout(name.startsWith('admin') || name.startsWith('audit') ? 1500 : 1200);
  await page.screenshot({ path: `${out}${name}-${size}-${lang}.png`, fullPage: full });
};

try {
  // The first-run page, before the admin exists.
  const setupLink = await koe.setupLink();
  for (const lang of langs) {
    for (const [size, viewport] of Object.entries(sizes)) {
      const { ctx, page } = await context(lang, viewport);
      await page.goto(setupLink);
      await snapper(page, size, lang)('setup');
      await ctx.close();
    }
  }

  // Staff: the admin, a moderator and a presenter by invitation, a pending invitation, an API token.
  const a = await client();
  await a.call('POST', '/api/v1/setup', { token: setupLink.split('#')[1], login: admin.login, display_name: 'Aiko Tanaka', email: 'aiko@example.com', password: admin.password });
  const invMod = await a.call('POST', '/api/v1/events/1/invitations', { role: 'moderator', talks: [] });
  const m = await client();
  await m.call('POST', '/api/v1/invitations/signup', { token: invMod.token, login: moderator.login, display_name: 'Kenji Sato', email: '', password: moderator.password });
  const invPres = await a.call('POST', '/api/v1/events/1/invitations', { role: 'presenter', talks: [1] });
  const p = await client();
  await p.call('POST', '/api/v1/invitations/signup', { token: invPres.token, login: 'mika', display_name: 'Mika Suzuki', email: '', password: 'Silver-Canyon-Drift-58' });
  const pendingInv = await a.call('POST', '/api/v1/events/1/invitations', { role: 'presenter', talks: [1, 2], expires_in_hours: 72 });
  await a.call('POST', '/api/v1/account/tokens', { name: 'Slack bot', events: [1], roles: ['moderator'], expires_at: new Date(Date.now() + 90 * 86400e3).toISOString() });
  await m.call('PATCH', '/api/v1/events/1/talks/1/questions/3', { hidden: true });
  await a.call('PATCH', '/api/v1/events/1/talks/1', { qa_open: true });
  await Promise.all([a.dispose(), m.dispose(), p.dispose()]);

  for (const lang of langs) {
    for (const [size, viewport] of Object.entries(sizes)) {
      const { ctx, page } = await context(lang, viewport);
      const snap = snapper(page, size, lang);
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
      await page.locator('summary', { hasText: /Owner token|オーナートークン/ }).click();
      await page.fill('#signin-login', admin.login);
      await snap('signin-open', true);
      await page.goto(`${koe.base}/invite#${pendingInv.token}`);
      await snap('invite', true);
      await ctx.request.post(`${koe.base}/api/v1/session`, { data: admin });
      await page.goto(`${koe.base}/admin`);
      await snap('admin');
      await page.goto(`${koe.base}/admin/e/1/t/1`);
      await snap('admin-event', true);
      await page.goto(`${koe.base}/admin/e/1/staff`);
      await page.locator('[data-testid="invite-form"] button[type="submit"]').click();
      await page.locator('#invite-url').waitFor();
      await snap('event-staff', true);
      await page.goto(`${koe.base}/admin/e/1/audit`);
      await snap('audit', size === 'desktop');
      await page.goto(`${koe.base}/admin/audit`);
      await snap('audit-all');
      await page.goto(`${koe.base}/admin/accounts`);
      await snap('accounts', true);
      await page.goto(`${koe.base}/admin/account`);
      await page.locator('.settings summary').last().click();
      await snap('account', true);
      await ctx.request.put(`${koe.base}/api/v1/events/1/talks/1/highlight`, { data: { question_id: 2 } });
      await page.goto(`${koe.base}/e/1/t/1/screen`);
      await snap('screen');
      await page.keyboard.press('?');
      await snap('screen-help');
      await ctx.request.put(`${koe.base}/api/v1/events/1/talks/1/highlight`, { data: { question_id: null } });
      await page.goto(`${koe.base}/e/1/t/1`);
      await snap('audience-staff');
      // The same event as its moderator: no settings, no staff page, no audit log.
      await ctx.clearCookies();
      await ctx.request.post(`${koe.base}/api/v1/session`, { data: moderator });
      await page.goto(`${koe.base}/admin/e/1/t/1`);
      await snap('admin-event-moderator', true);
      await ctx.close();
    }
  }
  console.log(`screenshots in ${out}`);
} finally {
  await browser.close();
  await koe.stop();
}
