// End-to-end for screen links and reactions (F17, F18): a real koe and
// headless Chromium. The owner (Aiko) makes a screen link and an overlay
// link on the event's screens page and builds the overlay's URL; the
// screen link opens in a fresh browser (no cookies, nobody signed in): a
// talk picker, then the presenter screen, read-only, which follows the
// highlighted question live. A participant taps reactions on the talk's
// page: the phone answers at once, the taps go out batched, and the screen
// shows bursts; too many taps pause sending with a gentle note. A new
// secret makes the old link show "this link no longer works" (an open
// screen too); the owner chooses the event's emoji (at most 6) and turns
// reactions off, which takes the bar away. Screenshots: the audience page
// with its bar (390×844) and the screen with bursts (1920×1080), English
// and Japanese, into test-results/ (or KOE_SHOTS).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { launch } from './lib/browser.mjs';
import { pageHelpers } from './lib/pages.mjs';
import { apiClient, startKoe } from './lib/server.mjs';
import { until } from './lib/until.mjs';

const token = 'e2e-owner-token-screenlinks-0123456789ab';
const desk = { width: 1440, height: 900 };
const phone = { width: 390, height: 844 };
const projector = { width: 1920, height: 1080 };
const password = { aiko: 'Quiet-Harbor-Lantern-58' };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

let koe, api, browser, pages, event, talk, later, q1, q2;
let owner; // Aiko's page on the screens page
let screenPath, overlayPath, screen;

/** A participant's page: joined in a context of its own (its cookie), on the talk's page. */
async function participant(viewport, locale, name) {
  const page = await pages.newPage(viewport, { locale });
  const r = await page.context().request.post(`${koe.base}/api/v1/join`, { data: { code: event.join_code, display_name: name } });
  assert.equal(r.status(), 201, `join: ${await r.text()}`);
  await page.goto(`${koe.base}/e/${event.id}/t/${talk.id}`);
  await page.locator('[data-testid="question-list"]').waitFor();
  return page;
}

/** A participant from Node: its bearer token. */
async function joinToken(name) {
  const r = await fetch(`${koe.base}/api/v1/join`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ code: event.join_code, display_name: name }),
  });
  assert.equal(r.status, 201);
  return (await r.json()).token;
}

async function askAs(bearer, body) {
  const r = await fetch(`${koe.base}/api/v1/events/${event.id}/talks/${talk.id}/questions`, {
    method: 'POST', headers: { Authorization: `Bearer ${bearer}`, 'Content-Type': 'application/json' }, body: JSON.stringify({ body }),
  });
  const text = await r.text();
  assert.equal(r.status, 201, `ask: ${text}`);
  return JSON.parse(text);
}

const highlight = (q) => api('PUT', `/api/v1/events/${event.id}/talks/${talk.id}/highlight`, { question_id: q ? q.id : null });

/** The path of a link as the page shows it (its base is koe's reachable address, which may not be this test's). */
async function shownPath(card, testid = 'screen-link-url') {
  const url = await card.locator(`[data-testid="${testid}"]`).inputValue();
  const u = new URL(url);
  return u.pathname + u.search;
}

/** A fresh browser context (no cookies, nobody signed in) at path on the projector. */
async function projectorPage(path, locale = 'en-US') {
  const page = await pages.newPage(projector, { locale });
  await page.goto(koe.base + path);
  return page;
}

describe('screen links and reactions', () => {
  before(async () => {
    // Six reaction requests a minute per participant: enough for the
    // bursts, and a participant who taps on and on meets the limit.
    koe = await startKoe({ token, rateLimits: 'react.participant=6/m' });
    api = apiClient(koe.base, token);
    event = await api('POST', '/api/v1/events', { title: 'Screen meetup', slug: 'screens', time_zone: 'Asia/Tokyo' });
    const now = Date.now();
    talk = await api('POST', `/api/v1/events/${event.id}/talks`, {
      title: 'Reactions on the big screen', speaker: 'Aiko Tanaka', track: 'Room A',
      starts_at: new Date(now - 600e3).toISOString(), ends_at: new Date(now + 3000e3).toISOString(),
    });
    later = await api('POST', `/api/v1/events/${event.id}/talks`, {
      title: 'Afterwards: lightning talks', speaker: 'Kenji Mori',
      starts_at: new Date(now + 3600e3).toISOString(), ends_at: new Date(now + 7200e3).toISOString(),
    });
    await api('POST', '/api/v1/accounts', { login: 'aiko', display_name: 'Aiko Tanaka', email: '', password: password.aiko, admin: true });
    const asker = await joinToken('Asker');
    q1 = await askAs(asker, 'How do the bursts stay readable from the back of the room?');
    q2 = await askAs(asker, 'Can the overlay show the join code in OBS?');
    browser = await launch();
    pages = pageHelpers({ browser, base: koe.base, passwords: password, clipboard: true });
  });

  after(async () => {
    pages?.assertClean();
    await browser?.close();
    await koe?.stop();
  });

  it('new events offer the default reactions', async () => {
    const e = await api('GET', `/api/v1/events/${event.id}`);
    assert.deepEqual(e.settings.reactions, ['👏', '🎉', '❤️', '🤔']);
    const cfg = await (await fetch(`${koe.base}/api/v1/config`)).json();
    assert.equal(cfg.reaction_palette.length, 16);
  });

  it('the owner makes a screen link and an overlay link, and builds the overlay URL', async () => {
    owner = await pages.newPage(desk, { login: 'aiko' });
    await owner.goto(`${koe.base}/admin/e/${event.id}`);
    await owner.locator('[data-testid="screens-link"]').click();
    await owner.waitForURL(`${koe.base}/admin/e/${event.id}/screens`);
    await owner.locator('[data-testid="screen-links-none"]').waitFor();

    const create = owner.locator('[data-testid="screen-link-create"]');
    assert.equal(await create.isDisabled(), true, 'a link needs a label');
    await owner.getByLabel('Label', { exact: true }).fill('Room A projector');
    await create.click();
    const screenCard = owner.locator('[data-testid="screen-link"][data-kind="screen"]');
    await screenCard.waitFor();
    assert.match(await screenCard.textContent(), /Room A projector/);
    assert.match(await screenCard.textContent(), /Screen/);

    await owner.getByLabel('Kind', { exact: true }).selectOption('overlay');
    await owner.getByLabel('Label', { exact: true }).fill('Stream');
    await create.click();
    const overlayCard = owner.locator('[data-testid="screen-link"][data-kind="overlay"]');
    await overlayCard.waitFor();

    const { links } = await api('GET', `/api/v1/events/${event.id}/screen-links`);
    assert.equal(links.length, 2);
    const s = links.find((l) => l.kind === 'screen');
    const o = links.find((l) => l.kind === 'overlay');
    assert.equal(s.label, 'Room A projector');
    assert.match(s.path, /^\/screen\/koe_[\w-]+$/);
    assert.match(o.path, /^\/overlay\/koe_[\w-]+/);
    screenPath = await shownPath(screenCard);
    assert.equal(screenPath, s.path, 'the card shows the link koe made');
    // The link is absolute, on koe's reachable address.
    assert.match(await screenCard.locator('[data-testid="screen-link-url"]').inputValue(), /^https?:\/\/[^/]+\/screen\/koe_/);
    assert.equal(await screenCard.locator('[data-testid="overlay-builder"]').count(), 0, 'a screen link has no overlay builder');
    // Copy puts the absolute link on the clipboard.
    await screenCard.getByRole('button', { name: 'Copy link', exact: true }).click();
    await owner.getByText('Link copied.').first().waitFor();
    assert.equal(await owner.evaluate(() => navigator.clipboard.readText()), await screenCard.locator('[data-testid="screen-link-url"]').inputValue());

    // The overlay builder: the talk on now and the default widgets to begin with.
    const b = overlayCard.locator('[data-testid="overlay-builder"]');
    await b.waitFor();
    const query = async () => new URLSearchParams((await shownPath(b, 'overlay-url')).split('?')[1] ?? '');
    await until('the builder to pick the talk on now', async () => (await query()).get('talk') === String(talk.id));
    let q = await query();
    assert.equal((await shownPath(b, 'overlay-url')).split('?')[0], o.path);
    assert.equal(q.get('question'), 'bottom');
    assert.equal(q.get('post'), 'top-right');
    assert.equal(q.get('reactions'), 'bottom-right');
    assert.equal(q.has('join') || q.has('theme') || q.has('lang'), false);

    await b.getByLabel('Theme', { exact: true }).selectOption('light');
    await b.getByLabel('Language', { exact: true }).selectOption('ja');
    await b.locator('[data-testid="overlay-w-post"]').uncheck();
    await b.locator('[data-testid="overlay-w-join"]').check();
    await b.getByLabel('Where: Join badge (link and code)').selectOption('bottom-left');
    await b.getByLabel('Where: Highlighted question').selectOption('top');
    q = await query();
    assert.equal(q.get('theme'), 'light');
    assert.equal(q.get('lang'), 'ja');
    assert.equal(q.has('post'), false, 'a widget switched off is left out');
    assert.equal(q.get('join'), 'bottom-left');
    assert.equal(q.get('question'), 'top');
    assert.equal(q.get('reactions'), 'bottom-right');
    // No talk: the talk's widgets say they need one.
    await b.getByLabel('Talk', { exact: true }).selectOption('');
    assert.equal((await query()).has('talk'), false);
    await b.getByText('Needs a talk: choose one above.').first().waitFor();
    await b.getByLabel('Talk', { exact: true }).selectOption(String(talk.id));
    await b.getByText('Add it in OBS').waitFor();
    assert.match(await b.textContent(), /Width 1920, Height 1080/);
    overlayPath = await shownPath(b, 'overlay-url');
    await b.getByRole('button', { name: 'Copy overlay URL', exact: true }).click();
    assert.equal(await owner.evaluate(() => navigator.clipboard.readText()), await b.locator('[data-testid="overlay-url"]').inputValue());

    assert.deepEqual(await pages.audit(owner), [], 'the screens page has no serious or critical axe violation');
    await owner.evaluate(() => window.scrollTo(0, 0));
    await pages.shot(owner, 'screenlinks-admin-1440-en');
    await b.scrollIntoViewIfNeeded();
    await pages.shot(owner, 'screenlinks-overlay-builder-1440-en');
  });

  it('the screen link opens with no cookies: a talk picker, then the read-only screen following the highlight live', async () => {
    screen = await projectorPage(screenPath);
    const picker = screen.locator('[data-testid="screen-picker"]');
    await picker.waitFor();
    await picker.getByText('Room A projector').waitFor();
    const items = picker.locator('.spick-item');
    await until('both talks listed', async () => (await items.count()) === 2);
    // The talk on now comes first and has the focus; the arrow keys move it; Enter opens.
    assert.equal(await items.first().getAttribute('data-talk'), String(talk.id));
    await until('the first talk focused', () => screen.evaluate(() => document.activeElement?.classList.contains('spick-item')));
    await screen.keyboard.press('ArrowDown');
    assert.equal(await screen.evaluate(() => document.activeElement?.getAttribute('data-talk')), String(later.id));
    await screen.keyboard.press('ArrowUp');
    assert.equal(await screen.evaluate(() => document.activeElement?.getAttribute('data-talk')), String(talk.id));
    assert.deepEqual(await pages.audit(screen), [], 'the picker has no serious or critical axe violation');
    await pages.shot(screen, 'screenlinks-picker-1920x1080-en');
    await screen.keyboard.press('Enter');
    await screen.waitForURL(`${koe.base}${screenPath}/t/${talk.id}`);
    await screen.locator('[data-testid="screen"]').waitFor();
    await screen.locator('[data-testid="screen-idle"]').waitFor();
    assert.equal(await screen.locator('.screen-signin').count(), 0, 'no sign-in box');
    assert.equal(await screen.locator('[data-testid="screen-code"]').textContent(), event.join_code);

    await highlight(q1);
    await until('the highlighted question on the screen', async () => (await screen.locator('[data-testid="screen-highlight-body"]').textContent().catch(() => '')) === q1.body);
    await highlight(q2);
    await until('the next highlighted question', async () => (await screen.locator('[data-testid="screen-highlight-body"]').textContent().catch(() => '')) === q2.body);

    // The staff keys do nothing here: the link cannot write.
    await screen.keyboard.press('j');
    await screen.keyboard.press('Escape');
    await sleep(700);
    assert.equal((await api('GET', `/api/v1/events/${event.id}/talks/${talk.id}`)).highlighted_question_id, q2.id);
    assert.equal(await screen.locator('[data-testid="screen-highlight-body"]').textContent(), q2.body);
    // 1, 2 and 3 choose what the screen shows: here no post is featured, so
    // 3 says so and hides the Q&A; 2 and 1 bring the question back.
    await screen.keyboard.press('3');
    await screen.locator('[data-testid="screen-no-post"]').waitFor();
    assert.equal(await screen.locator('[data-testid="screen-highlight"]').count(), 0, 'the featured post alone: no question');
    assert.equal(await screen.locator('[data-testid="screen-top"]').count(), 0, 'the featured post alone: no list');
    await screen.keyboard.press('2');
    await screen.locator('[data-testid="screen-highlight-body"]').waitFor();
    assert.equal(await screen.locator('[data-testid="screen-top"]').count(), 1);
    await screen.keyboard.press('1');
    assert.equal(await screen.locator('.screen-hint').getAttribute('data-shows'), 'all');
    // Its help lists the keys it has.
    await screen.keyboard.press('?');
    const help = screen.locator('.screen-help');
    await help.waitFor();
    assert.match(await help.textContent(), /Choose another talk/);
    assert.match(await help.textContent(), /Full screen/);
    assert.match(await help.textContent(), /the Q&A only/);
    assert.doesNotMatch(await help.textContent(), /Highlight next question|Sign in as staff/);
    await screen.keyboard.press('Escape');
    await help.waitFor({ state: 'detached' });
    // T goes back to the talks, and a click opens one.
    await screen.keyboard.press('t');
    await screen.locator('[data-testid="screen-picker"]').waitFor();
    await screen.locator(`.spick-item[data-talk="${talk.id}"]`).click();
    await screen.locator('[data-testid="screen-highlight-body"]').waitFor();
    assert.deepEqual(await screen.context().cookies(), [], 'the screen link needs no cookie');
  });

  it('in Japanese: the links page and the talk picker', async () => {
    const ja = await pages.newPage(desk, { login: 'aiko', locale: 'ja-JP' });
    await ja.goto(`${koe.base}/admin/e/${event.id}/screens`);
    await ja.getByText('スクリーンと配信オーバーレイ').first().waitFor();
    await ja.locator('[data-testid="overlay-builder"]').waitFor();
    assert.deepEqual(await pages.audit(ja), [], 'the links page in Japanese has no serious or critical axe violation');
    await pages.shot(ja, 'screenlinks-admin-1440-ja');
    const picker = await projectorPage(screenPath, 'ja-JP');
    await picker.getByText('このスクリーンに表示するトーク').waitFor();
    await pages.shot(picker, 'screenlinks-picker-1920x1080-ja');
  });

  it('the overlay URL the builder made opens as built, with no cookies', async () => {
    const obs = await projectorPage(overlayPath);
    const ov = obs.locator('[data-testid="overlay"]');
    await ov.waitFor({ state: 'attached' });
    assert.equal(await ov.getAttribute('data-theme'), 'light');
    await obs.locator('[data-testid="overlay-join"]').waitFor();
    await until('the highlighted question on the overlay', async () => (await obs.locator('[data-testid="overlay-question-body"]').textContent().catch(() => '')) === q2.body);
    assert.equal(await obs.locator('[data-testid="overlay-post"]').count(), 0, 'the featured post was switched off');
    assert.equal(await obs.locator('[data-testid="overlay-problem"]').count(), 0);
    assert.equal(await obs.evaluate(() => document.documentElement.lang), 'ja');
    await obs.close();
  });

  it('the link is read-only: it cannot write, and it is no participant', async () => {
    const secret = screenPath.split('/')[2];
    const h = { Authorization: `Bearer ${secret}`, 'Content-Type': 'application/json' };
    const viewer = await (await fetch(`${koe.base}/api/v1/viewer`, { headers: h })).json();
    assert.deepEqual({ event_id: viewer.event_id, kind: viewer.kind, label: viewer.label }, { event_id: event.id, kind: 'screen', label: 'Room A projector' });
    let r = await fetch(`${koe.base}/api/v1/events/${event.id}/talks/${talk.id}/highlight`, { method: 'PUT', headers: h, body: JSON.stringify({ question_id: q1.id }) });
    assert.ok(r.status === 401 || r.status === 403, `highlight with a screen link: ${r.status}`);
    r = await fetch(`${koe.base}/api/v1/events/${event.id}/talks/${talk.id}/reactions`, { method: 'POST', headers: h, body: JSON.stringify({ emoji: '👏', count: 1 }) });
    assert.ok(r.status === 401 || r.status === 403, `react with a screen link: ${r.status}`);
  });

  it('a participant taps reactions: the phone answers at once, the taps go batched, the screen bursts', async () => {
    const sam = await participant(phone, 'en-US', 'Sam');
    const bar = sam.locator('[data-testid="reaction-bar"]');
    await bar.waitFor();
    const buttons = bar.locator('.react-btn');
    assert.equal(await buttons.count(), 4);
    assert.deepEqual(await buttons.evaluateAll((bs) => bs.map((b) => b.dataset.emoji)), ['👏', '🎉', '❤️', '🤔']);
    assert.equal(await buttons.first().getAttribute('aria-label'), 'React: applause');

    const clap = bar.locator('.react-btn[data-emoji="👏"]');
    const slot = bar.locator('.react-slot[data-slot="👏"]');
    for (let i = 0; i < 5; i++) await clap.click({ delay: 0 });
    // At once, on the phone: particles float up and the count says how many.
    assert.ok((await slot.locator('.react-pop').count()) > 0, 'a burst near the button');
    assert.equal(await slot.locator('[data-testid="react-streak"]').textContent(), '+5');
    // Five taps in well under a window: the first at once, the rest together.
    await until('the taps sent', () => sam.evaluate(() => window.koeReactions?.sent === 5));
    assert.equal(await sam.evaluate(() => window.koeReactions.dropped), 0);

    const bursts = screen.locator('[data-testid="reaction-bursts"]');
    await until('the screen to count the taps', async () => Number(await bursts.getAttribute('data-taps').catch(() => 0)) >= 5);
    await until('the totals to be stored', async () => (await api('GET', `/api/v1/events/${event.id}/talks/${talk.id}/reactions`)).counts['👏'] === 5);

    // Screenshots while the bursts fly: the phone and the screen.
    await bar.locator('.react-btn[data-emoji="🎉"]').click();
    await bar.locator('.react-btn[data-emoji="❤️"]').click();
    await pages.shot(sam, 'screenlinks-audience-390x844-en');
    await until('particles on the screen', async () => (await screen.locator('.burst').count()) > 0);
    await pages.shot(screen, 'screenlinks-screen-bursts-1920x1080-en');
    assert.equal(await sam.locator('.toast-error').count(), 0, 'no error');

    const mei = await participant(phone, 'ja-JP', 'めい');
    const jbar = mei.locator('[data-testid="reaction-bar"]');
    await jbar.waitFor();
    assert.equal(await jbar.locator('.react-btn').first().getAttribute('aria-label'), 'リアクション: 拍手');
    const jscreen = await projectorPage(`${screenPath}/t/${talk.id}`, 'ja-JP');
    await jscreen.locator('[data-testid="screen-highlight-body"]').waitFor();
    await jscreen.locator('[data-testid="reaction-bursts"]').waitFor({ state: 'attached' });
    for (const e of ['👏', '👏', '🤔', '🎉']) await jbar.locator(`.react-btn[data-emoji="${e}"]`).click();
    await pages.shot(mei, 'screenlinks-audience-390x844-ja');
    await until('particles on the Japanese screen', async () => (await jscreen.locator('.burst').count()) > 0);
    await pages.shot(jscreen, 'screenlinks-screen-bursts-1920x1080-ja');
    assert.deepEqual(await pages.audit(mei), [], 'the audience page with its bar has no serious or critical axe violation');
    // Reduced motion: no particles fly; the count beside the button answers the tap.
    await mei.emulateMedia({ reducedMotion: 'reduce' });
    await jbar.locator('.react-btn[data-emoji="❤️"]').click();
    const heart = jbar.locator('.react-slot[data-slot="❤️"]');
    assert.equal(await heart.locator('[data-testid="react-streak"]').textContent(), '+1');
    assert.equal(await heart.locator('.react-pop').first().isVisible(), false);
    await jscreen.close();
  });

  it('too many taps pause sending with a gentle note, never an error', async () => {
    const ken = await participant(phone, 'en-US', 'Ken');
    const clap = ken.locator('[data-testid="reaction-bar"] .react-btn[data-emoji="👏"]');
    const slot = ken.locator('[data-testid="reaction-bar"] .react-slot[data-slot="👏"]');
    await clap.waitFor();
    // A tap every 300 ms: each its own request, and the limit is six a minute.
    for (let i = 0; i < 9; i++) {
      await clap.click();
      await sleep(300);
    }
    const note = ken.locator('[data-testid="reaction-note"]');
    await until('the note', async () => /breather/.test(await note.textContent()));
    assert.equal(await ken.evaluate(() => window.koeReactions.paused), true);
    // Taps meanwhile still answer on the phone, and are dropped quietly.
    await clap.click();
    assert.ok((await slot.locator('.react-pop').count()) > 0);
    assert.equal(await ken.locator('.toast-error').count(), 0, 'no error shown');
  });

  it('a new secret: the open screen and the old URL say the link no longer works; the new one works', async () => {
    const card = owner.locator('[data-testid="screen-link"][data-kind="screen"]');
    const asked = [];
    owner.once('dialog', (d) => asked.push(d.message()));
    await card.locator('[data-testid="screen-link-rotate"]').click(); // the confirm dialog is accepted
    await until('the new link', async () => (await shownPath(card)) !== screenPath);
    assert.match(asked[0] ?? '', /Room A projector.*The old link stops working at once/s, 'it asks first, saying what happens');
    const fresh = await shownPath(card);
    assert.match(fresh, /^\/screen\/koe_[\w-]+$/);

    // The open screen finds out when its connection drops and it reconnects.
    await screen.evaluate(() => window.koeLive.drop());
    await screen.locator('[data-testid="screen-link-gone"]').waitFor();
    assert.match(await screen.locator('h1').textContent(), /This link no longer works/);

    const old = await projectorPage(screenPath);
    await old.locator('[data-testid="screen-link-gone"]').waitFor();
    assert.deepEqual(await pages.audit(old), [], 'the page has no serious or critical axe violation');
    await pages.shot(old, 'screenlinks-link-gone-1920x1080-en');
    const oldJa = await projectorPage(`${screenPath}/t/${talk.id}`, 'ja-JP');
    await oldJa.getByText('このリンクは使えなくなりました').waitFor();

    const now = await projectorPage(fresh);
    await now.locator('[data-testid="screen-picker"]').waitFor();
    screenPath = fresh;
    screen = now;
  });

  it('the owner chooses the emoji (at most 6) and turns reactions off: the bar goes away', async () => {
    const sam = await participant(phone, 'en-US', 'Sam again');
    const bar = sam.locator('[data-testid="reaction-bar"]');
    await bar.waitFor();
    await screen.locator(`.spick-item[data-talk="${talk.id}"]`).click();
    await screen.locator('[data-testid="reaction-bursts"]').waitFor({ state: 'attached' });

    await owner.goto(`${koe.base}/admin/e/${event.id}`);
    await owner.locator('details.settings summary', { hasText: 'Event settings' }).click();
    const set = owner.locator('[data-testid="reaction-settings"]');
    await set.waitFor();
    assert.equal(await set.locator('.react-choice[aria-pressed="true"]').count(), 4);
    assert.match(await set.locator('[data-testid="reactions-count"]').textContent(), /4 of 6 chosen/);
    await set.getByRole('button', { name: 'laughing', exact: true }).click();
    await set.getByRole('button', { name: 'sushi', exact: true }).click();
    assert.match(await set.locator('[data-testid="reactions-count"]').textContent(), /6 of 6 chosen\. That is the most/);
    assert.equal(await set.getByRole('button', { name: 'rocket', exact: true }).isDisabled(), true, 'a seventh cannot be chosen');
    await set.getByRole('button', { name: 'thinking', exact: true }).click(); // one away: room for another
    await set.getByRole('button', { name: 'rocket', exact: true }).click();
    await set.scrollIntoViewIfNeeded();
    await pages.shot(owner, 'screenlinks-reaction-settings-1440-en');
    await owner.locator('details.settings form').first().locator('button[type="submit"]').click();
    await owner.getByText('Saved.').first().waitFor();
    const want = ['👏', '🎉', '❤️', '😂', '🚀', '🍣'];
    await until('the set saved', async () => JSON.stringify((await api('GET', `/api/v1/events/${event.id}`)).settings.reactions) === JSON.stringify(want));
    // The open phone follows at once.
    await until('the bar to offer the new set', async () =>
      JSON.stringify(await bar.locator('.react-btn').evaluateAll((bs) => bs.map((b) => b.dataset.emoji))) === JSON.stringify(want));
    await sleep(1100); // koe reads an event's reaction set through a cache of a second
    let r = await sam.context().request.post(`${koe.base}/api/v1/events/${event.id}/talks/${talk.id}/reactions`, { data: { emoji: '🤔', count: 1 } });
    assert.equal(r.status(), 400, 'an emoji the event does not offer is refused');

    // Off.
    await owner.locator('[data-testid="reactions-on"]').uncheck();
    assert.match(await set.locator('[data-testid="reactions-count"]').textContent(), /Reactions are off/);
    await owner.locator('details.settings form').first().locator('button[type="submit"]').click();
    await until('reactions off', async () => (await api('GET', `/api/v1/events/${event.id}`)).settings.reactions.length === 0);
    await bar.waitFor({ state: 'detached' });
    await screen.locator('[data-testid="reaction-bursts"]').waitFor({ state: 'detached' });
    await sleep(1100);
    r = await sam.context().request.post(`${koe.base}/api/v1/events/${event.id}/talks/${talk.id}/reactions`, { data: { emoji: '👏', count: 1 } });
    assert.ok([400, 403, 409].includes(r.status()), `a tap with reactions off: ${r.status()}`);
    // A new visit shows no bar either; the rest of the page is as before.
    await sam.reload();
    await sam.locator('[data-testid="question-list"]').waitFor();
    assert.equal(await sam.locator('[data-testid="reaction-bar"]').count(), 0);
    // The other settings were kept.
    const e = await api('GET', `/api/v1/events/${event.id}`);
    assert.equal(e.settings.participant_replies, false);
    assert.equal(e.settings.accent, '');
  });

  it('deleting a link stops it', async () => {
    await owner.goto(`${koe.base}/admin/e/${event.id}/screens`);
    const card = owner.locator('[data-testid="screen-link"][data-kind="overlay"]');
    await card.locator('[data-testid="screen-link-delete"]').click(); // the confirm dialog is accepted
    await card.waitFor({ state: 'detached' });
    await owner.getByText('Link deleted.').first().waitFor();
    const { links } = await api('GET', `/api/v1/events/${event.id}/screen-links`);
    assert.deepEqual(links.map((l) => l.kind), ['screen']);
    const secret = overlayPath.split('/')[2].split('?')[0];
    const r = await fetch(`${koe.base}/api/v1/viewer`, { headers: { Authorization: `Bearer ${secret}` } });
    assert.equal(r.status, 401);
  });
});
