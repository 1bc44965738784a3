// End-to-end for polls (F20): a real koe and headless Chromium. The owner
// prepares a choice, a rating and a word-cloud poll through the API and
// opens them one at a time; three participants, each in a browser context
// of their own (phones, one in Japanese), vote on the audience page; the
// presenter screen (signed-in staff, key 4) and the OBS overlay
// (?poll=right, transparent around the card) follow the counts live;
// closing a poll stops the voting; hidden results stay hidden from the
// audience and from the screens (signed in or by a link) until revealed; a Japanese word
// cloud counts the words the server splits. Screenshots go to
// test-results/ (or KOE_SHOTS).
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { launch } from './lib/browser.mjs';
import { pageHelpers } from './lib/pages.mjs';
import { alphaAt, decodePNG, encodePNG, overVideo } from './lib/png.mjs';
import { apiClient, startKoe } from './lib/server.mjs';
import { until } from './lib/until.mjs';

const token = 'e2e-owner-token-polls-0123456789abcdefgh';
const password = { aiko: 'Quiet-Harbor-Lantern-58' };
const phone = { width: 390, height: 844 };
const projector = { width: 1920, height: 1080 };
const shots = process.env.KOE_SHOTS ?? new URL('../../test-results/', import.meta.url).pathname;

let koe, api, browser, pages, event, talk, screenLink, overlayLink;
/** The three participants' audience pages: Mika and Ren in English, Yui in Japanese. */
let mika, ren, yui;
/** The presenter screen (Aiko, signed in), the screen link's screen, the overlay. */
let staffScreen, linkScreen, overlay;

const pollsPath = () => `/api/v1/events/${event.id}/talks/${talk.id}/polls`;
const createPoll = (body) => api('POST', pollsPath(), body);
const patchPoll = (poll, body) => api('PATCH', `${pollsPath()}/${poll.id}`, body);

/** An audience page of a new participant (joined in its own context). */
async function participant(name, locale) {
  const page = await pages.newPage(phone, { locale });
  const r = await page.context().request.post(`${koe.base}/api/v1/join`, { data: { code: event.join_code, display_name: name } });
  assert.equal(r.status(), 201, `join: ${await r.text()}`);
  await page.goto(`${koe.base}/e/${event.id}/t/${talk.id}`);
  await page.locator('[data-testid="ask-form"]').waitFor();
  return page;
}

/** The poll card on an audience page, once it shows poll. */
async function card(page, poll) {
  const c = page.locator(`[data-testid="poll-card"][data-poll="${poll.id}"]`);
  await c.waitFor();
  return c;
}

async function choose(page, poll, keys) {
  const c = await card(page, poll);
  for (const k of keys) await c.locator(`label.poll-option[data-key="${k}"]`).click();
  await c.locator('[data-testid="poll-vote"]').click();
  // The vote shows in the card, and the button goes until the choice differs.
  await until('the vote taken', async () => (await c.locator('[data-testid="poll-mine"]').count()) === 1 && (await c.locator('[data-testid="poll-vote"]').count()) === 0);
}

/** The counts a results view shows, key → count, and its voters. */
async function shown(results) {
  return results.evaluate((el) => ({
    voters: Number(el.dataset.voters),
    counts: Object.fromEntries([...el.querySelectorAll('[data-key]')].map((r) => [r.dataset.key, Number(r.dataset.count)])),
  }));
}

/** Waits until the results view loc shows want (voters and the counts named). */
async function showsCounts(what, loc, want) {
  return until(
    what,
    async () => {
      if ((await loc.count()) === 0) return false;
      const s = await shown(loc.first());
      if (want.voters !== undefined && s.voters !== want.voters) return false;
      for (const [k, n] of Object.entries(want.counts ?? {})) if (s.counts[k] !== n) return false;
      return s;
    },
    10_000,
  );
}

/** Saves the overlay transparent (as OBS gets it) and over a stand-in video frame. */
async function saveOverlay(page, name) {
  await page.waitForTimeout(700); // the card's entrance settles
  const png = await page.screenshot({ omitBackground: true, path: join(shots, `${name}.png`) });
  writeFileSync(join(shots, `${name}-preview.png`), encodePNG(overVideo(decodePNG(png))));
  return decodePNG(png);
}

describe('polls', () => {
  before(async () => {
    koe = await startKoe({ token, rateLimits: 'off' });
    api = apiClient(koe.base, token);
    event = await api('POST', '/api/v1/events', { title: 'Realtime meetup', slug: 'realtime', time_zone: 'Asia/Tokyo', settings: { participant_replies: false } });
    const now = Date.now();
    talk = await api('POST', `/api/v1/events/${event.id}/talks`, {
      title: 'Designing real-time systems', speaker: 'Aiko Tanaka', track: 'Room A',
      starts_at: new Date(now - 600e3).toISOString(), ends_at: new Date(now + 3000e3).toISOString(),
    });
    await api('POST', '/api/v1/accounts', { login: 'aiko', display_name: 'Aiko Tanaka', email: '', password: password.aiko, admin: true });
    screenLink = await api('POST', `/api/v1/events/${event.id}/screen-links`, { kind: 'screen', label: 'Room A projector' });
    overlayLink = await api('POST', `/api/v1/events/${event.id}/screen-links`, { kind: 'overlay', label: 'OBS' });
    browser = await launch();
    pages = pageHelpers({ browser, base: koe.base, passwords: password });
    [mika, ren, yui] = [await participant('Mika', 'en-US'), await participant('Ren', 'en-US'), await participant('Yui', 'ja-JP')];
    staffScreen = await pages.newPage(projector, { login: 'aiko' });
    await staffScreen.goto(`${koe.base}/e/${event.id}/t/${talk.id}/screen`);
    await staffScreen.locator('[data-testid="screen"]').waitFor();
    linkScreen = await pages.newPage(projector);
    await linkScreen.goto(`${koe.base}${screenLink.path}/t/${talk.id}`);
    await linkScreen.locator('[data-testid="screen"]').waitFor();
    overlay = await pages.newPage(projector);
    await overlay.goto(`${koe.base}${overlayLink.path}?talk=${talk.id}&poll=right`);
    await overlay.locator('[data-testid="overlay"]').waitFor();
  });

  after(async () => {
    pages?.assertClean();
    await browser?.close();
    await koe?.stop();
  });

  it('shows no poll until one is open; a draft stays off the audience page', async () => {
    await staffScreen.keyboard.press('4');
    await staffScreen.locator('[data-testid="screen-no-poll"]').waitFor();
    await linkScreen.keyboard.press('?');
    const help = linkScreen.locator('.screen-help');
    await help.waitFor();
    assert.match(await help.textContent(), /4\s*Show the poll/);
    await linkScreen.keyboard.press('Escape');
    await linkScreen.keyboard.press('4');
    await linkScreen.locator('[data-testid="screen-no-poll"]').waitFor();
    await createPoll({ kind: 'rating', question: 'Not yet: a draft' });
    await mika.waitForTimeout(800);
    assert.equal(await mika.locator('[data-testid="poll-card"]').count(), 0, 'no card for a draft');
    assert.equal(await overlay.locator('[data-testid="overlay-poll"]').count(), 0, 'the overlay shows nothing');
    await staffScreen.locator('[data-testid="screen-no-poll"]').waitFor();
  });

  it('a choice poll: three phones vote, the screen and the overlay follow live, closing stops the voting', async () => {
    const poll = await createPoll({ kind: 'choice', question: 'Which transport do you use for real-time updates?', options: ['WebSocket', 'Server-Sent Events', 'Long polling'] });
    assert.equal(poll.state, 'draft');
    await patchPoll(poll, { state: 'open' });
    for (const p of [mika, ren, yui]) await card(p, poll);
    // One answer: radio buttons, and the Japanese page speaks Japanese.
    assert.equal(await mika.locator('[data-testid="poll-card"] input[type="radio"]').count(), 3);
    assert.match(await yui.locator('[data-testid="poll-vote"]').textContent(), /投票する/);
    await staffScreen.locator(`[data-testid="screen-poll"][data-poll="${poll.id}"]`).waitFor();
    await overlay.locator(`[data-testid="overlay-poll"][data-poll="${poll.id}"]`).waitFor();

    await choose(mika, poll, ['1']);
    await choose(ren, poll, ['1']);
    await choose(yui, poll, ['2']);
    const want = { voters: 3, counts: { 1: 2, 2: 1, 3: 0 } };
    await showsCounts('the staff screen counting', staffScreen.locator('[data-testid="screen-poll"] [data-testid="poll-results"]'), want);
    await showsCounts('the overlay counting', overlay.locator('[data-testid="overlay-poll"] [data-testid="poll-results"]'), want);
    await showsCounts('the screen link counting (live results)', linkScreen.locator('[data-testid="screen-poll"] [data-testid="poll-results"]'), want);
    await showsCounts('the phones seeing the live results', mika.locator('[data-testid="poll-card"] [data-testid="poll-results"]'), want);
    assert.match(await mika.locator('[data-testid="poll-card"] .pr-row[data-key="1"]').textContent(), /67%/);
    assert.match(await mika.locator('[data-testid="poll-mine"]').textContent(), /Your vote:\s*WebSocket/);
    assert.match(await yui.locator('[data-testid="poll-mine"]').textContent(), /あなたの投票：\s*Server-Sent Events/);

    // Yui changes her mind: the vote moves, the voters stay three.
    const yc = await card(yui, poll);
    await yc.locator('label.poll-option[data-key="3"]').click();
    await yc.locator('[data-testid="poll-vote"]').click();
    await until('the changed vote', async () => /Long polling/.test(await yc.locator('[data-testid="poll-mine"]').textContent()));
    await showsCounts('the screen after the change', staffScreen.locator('[data-testid="screen-poll"] [data-testid="poll-results"]'), { voters: 3, counts: { 1: 2, 2: 0, 3: 1 } });
    await showsCounts('the overlay after the change', overlay.locator('[data-testid="overlay-poll"] [data-testid="poll-results"]'), { voters: 3, counts: { 1: 2, 2: 0, 3: 1 } });

    await pages.shot(mika, 'polls-audience-phone-en');
    await pages.shot(yui, 'polls-audience-phone-ja');
    await pages.shot(staffScreen, 'polls-screen-choice');
    // The overlay: the card on the right, transparent everywhere else.
    const img = await saveOverlay(overlay, 'polls-overlay');
    const box = await overlay.locator('[data-testid="overlay-poll"]').boundingBox();
    assert.ok(box.x > 1920 / 2, 'the card is on the right');
    for (const [x, y] of [[20, 20], [960, 540], [20, 1060], [1900, 20], [1900, 1060], [Math.round(box.x) - 60, Math.round(box.y + box.height / 2)]]) {
      assert.equal(alphaAt(img, x, y), 0, `transparent at ${x},${y}`);
    }
    assert.ok(alphaAt(img, Math.round(box.x + box.width / 2), Math.round(box.y + box.height / 2)) >= 200, 'the card is (nearly) opaque');
    const bg = await overlay.evaluate(() => [getComputedStyle(document.documentElement).backgroundColor, getComputedStyle(document.body).backgroundColor]);
    assert.deepEqual(bg, ['rgba(0, 0, 0, 0)', 'rgba(0, 0, 0, 0)']);

    // Closed: no more voting anywhere, the results stay.
    await patchPoll(poll, { state: 'closed' });
    for (const p of [mika, ren, yui]) {
      const c = await card(p, poll);
      await c.locator('[data-testid="poll-closed"]').waitFor();
      assert.equal(await c.locator('[data-testid="poll-vote"]').count(), 0, 'no vote button');
      assert.equal(await c.locator('input:not([disabled]):enabled').count(), 0, 'no input to vote with');
    }
    assert.match(await yui.locator('[data-testid="poll-closed"]').textContent(), /締め切りました/);
    await pages.shot(ren, 'polls-audience-closed-en');
    await staffScreen.locator(`[data-testid="screen-poll"][data-state="closed"]`).waitFor();
    await overlay.locator(`[data-testid="overlay-poll"][data-state="closed"]`).waitFor();
    // A vote that comes anyway is refused by the server.
    const r = await mika.context().request.put(`${koe.base}${pollsPath()}/${poll.id}/vote`, { data: { options: ['2'] } });
    assert.equal(r.status(), 409, await r.text());
  });

  it('hidden results: not on the phones nor on the screens until revealed', async () => {
    const poll = await createPoll({ kind: 'choice', question: 'Which do you want next?', options: ['Scaling', 'Testing', 'Operations'], multiple: true, results_mode: 'hidden' });
    await patchPoll(poll, { state: 'open' });
    const mc = await card(mika, poll);
    assert.equal(await mc.locator('input[type="checkbox"]').count(), 3, 'several answers: checkboxes');
    await mc.locator('[data-testid="poll-results-later"]').waitFor();
    await choose(mika, poll, ['1', '2']);
    await choose(ren, poll, ['2']);
    assert.match(await mc.locator('[data-testid="poll-mine"]').textContent(), /Scaling, Testing/);
    // The projector shows what the room may see, whoever signed in on it.
    await staffScreen.locator(`[data-testid="screen-poll"][data-poll="${poll.id}"] [data-testid="screen-poll-hidden"]`).waitFor();
    await linkScreen.locator(`[data-testid="screen-poll"][data-poll="${poll.id}"] [data-testid="screen-poll-hidden"]`).waitFor();
    assert.equal(await mc.locator('[data-testid="poll-results"]').count(), 0, 'the phone shows no results');
    assert.equal(await linkScreen.locator('[data-testid="poll-results"]').count(), 0, 'the screen link shows no results');
    assert.equal(await staffScreen.locator('[data-testid="poll-results"]').count(), 0, 'the staff screen shows no results');
    await pages.shot(linkScreen, 'polls-screen-hidden');

    await patchPoll(poll, { revealed: true });
    await showsCounts('the phone after the reveal', mc.locator('[data-testid="poll-results"]'), { voters: 2, counts: { 1: 1, 2: 2, 3: 0 } });
    await showsCounts('the screen link after the reveal', linkScreen.locator('[data-testid="screen-poll"] [data-testid="poll-results"]'), { voters: 2, counts: { 2: 2 } });
    await showsCounts('the staff screen after the reveal', staffScreen.locator('[data-testid="screen-poll"] [data-testid="poll-results"]'), { voters: 2, counts: { 2: 2 } });
    assert.equal(await mc.locator('[data-testid="poll-results-later"]').count(), 0);
    // Several answers each: Testing has 100 % of the voters.
    assert.match(await mc.locator('.pr-row[data-key="2"]').textContent(), /100%/);
    await patchPoll(poll, { state: 'closed' });
  });

  it('a rating poll: five buttons, the counts and the mean', async () => {
    const poll = await createPoll({ kind: 'rating', question: 'How clear was the talk so far?' });
    await patchPoll(poll, { state: 'open' });
    for (const [p, r] of [[mika, 4], [ren, 5], [yui, 4]]) {
      const c = await card(p, poll);
      await c.locator(`button.poll-star[data-rating="${r}"]`).click();
      await c.locator(`button.poll-star[data-rating="${r}"][aria-pressed="true"]`).waitFor();
    }
    await showsCounts('the rating on the screen', staffScreen.locator('[data-testid="screen-poll"] [data-testid="poll-results"]'), { voters: 3, counts: { 4: 2, 5: 1, 1: 0 } });
    await until('the mean', async () => (await staffScreen.locator('[data-testid="poll-mean"]').getAttribute('data-mean')) === '4.3');
    await pages.shot(staffScreen, 'polls-screen-rating');
    await patchPoll(poll, { state: 'closed' });
  });

  it('a word cloud in Japanese counts the words the server splits', async () => {
    const poll = await createPoll({ kind: 'words', question: '今日のテーマをひとことで' });
    await patchPoll(poll, { state: 'open' });
    const send = async (p, text) => {
      const c = await card(p, poll);
      await c.locator('[data-testid="poll-text"]').fill(text);
      await c.locator('[data-testid="poll-send"]').click();
      await until('the answer taken', async () => (await c.locator('[data-testid="poll-mine"]').textContent().catch(() => '')).includes(text));
    };
    const yc = await card(yui, poll);
    await yc.locator('[data-testid="poll-text"]').fill('リアルタイム通信の設計');
    assert.match(await yc.locator('[data-testid="poll-counter"]').textContent(), /11 \/ 60/);
    await send(yui, 'リアルタイム通信の設計');
    await send(mika, 'リアルタイム');
    const cloud = staffScreen.locator('[data-testid="screen-poll"] [data-testid="poll-cloud"]');
    await until('リアルタイム counted twice', async () => (await cloud.locator('[data-key="リアルタイム"]').getAttribute('data-count').catch(() => null)) === '2');
    assert.equal(await cloud.locator('[data-key="リアルタイム通信の設計"]').count(), 0, 'the answer is split into words');
    await showsCounts('the cloud on the phone', yc.locator('[data-testid="poll-results"]'), { voters: 2, counts: { リアルタイム: 2 } });
    await overlay.locator(`[data-testid="overlay-poll"][data-poll="${poll.id}"] [data-key="リアルタイム"][data-count="2"]`).waitFor();
    // The biggest word is the most counted one.
    const sizes = await cloud.evaluate((el) => [...el.querySelectorAll('[data-key]')].map((w) => [w.dataset.key, parseFloat(getComputedStyle(w).fontSize)]));
    const biggest = sizes.reduce((a, b) => (b[1] > a[1] ? b : a));
    assert.equal(biggest[0], 'リアルタイム');
    // An answer the word list holds waits for a moderator: said on the phone, not counted.
    const rc = await card(ren, poll);
    await rc.locator('[data-testid="poll-text"]').fill('bullshit');
    await rc.locator('[data-testid="poll-send"]').click();
    await rc.locator('[data-testid="poll-mine"][data-status="pending"]').waitFor();
    assert.match(await rc.locator('[data-testid="poll-mine"]').textContent(), /waits for a moderator/);
    await pages.shot(ren, 'polls-audience-words-pending-en');
    await showsCounts('nothing more counted', yc.locator('[data-testid="poll-results"]'), { voters: 2, counts: { リアルタイム: 2 } });
    assert.equal(await cloud.locator('[data-key="bullshit"]').count(), 0, 'the held answer is not counted');
    await staffScreen.evaluate(() => document.querySelector('.lang-btn:not([aria-pressed="true"])')?.click());
    await staffScreen.locator('html[lang="ja"]').waitFor({ state: 'attached' });
    await pages.shot(staffScreen, 'polls-screen-words-ja');
    await pages.shot(yui, 'polls-audience-words-ja');
    await saveOverlay(overlay, 'polls-overlay-words');
  });
});
