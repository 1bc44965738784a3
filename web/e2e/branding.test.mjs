// End-to-end for event branding (issue 15): a real koe and headless
// Chromium. The owner (Aiko) sets an accent colour and uploads a logo in
// the event's settings; the audience page and the presenter screen show
// the logo, loaded from koe, and wear the colour, under koe's strict CSP
// (no violation, no request to anyone else); a file over 256 KiB is
// refused with a message before it is sent; Remove takes the logo away
// everywhere, and Default brings koe's colour back. Screenshots of the
// audience page (390×844) and the screen (1920×1080), English and
// Japanese, go to test-results/ (or KOE_SHOTS).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { launch } from './lib/browser.mjs';
import { pageHelpers } from './lib/pages.mjs';
import { encodePNG } from './lib/png.mjs';
import { apiClient, startKoe } from './lib/server.mjs';
import { until } from './lib/until.mjs';

const token = 'e2e-owner-token-branding-0123456789abcdef';
const desk = { width: 1440, height: 900 };
const phone = { width: 390, height: 844 };
const projector = { width: 1920, height: 1080 };
const password = { aiko: 'Amber-Kite-Meadow-31' };
// Readable on white as it is (5.9:1), so the light scheme uses it unchanged; white text on it.
const accent = '#c2185b';
const accentRGB = 'rgb(194, 24, 91)';

/** A valid size×size PNG: a white square with a ring in rgb. */
function png(size, [r, g, b]) {
  const rgba = Buffer.alloc(size * size * 4);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const d = Math.hypot(x - size / 2 + 0.5, y - size / 2 + 0.5);
      const on = d > size * 0.25 && d < size * 0.45;
      rgba.set(on ? [r, g, b, 255] : [255, 255, 255, 255], (y * size + x) * 4);
    }
  }
  return encodePNG({ width: size, height: size, rgba });
}

let koe, api, browser, pages, event, talk;

/** A page that records every CSP violation in window.cspViolations. */
async function watched(viewport, opts) {
  const page = await pages.newPage(viewport, opts);
  await page.addInitScript(() => {
    window.cspViolations = [];
    document.addEventListener('securitypolicyviolation', (e) => window.cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  return page;
}

/** A participant's page: joined in its own context. */
async function participant(viewport, locale, name) {
  const page = await watched(viewport, { locale });
  const r = await page.context().request.post(`${koe.base}/api/v1/join`, { data: { code: event.join_code, display_name: name } });
  assert.equal(r.status(), 201, `join: ${await r.text()}`);
  return page;
}

async function assertLogo(page, sel) {
  const img = page.locator(sel);
  await img.waitFor();
  assert.equal(await img.getAttribute('alt'), 'Branding meetup logo');
  const src = await img.getAttribute('src');
  assert.match(src, new RegExp(`^/api/v1/events/${event.id}/logo/[^/]+$`));
  await until('the logo to load', () => img.evaluate((el) => el.complete && el.naturalWidth));
  assert.equal(await img.evaluate((el) => el.naturalWidth), 16);
  assert.ok(await img.isVisible(), 'logo visible');
  const box = await img.boundingBox();
  assert.ok(box && box.width > 8 && box.height > 8, `logo has a size: ${JSON.stringify(box)}`);
}

async function assertNoViolations(page) {
  assert.deepEqual(await page.evaluate(() => window.cspViolations), [], 'no CSP violations');
}

describe('event branding', () => {
  before(async () => {
    koe = await startKoe({ token });
    api = apiClient(koe.base, token);
    event = await api('POST', '/api/v1/events', { title: 'Branding meetup', slug: 'branding', time_zone: 'Asia/Tokyo' });
    const now = Date.now();
    talk = await api('POST', `/api/v1/events/${event.id}/talks`, {
      title: 'Colour on the projector', speaker: 'Aiko Tanaka',
      starts_at: new Date(now - 600e3).toISOString(), ends_at: new Date(now + 3000e3).toISOString(),
    });
    await api('POST', '/api/v1/accounts', { login: 'aiko', display_name: 'Aiko Tanaka', email: '', password: password.aiko, admin: true });
    browser = await launch();
    pages = pageHelpers({ browser, base: koe.base, passwords: password });
  });

  after(async () => {
    pages?.assertClean();
    await browser?.close();
    await koe?.stop();
  });

  it('starts with koe’s own colours and no logo', async () => {
    const e = await api('GET', `/api/v1/events/${event.id}`);
    assert.equal(e.settings.accent, '');
    assert.equal(e.settings.logo, '');
    const page = await participant(phone, 'en-US', 'Plain');
    await page.goto(`${koe.base}/e/${event.id}/t/${talk.id}`);
    await page.locator('.btn-primary').first().waitFor();
    assert.equal(await page.locator('[data-testid="brand-band"]').count(), 0);
    assert.equal(await page.locator('[data-testid="event-logo"]').count(), 0);
    assert.equal(await page.locator('.btn-primary').first().evaluate((el) => getComputedStyle(el).backgroundColor), 'rgb(67, 56, 202)'); // #4338ca
  });

  it('the owner sets an accent and uploads a logo; a file over 256 KiB is refused with a message', async () => {
    const aiko = await watched(desk, { login: 'aiko' });
    await aiko.goto(`${koe.base}/admin/e/${event.id}`);
    await aiko.locator('details.settings summary', { hasText: 'Event settings' }).click();
    const b = aiko.locator('[data-testid="branding"]');
    await b.waitFor();

    // A colour that is not one is refused here, in words.
    await b.getByLabel('Accent colour as #rrggbb').fill('#12345');
    await b.locator('[data-testid="accent-save"]').click();
    await b.locator('[data-testid="accent-error"]').getByText('Enter a colour as # and six hex digits').waitFor();

    // Typed in capitals: saved as the server keeps it; the colour picker follows.
    await b.getByLabel('Accent colour as #rrggbb').fill(accent.toUpperCase());
    assert.equal(await b.locator('[data-testid="accent-pick"]').inputValue(), accent);
    assert.equal(await b.locator('[data-testid="accent-sample"]').evaluate((el) => getComputedStyle(el).backgroundColor), accentRGB);
    assert.equal(await b.locator('[data-testid="accent-sample"]').evaluate((el) => getComputedStyle(el).color), 'rgb(255, 255, 255)');
    await b.locator('[data-testid="accent-save"]').click();
    await until('the accent to be saved', async () => (await api('GET', `/api/v1/events/${event.id}`)).settings.accent === accent);

    // Too big: refused before it is sent, saying why.
    const file = b.locator('[data-testid="logo-file"]');
    assert.equal(await file.getAttribute('accept'), 'image/png,image/jpeg,image/webp');
    await file.setInputFiles({ name: 'huge.png', mimeType: 'image/png', buffer: Buffer.alloc(300 * 1024, 1) });
    await b.locator('[data-testid="logo-error"]').getByText('This file is 300 KiB: a logo may be at most 256 KiB.').waitFor();
    assert.equal((await api('GET', `/api/v1/events/${event.id}`)).settings.logo, '');

    // Not an image.
    await file.setInputFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('hello') });
    await b.locator('[data-testid="logo-error"]').getByText('A logo must be a PNG, JPEG or WebP image.').waitFor();

    // A PNG that is not one.
    await file.setInputFiles({ name: 'broken.png', mimeType: 'image/png', buffer: Buffer.from('not really a png') });
    await b.locator('[data-testid="logo-error"]').getByText('This file is not an image koe can read.').waitFor();

    await file.setInputFiles({ name: 'logo.png', mimeType: 'image/png', buffer: png(16, [194, 24, 91]) });
    await assertLogo(aiko, '[data-testid="logo-preview"]');
    assert.equal(await b.locator('[data-testid="logo-error"]').textContent(), '');
    const e = await api('GET', `/api/v1/events/${event.id}`);
    assert.notEqual(e.settings.logo, '');
    assert.equal(e.settings.accent, accent);

    // Saving the event's other settings keeps the colour (settings are replaced whole).
    await aiko.locator('details.settings form').first().locator('button[type="submit"]').click();
    await aiko.getByText('Saved.').first().waitFor();
    assert.equal((await api('GET', `/api/v1/events/${event.id}`)).settings.accent, accent);
    await assertNoViolations(aiko);
    assert.deepEqual(await pages.audit(aiko), [], 'the settings with branding have no serious or critical axe violation');
    await b.scrollIntoViewIfNeeded();
    await pages.shot(aiko, 'branding-settings-1440-en');
  });

  it('the server holds to the limits too', async () => {
    const put = (type, body) =>
      fetch(`${koe.base}/api/v1/events/${event.id}/logo`, { method: 'PUT', headers: { Authorization: `Bearer ${token}`, 'Content-Type': type }, body });
    let r = await put('image/png', Buffer.alloc(300 * 1024, 1));
    assert.equal(r.status, 413);
    assert.equal((await r.json()).error.code, 'too_large');
    r = await put('text/plain', Buffer.from('hello'));
    assert.equal(r.status, 400);
    assert.equal((await r.json()).error.field, 'logo');
    r = await put('image/png', Buffer.from('not really a png'));
    assert.equal(r.status, 400);
    r = await fetch(`${koe.base}/api/v1/events/${event.id}/logo/not-the-version`);
    assert.equal(r.status, 404);
    const e = await api('GET', `/api/v1/events/${event.id}`);
    r = await fetch(`${koe.base}/api/v1/events/${event.id}/logo/${encodeURIComponent(e.settings.logo)}`); // public: no credential
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('content-type'), 'image/png');
    assert.match(r.headers.get('cache-control') ?? '', /max-age=31536000/);
    r = await fetch(`${koe.base}/api/v1/events/${event.id}`, {
      method: 'PATCH', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ settings: { ...e.settings, accent: 'red' } }),
    });
    assert.equal(r.status, 400);
    assert.equal((await r.json()).error.field, 'settings.accent');
  });

  it('the audience page shows the logo from koe and wears the colour', async () => {
    for (const [locale, lang] of [['en-US', 'en'], ['ja-JP', 'ja']]) {
      const page = await participant(phone, locale, lang === 'ja' ? '佐藤' : 'Sam');
      await page.goto(`${koe.base}/e/${event.id}/t/${talk.id}`);
      await page.locator('.btn-primary').first().waitFor();
      const band = page.locator('[data-testid="brand-band"]');
      await band.waitFor();
      if (lang === 'en') {
        await assertLogo(page, '.brand-logo');
      } else {
        await page.locator('.brand-logo[alt="Branding meetup のロゴ"]').waitFor();
        await until('the logo to load', () => page.locator('.brand-logo').evaluate((el) => el.complete && el.naturalWidth));
      }
      assert.equal(await band.evaluate((el) => getComputedStyle(el).borderBottomColor), accentRGB);
      const primary = page.locator('.btn-primary').first();
      // Buttons ease their background over 0.15 s: read it once the accent has come in.
      const background = () => primary.evaluate((el) => getComputedStyle(el).backgroundColor);
      await until('the button to wear the accent', async () => (await background()) === accentRGB, 2_000).catch(() => {});
      assert.equal(await background(), accentRGB);
      assert.equal(await primary.evaluate((el) => getComputedStyle(el).color), 'rgb(255, 255, 255)');
      // The logo sits under the header, wholly on the phone's screen.
      const box = await page.locator('.brand-logo').boundingBox();
      assert.ok(box.x >= 0 && box.x + box.width <= phone.width && box.y >= 0, `logo in view: ${JSON.stringify(box)}`);
      await assertNoViolations(page);
      assert.deepEqual(await pages.audit(page), [], 'no serious or critical axe violation (contrast included)');
      await pages.shot(page, `branding-audience-390-${lang}`);
    }
  });

  it('the presenter screen shows the logo in its corner and wears the colour', async () => {
    for (const [locale, lang] of [['en-US', 'en'], ['ja-JP', 'ja']]) {
      const screen = await watched(projector, { locale, login: 'aiko' });
      await screen.goto(`${koe.base}/e/${event.id}/t/${talk.id}/screen`);
      await screen.locator('[data-testid="screen-code"]').waitFor();
      if (lang === 'en') await assertLogo(screen, '.screen-logo');
      else await until('the logo to load', () => screen.locator('.screen-logo').evaluate((el) => el.complete && el.naturalWidth));
      const box = await screen.locator('.screen-logo').boundingBox();
      assert.ok(box.x < projector.width * 0.3 && box.y < projector.height * 0.2, `logo in the top left corner: ${JSON.stringify(box)}`);
      assert.match(await screen.locator('.screen-side').evaluate((el) => getComputedStyle(el).boxShadow), new RegExp(`^${accentRGB.replace(/[()]/g, '\\$&')} 0px \\d`));
      // The join code stays whole and in view beside the logo.
      const code = await screen.locator('[data-testid="screen-code"]').boundingBox();
      assert.ok(code && code.y >= 0 && code.y + code.height <= projector.height, `join code in view: ${JSON.stringify(code)}`);
      // Text in the accent on the dark screen is a shade of it readable there, not koe's own.
      const url = await screen.locator('[data-testid="screen-url"]').evaluate((el) => getComputedStyle(el).color);
      assert.notEqual(url, 'rgb(158, 163, 255)', 'the screen’s accent text is the event’s'); // #9ea3ff
      await assertNoViolations(screen);
      assert.deepEqual(await pages.audit(screen), [], 'no serious or critical axe violation (contrast included)');
      await pages.shot(screen, `branding-screen-1920-${lang}`);
    }
  });

  it('Remove takes the logo away and Default brings koe’s colour back, live', async () => {
    const page = await participant(phone, 'en-US', 'Live');
    await page.goto(`${koe.base}/e/${event.id}/t/${talk.id}`);
    await page.locator('.brand-logo').waitFor();

    const aiko = await watched(desk, { login: 'aiko' });
    await aiko.goto(`${koe.base}/admin/e/${event.id}`);
    await aiko.locator('details.settings summary', { hasText: 'Event settings' }).click();
    const b = aiko.locator('[data-testid="branding"]');
    await b.locator('[data-testid="logo-remove"]').click();
    await b.locator('[data-testid="logo-none"]').waitFor();
    assert.equal((await api('GET', `/api/v1/events/${event.id}`)).settings.logo, '');
    await b.locator('[data-testid="accent-default"]').click();
    await until('the accent to be reset', async () => (await api('GET', `/api/v1/events/${event.id}`)).settings.accent === '');
    // The server has it; the page once the answer is in.
    await until('the field to be cleared', async () => (await b.getByLabel('Accent colour as #rrggbb').inputValue()) === '');

    // The open audience page follows without a reload.
    await page.locator('.brand-logo').waitFor({ state: 'detached' });
    await until('koe’s colour back', () =>
      page.locator('.btn-primary').first().evaluate((el) => getComputedStyle(el).backgroundColor === 'rgb(67, 56, 202)'),
    );
    await page.reload();
    await page.locator('.btn-primary').first().waitFor();
    assert.equal(await page.locator('[data-testid="brand-band"]').count(), 0);
    await assertNoViolations(page);
    await assertNoViolations(aiko);
  });
});
