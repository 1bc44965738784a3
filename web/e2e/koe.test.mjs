// End-to-end: a real koe, headless Chromium, two participants and a
// presenter screen. Run with `make e2e` (or `npm run e2e` after building
// the UI and bin/koe). Screenshots go to test-results/ at the repo root.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { launch } from './lib/browser.mjs';
import { apiClient, startKoe } from './lib/server.mjs';
import { until } from './lib/until.mjs';

const token = 'e2e-owner-token-0123456789abcdefghij';
const shots = new URL('../../test-results/', import.meta.url).pathname;
const phone = { width: 390, height: 844 };
const projector = { width: 1920, height: 1080 };

let koe, api, browser, event, talk, talk2;
const ctx = {};

async function newPage(name, { viewport = phone, locale = 'en-US', staff = false } = {}) {
  const context = await browser.newContext({ viewport, locale, deviceScaleFactor: 1 });
  const page = await context.newPage();
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error' && !/Failed to load resource|WebSocket/.test(m.text())) page.errors.push(m.text());
  });
  if (staff) {
    const r = await context.request.post(`${koe.base}/api/v1/session`, { data: { token } });
    assert.equal(r.status(), 201, 'staff sign-in (a new session)');
  }
  ctx[name] = { context, page };
  return page;
}

const card = (page, body) => page.locator('[data-testid="question-list"] [data-testid="question"]', { hasText: body });
const likesOf = (loc) => loc.locator('[data-likes]').first().getAttribute('data-likes').then(Number);

async function ask(page, body) {
  await page.fill('#ask-body', body);
  await page.click('[data-testid="ask-form"] button[type="submit"]');
  await card(page, body).waitFor();
}

async function shot(page, name) {
  await page.waitForTimeout(300); // let transitions settle
  await page.screenshot({ path: `${shots}${name}.png` });
}

describe('koe in the browser', () => {
  before(async () => {
    mkdirSync(shots, { recursive: true });
    koe = await startKoe({ token, rateLimits: 'ask.participant=12/m' });
    api = apiClient(koe.base, token);
    const now = Date.now();
    event = await api('POST', '/api/v1/events', {
      title: 'Go Meetup Tokyo #42', slug: 'go-42', time_zone: 'Asia/Tokyo',
      starts_at: new Date(now - 3600e3).toISOString(), ends_at: new Date(now + 3 * 3600e3).toISOString(),
      settings: { participant_replies: true },
    });
    talk = await api('POST', `/api/v1/events/${event.id}/talks`, {
      title: 'Generics in practice', speaker: 'Aiko Tanaka', track: 'Hall A',
      starts_at: new Date(now - 600e3).toISOString(), ends_at: new Date(now + 2400e3).toISOString(),
    });
    talk2 = await api('POST', `/api/v1/events/${event.id}/talks`, {
      title: 'Observability for small teams', speaker: 'Daniel Smith', track: 'Hall B',
      starts_at: new Date(now + 3000e3).toISOString(), ends_at: new Date(now + 6000e3).toISOString(),
    });
    browser = await launch();
  });

  after(async () => {
    for (const { page } of Object.values(ctx)) {
      assert.deepEqual(page.errors, [], 'no script errors in the page');
    }
    await browser?.close();
    await koe?.stop();
  });

  it('serves the app with a strict CSP and caching rules', async () => {
    const r = await fetch(`${koe.base}/e/1/t/1`);
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-security-policy'), /script-src 'self'/);
    assert.equal(r.headers.get('cache-control'), 'no-cache');
    const html = await r.text();
    const asset = /src="(\/assets\/[^"]+\.js)"/.exec(html)[1];
    const a = await fetch(koe.base + asset);
    assert.match(a.headers.get('cache-control'), /immutable/);
  });

  it('participants join by QR link (with a name) and by typing the code', async () => {
    const alice = await newPage('alice');
    await alice.goto(`${koe.base}/j/${event.join_code.toLowerCase()}`);
    assert.equal(await alice.inputValue('#code'), event.join_code);
    await alice.fill('#name', 'Alice');
    await alice.click('button[type="submit"]');
    await alice.waitForURL(new RegExp(`/e/${event.id}/t/${talk.id}$`)); // the live talk is picked
    await alice.getByText('Asking as Alice').waitFor();
    assert.equal(await alice.locator('h1').textContent(), talk.title);

    const bob = await newPage('bob');
    await bob.goto(koe.base);
    await bob.fill('#code', 'zzzzzz');
    await bob.click('button[type="submit"]');
    await bob.getByText('No event has the code ZZZZZZ').waitFor();
    await bob.fill('#code', event.join_code.toLowerCase());
    await bob.click('button[type="submit"]');
    await bob.waitForURL(new RegExp(`/e/${event.id}/t/${talk.id}$`));
    await bob.getByText('Your question is anonymous').waitFor();
  });

  it('the presenter screen shows the code and a QR code', async () => {
    const screen = await newPage('screen', { viewport: projector, staff: true });
    await screen.goto(`${koe.base}/e/${event.id}/t/${talk.id}/screen`);
    await screen.locator('[data-testid="screen-code"]').waitFor();
    assert.equal((await screen.locator('[data-testid="screen-code"]').textContent()).replace(/\s/g, ''), event.join_code);
    assert.equal(await screen.locator('svg.qr path').count(), 1);
    // koe listens on 127.0.0.1 only and the page is on 127.0.0.1: no phone can open the link, and the screen says so.
    await screen.locator('[data-testid="screen-unreachable"]').getByText('Phones cannot open this link').waitFor();
    await until('presence from the connections', async () => Number(await screen.locator('[data-testid="presence"]').getAttribute('data-n')) >= 3);
  });

  it('a question asked by one participant appears for the other and on the screen', async () => {
    const { alice, bob, screen } = { alice: ctx.alice.page, bob: ctx.bob.page, screen: ctx.screen.page };
    // The counter counts code points after NFC and trimming.
    await alice.fill('#ask-body', '  e\u0301😀  ');
    assert.equal(await alice.locator('[data-testid="counter"] [aria-hidden]').textContent(), '2 / 500');
    await ask(alice, 'How do generics affect compile times?');
    const mine = card(alice, 'How do generics affect compile times?');
    await mine.getByText('You', { exact: true }).waitFor();
    await mine.getByText('Alice').waitFor();
    await card(bob, 'How do generics affect compile times?').waitFor();
    await screen.locator('[data-testid="screen-list"]', { hasText: 'How do generics affect compile times?' }).waitFor();
    await ask(bob, 'Any plans for generic methods?');
    await card(alice, 'Any plans for generic methods?').getByText('Anonymous').waitFor();
  });

  it('like counts agree everywhere', async () => {
    const { alice, bob, screen } = { alice: ctx.alice.page, bob: ctx.bob.page, screen: ctx.screen.page };
    const body = 'How do generics affect compile times?';
    await card(bob, body).locator('[data-testid="like"]').click();
    await until('bob sees his like', async () => (await card(bob, body).locator('[data-testid="like"]').getAttribute('aria-pressed')) === 'true');
    await card(alice, body).locator('[data-testid="like"]').click();
    for (const [who, p] of [['alice', alice], ['bob', bob]]) {
      await until(`${who} sees 2 likes`, async () => (await likesOf(card(p, body))) === 2);
    }
    const item = screen.locator('.screen-item', { hasText: body });
    await until('the screen shows 2 likes', async () => (await likesOf(item)) === 2);
    // Unlike: back to 1 everywhere.
    await card(alice, body).locator('[data-testid="like"]').click();
    await until('bob sees 1 like', async () => (await likesOf(card(bob, body))) === 1);
    await until('the screen shows 1 like', async () => (await likesOf(item)) === 1);
    assert.equal(await card(alice, body).locator('[data-testid="like"]').getAttribute('aria-pressed'), 'false');
    // The liked question leads Top.
    assert.match(await bob.locator('[data-testid="question"]').first().textContent(), /compile times/);
  });

  it('the presenter highlights from the keyboard; the audience sees it pinned', async () => {
    const { alice, screen } = { alice: ctx.alice.page, screen: ctx.screen.page };
    await screen.keyboard.press('j');
    const hl = screen.locator('[data-testid="screen-highlight"]');
    await hl.getByText('How do generics affect compile times?').waitFor();
    const pinned = alice.locator('.q-pinned');
    await pinned.getByText('How do generics affect compile times?').waitFor();
    await pinned.getByText('On screen now').waitFor();
    // j moves to the next question.
    await screen.keyboard.press('j');
    await hl.getByText('Any plans for generic methods?').waitFor();
    await pinned.getByText('Any plans for generic methods?').waitFor();
    await shot(screen, 'screen-1920x1080-en');
    // a marks it answered; it stays on screen, marked.
    await screen.keyboard.press('a');
    await hl.getByText('Answered').waitFor();
    await pinned.getByText('Answered').waitFor();
    // ? shows the help; Esc closes it, then Esc clears the highlight.
    await screen.keyboard.press('?');
    await screen.getByRole('dialog').getByText('Keyboard shortcuts').waitFor();
    await screen.keyboard.press('Escape');
    await screen.getByRole('dialog').waitFor({ state: 'detached' });
    await screen.keyboard.press('Escape');
    await hl.waitFor({ state: 'detached' });
    await pinned.waitFor({ state: 'detached' });
    await alice.getByRole('tab', { name: /Answered/ }).click();
    await card(alice, 'Any plans for generic methods?').waitFor();
    await alice.getByRole('tab', { name: /Top/ }).click();
  });

  it('staff moderate from the staff page, live', async () => {
    const staff = await newPage('staff', { viewport: { width: 1440, height: 900 }, staff: true });
    await staff.goto(`${koe.base}/admin/e/${event.id}/t/${talk.id}`);
    const row = staff.locator('[data-testid="admin-list"] [data-testid="question"]', { hasText: 'How do generics affect compile times?' });
    await row.locator('[data-action="highlight"]').click();
    await ctx.screen.page.locator('[data-testid="screen-highlight"]').getByText('How do generics affect compile times?').waitFor();
    await ctx.bob.page.locator('.q-pinned').getByText('How do generics affect compile times?').waitFor();
    // A staff reply shows up under the question for participants.
    await row.getByRole('button', { name: 'Reply' }).first().click();
    await row.locator('textarea').fill('Barely: see the release notes.');
    await row.getByRole('button', { name: 'Send reply' }).click();
    const bobCard = ctx.bob.page.locator('.q-pinned');
    await bobCard.getByRole('button', { name: '1 reply' }).click();
    await bobCard.getByText('Barely: see the release notes.').waitFor();
    await shot(staff, 'admin-event-1440x900-en');
    // Hiding removes it from the audience (and the highlight with it).
    await ask(ctx.bob.page, 'This is off-topic spam');
    const spam = staff.locator('[data-testid="admin-list"] [data-testid="question"]', { hasText: 'This is off-topic spam' });
    await spam.locator('[data-action="hide"]').click();
    await card(ctx.alice.page, 'This is off-topic spam').waitFor({ state: 'detached' });
    await staff.getByRole('tab', { name: /Hidden/ }).click();
    await spam.waitFor();
  });

  it('a participant who loses the connection catches up without loss or duplicates', async () => {
    const { alice, bob } = { alice: ctx.alice.page, bob: ctx.bob.page };
    await ctx.bob.context.setOffline(true);
    await bob.locator('[data-testid="reconnecting"]').waitFor();
    const missed = ['Missed question one?', 'Missed question two?', 'Missed question three?'];
    for (const q of missed) await ask(alice, q);
    const c = card(alice, 'Missed question one?').locator('[data-testid="like"]');
    await c.click();
    await until('alice liked', async () => (await likesOf(card(alice, 'Missed question one?'))) === 1);
    assert.equal(await card(bob, 'Missed question one?').count(), 0, 'bob is offline and has not seen it');
    await ctx.bob.context.setOffline(false);
    await bob.locator('[data-testid="reconnecting"]').waitFor({ state: 'detached', timeout: 15_000 });
    for (const q of missed) await card(bob, q).waitFor();
    await until('bob sees the like he missed', async () => (await likesOf(card(bob, 'Missed question one?'))) === 1);
    await bob.getByRole('tab', { name: /Recent/ }).click();
    const ids = await bob.locator('[data-testid="question-list"] [data-testid="question"]').evaluateAll((els) => els.map((e) => e.dataset.qid));
    assert.equal(new Set(ids).size, ids.length, `no duplicates: ${ids}`);
    for (const q of missed) assert.equal(await card(bob, q).count(), 1);
    await bob.getByRole('tab', { name: /Top/ }).click();
    // A dropped socket (not the whole network) also resumes.
    await bob.evaluate(() => window.koeLive.drop());
    await ask(alice, 'Asked during a socket drop?');
    await card(bob, 'Asked during a socket drop?').waitFor({ timeout: 15_000 });
    assert.equal(await card(bob, 'Asked during a socket drop?').count(), 1);
  });

  it('errors are explained: closed Q&A, too long, rate limited', async () => {
    const alice = ctx.alice.page;
    await alice.fill('#ask-body', 'x'.repeat(501));
    await alice.getByText('1 characters over the limit of 500.').first().waitFor();
    assert.equal(await alice.locator('[data-testid="ask-form"] button[type="submit"]').isDisabled(), true);
    await alice.fill('#ask-body', '');
    // Closing the Q&A reaches the open page live.
    await api('PATCH', `/api/v1/events/${event.id}/talks/${talk.id}`, { qa_open: false });
    await alice.locator('[data-testid="qa-closed"]').waitFor();
    await api('PATCH', `/api/v1/events/${event.id}/talks/${talk.id}`, { qa_open: true });
    await alice.locator('[data-testid="ask-form"]').waitFor();
    // Use up Alice's asking budget (until koe says so: on a slow machine
    // the bucket refills while the loop runs), then ask in the page.
    let limited = false;
    for (let i = 0; i < 40 && !limited; i++) {
      const r = await ctx.alice.context.request.post(`${koe.base}/api/v1/events/${event.id}/talks/${talk.id}/questions`, { data: { body: `filler ${i}` } });
      limited = r.status() === 429;
    }
    assert.ok(limited, 'the asking budget ran out');
    // A token may come back between the last 429 and the page's ask (one
    // every 5 s): then that ask is taken and the next one is refused.
    const slowDown = alice.locator('[data-testid="ask-error"]', { hasText: /Slow down a little: try again in \d+ s\./ });
    let explained = false;
    for (let i = 0; i < 3 && !explained; i++) {
      await alice.fill('#ask-body', `One more? (${i})`);
      await alice.click('[data-testid="ask-form"] button[type="submit"]');
      explained = await slowDown.waitFor({ timeout: 4_000 }).then(() => true, () => false);
    }
    assert.ok(explained, 'the page explains the rate limit');
    await alice.fill('#ask-body', '');
    await shot(alice, 'audience-390x844-en');
  });

  it('talks added by staff appear in the picker live', async () => {
    const bob = ctx.bob.page;
    await api('POST', `/api/v1/events/${event.id}/talks`, { title: 'Lightning talks', track: 'Hall A' });
    await bob.getByRole('button', { name: 'Change talk' }).click();
    await bob.getByRole('link', { name: /Lightning talks/ }).waitFor();
    await bob.getByRole('link', { name: /Observability for small teams/ }).click();
    await bob.waitForURL(new RegExp(`/t/${talk2.id}$`));
    await bob.getByText('No questions yet. Be the first to ask!').waitFor();
  });

  it('renders in Japanese for a Japanese browser and switches language', async () => {
    const kei = await newPage('kei', { locale: 'ja-JP' });
    await kei.goto(`${koe.base}/`);
    assert.equal(await kei.evaluate(() => document.documentElement.lang), 'ja');
    await kei.getByRole('heading', { name: 'セッションに参加' }).waitFor();
    await shot(kei, 'join-390x844-ja');
    await kei.fill('#code', event.join_code);
    await kei.fill('#name', 'けい');
    await kei.getByRole('button', { name: '参加する' }).click();
    await kei.getByRole('button', { name: '質問する' }).waitFor();
    await kei.getByText('けい として質問します').waitFor();
    await kei.getByRole('tab', { name: /人気/ }).waitFor();
    await shot(kei, 'audience-390x844-ja');
    await kei.getByRole('button', { name: 'EN' }).click();
    await kei.getByRole('button', { name: 'Ask', exact: true }).waitFor();
    assert.equal(await kei.evaluate(() => document.documentElement.lang), 'en');
    await kei.reload();
    await kei.getByRole('button', { name: 'Ask', exact: true }).waitFor(); // remembered
    await kei.getByRole('button', { name: '日本語' }).click();
    const screen = ctx.screen.page;
    await screen.getByRole('button', { name: '日本語' }).click();
    await screen.getByText('人気の質問').waitFor();
    await shot(screen, 'screen-1920x1080-ja');
  });

  it('an event with a passcode asks newcomers for it, in Japanese too', async () => {
    const gated = await api('POST', '/api/v1/events', { title: 'Closed meetup', slug: 'closed' });
    await api('POST', `/api/v1/events/${gated.id}/talks`, { title: 'Opening' });
    await api('PATCH', `/api/v1/events/${gated.id}`, { passcode: 'Koe2026' });
    const mei = await newPage('mei', { locale: 'ja-JP' });
    await mei.goto(`${koe.base}/j/${gated.join_code}`);
    await mei.getByRole('button', { name: '参加する' }).click();
    await mei.getByText('このイベントにはパスコードが必要です').first().waitFor();
    await mei.fill('#passcode', 'koe2025');
    await mei.getByRole('button', { name: '参加する' }).click();
    await mei.getByText('パスコードが違います').waitFor();
    await shot(mei, 'join-passcode-390x844-ja');
    await mei.fill('#passcode', 'ＫＯＥ２０２６'); // full-width, as a Japanese keyboard types it
    await mei.getByRole('button', { name: '参加する' }).click();
    await mei.waitForURL(new RegExp(`/e/${gated.id}`));
    await mei.getByRole('button', { name: '質問する' }).waitFor();
  });
});

// With KOE_PUBLIC_URL, the presenter screen's QR code and link use it, not
// the address the screen was opened on (a projector page at localhost);
// the event form offers the IANA time zones.
describe('getting started: the join link on the presenter screen, the event form', () => {
  const publicURL = 'http://koe-venue.test:8080';
  let venue, br;
  before(async () => {
    venue = await startKoe({ token, env: { KOE_PUBLIC_URL: publicURL } });
    br = await launch();
  });
  after(async () => {
    await br?.close();
    await venue?.stop();
  });

  it('uses the base URL koe serves, without a warning', async () => {
    const call = apiClient(venue.base, token);
    const cfg = await (await fetch(`${venue.base}/api/v1/config`)).json();
    assert.deepEqual({ join_base_url: cfg.join_base_url, loopback: cfg.loopback }, { join_base_url: publicURL, loopback: false });
    assert.ok(cfg.reaction_palette.includes('👏'), 'the config lists the reaction palette');
    const ev = await call('POST', '/api/v1/events', { title: 'Venue meetup', slug: 'venue' });
    const tk = await call('POST', `/api/v1/events/${ev.id}/talks`, { title: 'Opening' });
    const context = await br.newContext({ viewport: projector, locale: 'ja-JP', deviceScaleFactor: 1 });
    const r = await context.request.post(`${venue.base}/api/v1/session`, { data: { token } });
    assert.equal(r.status(), 201);
    const screen = await context.newPage();
    const errors = [];
    screen.on('pageerror', (e) => errors.push(e.message));
    await screen.goto(`${venue.base}/e/${ev.id}/t/${tk.id}/screen`);
    const want = `${publicURL}/j/${ev.join_code}`;
    await until('the join link uses KOE_PUBLIC_URL', async () => (await screen.locator('[data-testid="screen-url"]').textContent()).trim() === want.replace('http://', ''));
    const label = await screen.locator('svg.qr').getAttribute('aria-label');
    assert.ok(label.endsWith(`: ${want}`), `the QR code encodes ${want}: ${label}`);
    assert.equal(await screen.locator('[data-testid="screen-unreachable"]').count(), 0);
    assert.deepEqual(errors, []);
    await context.close();
  });

  it("the new event form offers the IANA time zones, the browser's first", async () => {
    const context = await br.newContext({ viewport: { width: 1440, height: 900 }, locale: 'en-US', timezoneId: 'America/Chicago' });
    const r = await context.request.post(`${venue.base}/api/v1/session`, { data: { token } });
    assert.equal(r.status(), 201);
    const admin = await context.newPage();
    await admin.goto(`${venue.base}/admin`);
    const tz = admin.locator('#new-tz');
    await tz.waitFor();
    assert.equal(await tz.inputValue(), 'America/Chicago');
    assert.ok((await admin.locator('#new-tz-list option').count()) > 100, 'every IANA zone is offered');
    await tz.fill('asia/tokyo');
    await tz.blur();
    assert.equal(await tz.inputValue(), 'Asia/Tokyo'); // canonical name
    await tz.fill('Mars/Base');
    assert.equal(await tz.evaluate((el) => el.validity.valid), false);
    await admin.getByText('Choose a time zone from the list').waitFor();
    await tz.fill('Asia/Tokyo');
    await admin.fill('#new-title', 'Tokyo meetup');
    await admin.getByRole('button', { name: 'Create event' }).click();
    await admin.waitForURL(/\/admin\/e\/\d+/);
    const events = await apiClient(venue.base, token)('GET', '/api/v1/events');
    const made = (events.events ?? events.items ?? events).find((e) => e.title === 'Tokyo meetup');
    assert.equal(made?.time_zone, 'Asia/Tokyo');
    await context.close();
  });
});
