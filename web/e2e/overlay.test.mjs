// End-to-end for the OBS overlay (F19): a real koe and headless Chromium
// at 1920×1080 with no cookies, as OBS's browser source opens it. The
// owner makes an overlay link through the API; the overlay is transparent
// wherever no widget is (read from the screenshot's alpha channel), shows
// the highlighted question as a lower third, the featured post and
// reaction bursts live, keeps everything on screen through a dropped
// connection and catches up, shows one compact badge when its link is
// rotated, never writes and asks nobody but koe. Screenshots (transparent,
// as OBS gets them, and over a stand-in video frame for people to look at)
// go to test-results/ (or KOE_SHOTS): dark and light, English and Japanese.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { launch } from './lib/browser.mjs';
import { pageHelpers } from './lib/pages.mjs';
import { alphaAt, decodePNG, encodePNG, maxAlpha, opaqueShare, overVideo } from './lib/png.mjs';
import { apiClient, startKoe } from './lib/server.mjs';
import { until } from './lib/until.mjs';

const token = 'e2e-owner-token-overlay-0123456789abcdef';
const frame = { width: 1920, height: 1080 };
const shots = process.env.KOE_SHOTS ?? new URL('../../test-results/', import.meta.url).pathname;
const accent = '#0f766e';

let koe, api, browser, pages, event, talk, link, participant, relay;
const questions = {};

/** A participant's request with its bearer token (not a browser: the overlay's context stays cookie-free). */
async function asParticipant(method, path, body) {
  const r = await fetch(koe.base + path, {
    method,
    headers: { Authorization: `Bearer ${participant}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await r.text();
  if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

/** A post delivered by the signed webhook source, approved as it arrives; its id. */
async function ingest(id, text, author) {
  const body = JSON.stringify({ posts: [{ id, author, text, lang: 'en' }] });
  const ts = String(Math.floor(Date.now() / 1000));
  const sig = `sha256=${createHmac('sha256', relay.secret).update(`${ts}.${body}`).digest('hex')}`;
  const r = await fetch(`${koe.base}/api/v1/ingest/${relay.id}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Koe-Timestamp': ts, 'X-Koe-Signature': sig },
    body,
  });
  assert.equal(r.status, 200, await r.text());
  const p = await until(`post ${id} approved`, async () => {
    const { posts } = await api('GET', `/api/v1/events/${event.id}/posts?status=approved&limit=100`);
    return posts.find((x) => x.external_id === id);
  });
  return p.id;
}

const highlight = (q) => api('PUT', `/api/v1/events/${event.id}/talks/${talk.id}/highlight`, { question_id: q ? q.id : null });
const feature = (id, featured) => api('PATCH', `/api/v1/events/${event.id}/posts/${id}`, { featured });

/** An overlay page as OBS opens it: its own context, no cookies, 1920×1080; every method it uses is kept. */
async function overlay(query, { locale = 'en-US', reducedMotion = 'no-preference', path = link.path } = {}) {
  const page = await pages.newPage(frame, { locale });
  await page.emulateMedia({ reducedMotion });
  page.methods = [];
  page.on('request', (r) => page.methods.push(`${r.method()} ${new URL(r.url()).pathname}`));
  page.csp = [];
  await page.addInitScript(() => {
    window.cspViolations = [];
    document.addEventListener('securitypolicyviolation', (e) => window.cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`));
    // Every frame from the start: once koe's script has drawn anything,
    // never a page background, a spinner or a loading text.
    window.ovFrames = [];
    const tick = () => {
      if (document.querySelector('#app .skip')) {
        const bg = [document.documentElement, document.body].map((el) => getComputedStyle(el).backgroundColor).join(' ');
        window.ovFrames.push(`${bg}${document.querySelector('.loading, .spinner') ? ' spinner' : ''}`);
      }
      if (window.ovFrames.length < 120) requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  });
  assert.deepEqual(await page.context().cookies(), [], 'OBS holds no cookie');
  await page.goto(`${koe.base}${path}${query ? `?${query}` : ''}`);
  await page.locator('[data-testid="overlay"]').waitFor();
  return page;
}

/** The screenshot's pixels, transparent where the page paints nothing. */
async function pixels(page) {
  return decodePNG(await page.screenshot({ omitBackground: true }));
}

/** Saves the transparent screenshot and a copy over a stand-in video frame. */
async function save(page, name, wait = 600) {
  await page.waitForTimeout(wait); // the cards' entrance settles
  const png = await page.screenshot({ omitBackground: true, path: join(shots, `${name}.png`) });
  writeFileSync(join(shots, `${name}-preview.png`), encodePNG(overVideo(decodePNG(png))));
}

/** The boxes of the widgets drawn (cards and the reaction box), grown by their shadow. */
/** Waits until loc's animations (a card sliding in) have finished: while they run it is not where it ends up. */
async function settled(loc) {
  await until('the widget in place', () => loc.evaluate((el) => el.getAnimations({ subtree: true }).every((an) => an.playState === 'finished')));
}

async function widgetBoxes(page, grow = 48) {
  const boxes = await page.locator('.ov-card, .ov-setup').evaluateAll((els) =>
    els.map((el) => {
      const r = el.getBoundingClientRect();
      return { x: r.x, y: r.y, width: r.width, height: r.height };
    }),
  );
  return boxes.map((b) => ({ x: b.x - grow, y: b.y - grow, width: b.width + 2 * grow, height: b.height + 2 * grow }));
}

/** How many pixels outside every box are not fully transparent (at most every 4th pixel each way, for speed). */
function strayPixels(img, boxes) {
  let n = 0;
  for (let y = 0; y < img.height; y += 4) {
    for (let x = 0; x < img.width; x += 4) {
      if (boxes.some((b) => x >= b.x && x < b.x + b.width && y >= b.y && y < b.y + b.height)) continue;
      if (alphaAt(img, x, y) !== 0) n++;
    }
  }
  return n;
}

async function assertClean(page) {
  const frames = await page.evaluate(() => window.ovFrames);
  assert.ok(frames.length > 0, 'frames were watched');
  assert.deepEqual([...new Set(frames)], ['rgba(0, 0, 0, 0) rgba(0, 0, 0, 0)'], 'transparent from the first frame koe draws, no spinner');
  assert.deepEqual(await page.evaluate(() => window.cspViolations), [], 'no CSP violations');
  const writes = page.methods.filter((m) => !m.startsWith('GET '));
  assert.deepEqual(writes, [], 'the overlay only reads');
  assert.deepEqual(await page.context().cookies(), [], 'the overlay gets no cookie');
}

describe('the OBS overlay', () => {
  before(async () => {
    koe = await startKoe({ token });
    api = apiClient(koe.base, token);
    const now = Date.now();
    event = await api('POST', '/api/v1/events', {
      title: 'Stream meetup', slug: 'stream-meetup', time_zone: 'Asia/Tokyo',
      settings: { participant_replies: false, accent, reactions: ['👏', '🎉', '❤️', '🤔'] },
    });
    talk = await api('POST', `/api/v1/events/${event.id}/talks`, {
      title: 'Broadcasting Q&A', speaker: 'Aiko Tanaka',
      starts_at: new Date(now - 600e3).toISOString(), ends_at: new Date(now + 3000e3).toISOString(),
    });
    const joined = await (await fetch(`${koe.base}/api/v1/join`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ code: event.join_code, display_name: 'Mika Sato' }),
    })).json();
    participant = joined.token;
    assert.ok(participant, 'the participant has a token');
    const qs = `/api/v1/events/${event.id}/talks/${talk.id}/questions`;
    questions.named = await asParticipant('POST', qs, { body: 'How do you keep the overlay readable over a busy video?', anonymous: false });
    questions.anon = await asParticipant('POST', qs, { body: 'What happens when the venue Wi-Fi drops during the stream?', anonymous: true });
    questions.ja = await asParticipant('POST', qs, { body: '配信中に質問を画面に出すとき、どのくらいの長さまで読みやすく表示できますか？', anonymous: false });
    questions.later = await asParticipant('POST', qs, { body: 'Does the overlay catch up after a reconnect?', anonymous: false });
    const long = 'This is a rather long question that goes on and on, because some people like to give a lot of context before they get to the point, and the overlay has to fit all of it into a lower third without covering the video. ';
    questions.long = await asParticipant('POST', qs, { body: long.repeat(3).slice(0, 480).trim(), anonymous: false });
    relay = await api('POST', `/api/v1/events/${event.id}/sources`, { kind: 'webhook', name: 'Relay', moderation: 'post' });
    assert.ok(relay.secret, 'the webhook source has a secret');
    link = await api('POST', `/api/v1/events/${event.id}/screen-links`, { kind: 'overlay', label: 'OBS main' });
    assert.match(link.path, /^\/overlay\/koe_[\w-]+$/);
    browser = await launch();
    pages = pageHelpers({ browser, base: koe.base });
  });

  after(async () => {
    pages?.assertClean();
    await browser?.close();
    await koe?.stop();
  });

  it('is transparent where no widget is and opaque on one', async () => {
    const page = await overlay(`talk=${talk.id}&question=bottom&post=top-right&reactions=bottom-right&join=top-left`);
    const join = page.locator('[data-testid="overlay-join"]');
    await join.waitFor();
    assert.match(await page.locator('[data-testid="overlay-join-url"]').textContent(), new RegExp(`/j/${event.join_code}$`));
    assert.equal((await page.locator('[data-testid="overlay-join-code"]').textContent()).replace(/\s/g, ''), event.join_code);
    // Nothing highlighted, nothing featured: the join badge alone.
    await page.waitForTimeout(700);
    await settled(join);
    assert.equal(await page.locator('[data-testid="overlay-question"]').count(), 0);
    assert.equal(await page.locator('[data-testid="overlay-post"]').count(), 0);
    assert.equal(await page.locator('[data-testid="overlay-problem"]').count(), 0);
    const html = await page.evaluate(() => [getComputedStyle(document.documentElement).backgroundColor, getComputedStyle(document.body).backgroundColor]);
    assert.deepEqual(html, ['rgba(0, 0, 0, 0)', 'rgba(0, 0, 0, 0)'], 'no background on html and body');
    const img = await pixels(page);
    assert.equal(img.width, 1920);
    assert.equal(img.height, 1080);
    for (const [x, y] of [[1900, 20], [1900, 1060], [20, 1060], [960, 540], [960, 1000], [1700, 200]]) {
      assert.equal(alphaAt(img, x, y), 0, `transparent at ${x},${y}`);
    }
    const box = await join.boundingBox();
    assert.ok(box.x < 200 && box.y < 200, 'the join badge is top left');
    assert.ok(opaqueShare(img, { x: box.x + 8, y: box.y + 8, width: box.width - 16, height: box.height - 16 }) > 0.95, 'the badge is opaque');
    assert.equal(strayPixels(img, await widgetBoxes(page)), 0, 'nothing painted outside the widgets');
    assert.equal(await join.locator('svg.qr').count(), 1, 'a QR code to scan');
    assert.deepEqual(await pages.audit(page), [], 'no serious accessibility problems');
    await assertClean(page);
  });

  it('draws the join badge without its QR code on qr=0, and scales to a 1280×720 source', async () => {
    const page = await overlay('join=bottom-left&qr=0');
    const join = page.locator('[data-testid="overlay-join"]');
    await join.waitFor();
    assert.equal(await join.locator('svg').count(), 0);
    const big = await join.boundingBox();
    assert.ok(big.x < 60 && big.y + big.height > 1000, `bottom left: ${JSON.stringify(big)}`);
    await page.setViewportSize({ width: 1280, height: 720 });
    await until('the badge to scale down', async () => {
      const small = await join.boundingBox();
      return Math.abs(small.width - (big.width * 2) / 3) < 4 && Math.abs(small.y + small.height - 720 + 32) < 3;
    });
    await assertClean(page);
  });

  it('shows a highlighted question as a lower third, live, and takes it off again', async () => {
    const page = await overlay(`talk=${talk.id}`);
    await page.waitForTimeout(500);
    const before = await pixels(page);
    assert.equal(maxAlpha(before, { x: 0, y: 0, width: 1920, height: 1080 }), 0, 'nothing is shown yet: fully transparent');

    await highlight(questions.named);
    const lower = page.locator('[data-testid="overlay-question"]');
    await lower.waitFor();
    assert.equal(await lower.getAttribute('data-qid'), String(questions.named.id));
    assert.match(await lower.textContent(), /How do you keep the overlay readable/);
    assert.match(await lower.textContent(), /Mika Sato/);
    assert.match(await lower.textContent(), /Question from the audience/);
    // Measured once it has slid in: during its animation it sits lower.
    await settled(lower);
    const box = await lower.boundingBox();
    assert.ok(box.y > 700 && box.y + box.height < 1080 && Math.abs(box.x + box.width / 2 - 960) < 4, `a lower third, centred: ${JSON.stringify(box)}`);
    const img = await pixels(page);
    assert.ok(opaqueShare(img, { x: box.x + 20, y: box.y + 20, width: box.width - 40, height: box.height - 40 }) > 0.95, 'the lower third is opaque');
    assert.equal(alphaAt(img, 960, 300), 0, 'above it, the video shows');
    assert.equal(strayPixels(img, await widgetBoxes(page)), 0);
    // The card wears the event's accent.
    const bar = await lower.evaluate((el) => getComputedStyle(el).borderLeftColor);
    assert.equal(bar, 'rgb(15, 118, 110)');

    await highlight(questions.anon);
    await until('the anonymous question', async () => (await lower.getAttribute('data-qid')) === String(questions.anon.id));
    assert.match(await lower.textContent(), /Anonymous/);

    // A long one is fitted into the same band: smaller, then cut with an ellipsis.
    await highlight(questions.long);
    await until('the long question', async () => (await lower.getAttribute('data-qid')) === String(questions.long.id));
    await page.waitForTimeout(300);
    const fitted = await page.locator('[data-testid="overlay-question-body"]').evaluate((el) => ({
      size: parseFloat(getComputedStyle(el).fontSize), fits: el.scrollHeight <= el.clientHeight + 1 || el.dataset.truncated === 'true', title: el.title,
    }));
    assert.ok(fitted.fits, 'the text fits or ends in an ellipsis');
    assert.ok(fitted.size < 41, `a smaller font: ${fitted.size}`);
    const longBox = await lower.boundingBox();
    assert.ok(longBox.y > 700 && longBox.height < 300, `still a lower third: ${JSON.stringify(longBox)}`);

    await highlight(null);
    await lower.waitFor({ state: 'detached' });
    await page.waitForTimeout(300);
    assert.equal(maxAlpha(await pixels(page), { x: 0, y: 0, width: 1920, height: 1080 }), 0, 'transparent again');
    await assertClean(page);
  });

  it('shows the featured post live', async () => {
    const page = await overlay(`post=top-right`);
    const pid = await ingest('relay-1', 'The overlay on the stream looks great! #streammeetup', { handle: 'kenji', name: 'Kenji Sato' });
    await page.waitForTimeout(300);
    assert.equal(await page.locator('[data-testid="overlay-post"]').count(), 0);
    await feature(pid, true);
    const card = page.locator('[data-testid="overlay-post"]');
    await card.waitFor();
    assert.equal(await card.getAttribute('data-pid'), String(pid));
    assert.match(await card.textContent(), /The overlay on the stream looks great!/);
    assert.match(await card.textContent(), /Kenji Sato/);
    assert.equal((await card.locator('.ov-post-avatar').textContent()).trim(), 'KS', 'initials, no avatar image');
    assert.equal(await card.locator('img').count(), 0, 'no avatar is loaded');
    const box = await card.boundingBox();
    assert.ok(box.x > 1300 && box.y < 120, `top right: ${JSON.stringify(box)}`);
    await feature(pid, false);
    await card.waitFor({ state: 'detached' });
    await assertClean(page);
  });

  it('bursts reactions as participants tap them', async () => {
    const page = await overlay(`talk=${talk.id}&reactions=bottom-right`);
    const bursts = page.locator('[data-testid="reaction-bursts"]');
    await bursts.waitFor({ state: 'attached' });
    await page.waitForTimeout(500); // subscribed
    await asParticipant('POST', `/api/v1/events/${event.id}/talks/${talk.id}/reactions`, { emoji: '👏', count: 5 });
    await asParticipant('POST', `/api/v1/events/${event.id}/talks/${talk.id}/reactions`, { emoji: '🎉', count: 2 });
    await until('the taps to arrive', async () => Number(await bursts.getAttribute('data-taps')) >= 7);
    const flying = await page.locator('.burst').count();
    assert.ok(flying >= 2 && flying <= 40, `particles in flight: ${flying}`);
    assert.ok((await page.locator('.burst[data-emoji="👏"]').count()) >= 1);
    await page.waitForTimeout(400);
    const img = await pixels(page);
    const region = await page.locator('[data-testid="overlay-reactions"]').boundingBox();
    assert.ok(region.x > 1400 && region.y + region.height > 1000, `bottom right: ${JSON.stringify(region)}`);
    assert.ok(maxAlpha(img, region) > 0, 'something is drawn in the reactions box');
    assert.equal(alphaAt(img, 200, 200), 0);
    // They fly away: the box is empty again after a few seconds.
    await until('the particles to land', async () => (await page.locator('.burst').count()) === 0, 8000);
    await assertClean(page);
  });

  it('shows still counts instead of bursts with reduced motion', async () => {
    const path = `/api/v1/events/${event.id}/talks/${talk.id}/reactions`;
    const was = (await api('GET', path)).counts['👏'] ?? 0;
    await asParticipant('POST', path, { emoji: '👏', count: 4 });
    // The totals, written once a second.
    const totals = await until('the totals to be written', async () => {
      const { counts } = await api('GET', path);
      return counts['👏'] === was + 4 && counts;
    });
    const page = await overlay(`talk=${talk.id}&reactions=bottom-right`, { reducedMotion: 'reduce' });
    const counts = page.locator('[data-testid="reaction-counts"]');
    await counts.waitFor();
    const n = async (e) => Number(await counts.locator(`[data-emoji="${e}"]`).getAttribute('data-n'));
    // The totals so far, then the stream adds up.
    await until('the totals', async () => (await n('👏')) === totals['👏'], 5000);
    assert.deepEqual(await counts.locator('[data-emoji]').evaluateAll((els) => els.map((el) => el.dataset.emoji)), ['👏', '🎉', '❤️', '🤔'], "the event's emoji, in its order");
    const thinking = await n('🤔');
    await asParticipant('POST', path, { emoji: '🤔', count: 3 });
    await until('the count to grow', async () => (await n('🤔')) === thinking + 3);
    assert.equal(await page.locator('.burst').count(), 0, 'nothing flies');
    await save(page, 'overlay-reduced-motion-1920-en', 100);
    await assertClean(page);
  });

  it('keeps everything on screen through a dropped connection and catches up', async () => {
    const page = await overlay(`talk=${talk.id}&question=bottom&join=top-left`);
    await highlight(questions.named);
    const lower = page.locator('[data-testid="overlay-question"]');
    await until('the question', async () => (await lower.getAttribute('data-qid').catch(() => '')) === String(questions.named.id));
    // Watch every frame for a moment without the lower third or the badge.
    await page.evaluate(() => {
      window.ovGaps = 0;
      const tick = () => {
        if (!document.querySelector('[data-testid="overlay-question"]') || !document.querySelector('[data-testid="overlay-join"]')) window.ovGaps++;
        if (document.querySelector('[data-testid="overlay-problem"], .loading, .spinner')) window.ovGaps++;
        requestAnimationFrame(tick);
      };
      requestAnimationFrame(tick);
    });
    await page.context().setOffline(true);
    await page.waitForTimeout(1500);
    assert.equal(await lower.getAttribute('data-qid'), String(questions.named.id), 'still shown while offline');
    await highlight(questions.later); // while the overlay is away
    await page.waitForTimeout(500);
    await page.context().setOffline(false);
    await until('the overlay to catch up', async () => (await lower.getAttribute('data-qid')) === String(questions.later.id), 15_000);
    // And a WebSocket killed under it.
    await page.evaluate(() => window.koeLive.drop());
    await highlight(questions.ja);
    await until('the overlay to catch up again', async () => (await lower.getAttribute('data-qid')) === String(questions.ja.id), 15_000);
    assert.equal(await page.evaluate(() => window.ovGaps), 0, 'no frame without the widgets, no spinner, no banner');
    await highlight(null);
    await assertClean(page);
  });

  it('starts when koe answers, if it did not at first', async () => {
    // The network fails the first reads of the event (a fault, not a fake
    // koe: the requests that get through reach the real one).
    const page = await pages.newPage(frame);
    let failed = 0;
    await page.route(/\/api\/v1\/events\/\d+\/talks(\?|$)/, (route) => (failed++ < 2 ? route.abort('connectionrefused') : route.continue()));
    await page.goto(`${koe.base}${link.path}?join=top-left`);
    const badge = page.locator('[data-testid="overlay-problem"]');
    await badge.waitFor();
    assert.equal(await badge.getAttribute('data-problem'), 'unreachable');
    await page.locator('[data-testid="overlay-join"]').waitFor({ timeout: 15_000 });
    await badge.waitFor({ state: 'detached' });
    assert.ok(failed >= 2);
  });

  it('tells the person setting it up, in one small badge, that a talk is not there', async () => {
    const page = await overlay('talk=987654');
    const badge = page.locator('[data-testid="overlay-problem"]');
    await badge.waitFor();
    assert.equal(await badge.getAttribute('data-problem'), 'talk');
    assert.match(await badge.textContent(), /talk 987654/);
    await assertClean(page);
  });

  it('screenshots: dark and light, English and Japanese', async () => {
    const pid = await ingest('relay-2', 'Watching from Osaka: the reaction bursts are a nice touch 🎉 #streammeetup', { handle: 'yui@fosstodon.org', name: 'Yui Nakamura' });
    await feature(pid, true);
    const all = `talk=${talk.id}&question=bottom&post=top-right&reactions=bottom-right&join=top-left`;
    for (const [theme, lang, q, where] of [['dark', 'en', questions.named, all], ['light', 'en', questions.anon, all.replace('join=top-left', 'join=bottom-left')], ['dark', 'ja', questions.ja, all], ['light', 'ja', questions.ja, all]]) {
      await highlight(q);
      const page = await overlay(`${where}&theme=${theme}&lang=${lang}`, { locale: lang === 'ja' ? 'ja-JP' : 'en-US' });
      assert.equal(await page.getAttribute('[data-testid="overlay"]', 'data-theme'), theme);
      assert.equal(await page.evaluate(() => document.documentElement.lang), lang);
      assert.equal(await page.evaluate(() => localStorage.getItem('koe.lang')), null, 'lang= is for this page: no choice is stored for koe’s other pages');
      await page.locator('[data-testid="overlay-question"]').waitFor();
      await page.locator('[data-testid="overlay-post"]').waitFor();
      await page.locator('[data-testid="overlay-join"]').waitFor();
      if (lang === 'ja') assert.match(await page.locator('[data-testid="overlay-question"]').textContent(), /会場からの質問/);
      await page.waitForTimeout(600);
      const cards = await widgetBoxes(page, 0);
      for (const [i, a] of cards.entries()) {
        for (const b of cards.slice(i + 1)) {
          const apart = a.x + a.width <= b.x || b.x + b.width <= a.x || a.y + a.height <= b.y || b.y + b.height <= a.y;
          assert.ok(apart, `widgets do not overlap: ${JSON.stringify([a, b])}`);
        }
      }
      const img = await pixels(page);
      assert.equal(strayPixels(img, await widgetBoxes(page)), 0, `${theme} ${lang}: nothing painted outside the widgets`);
      for (const emoji of ['👏', '🎉', '❤️']) {
        await asParticipant('POST', `/api/v1/events/${event.id}/talks/${talk.id}/reactions`, { emoji, count: emoji === '👏' ? 8 : 2 });
      }
      await until('bursts', async () => (await page.locator('.burst').count()) > 3);
      await save(page, `overlay-${theme}-1920-${lang}`, 700);
      await assertClean(page);
    }
    await feature(pid, false);
    await highlight(null);
  });

  it('shows one compact badge once its link is rotated, and nothing else', async () => {
    const page = await overlay(`talk=${talk.id}&join=top-left`);
    await page.locator('[data-testid="overlay-join"]').waitFor();
    const rotated = await api('POST', `/api/v1/events/${event.id}/screen-links/${link.id}/secret`);
    assert.notEqual(rotated.secret, link.secret);
    // The open page finds out when its connection next drops (or at its next check).
    await page.evaluate(() => window.koeLive.drop());
    const badge = page.locator('[data-testid="overlay-problem"]');
    await badge.waitFor({ timeout: 15_000 });
    assert.equal(await badge.getAttribute('data-problem'), 'gone');
    await page.locator('[data-testid="overlay-join"]').waitFor({ state: 'detached' });
    // A fresh page with the old link: the badge, small, in a corner.
    const old = await overlay(`talk=${talk.id}&join=top-left`, { locale: 'ja-JP' });
    const b = old.locator('[data-testid="overlay-problem"]');
    await b.waitFor();
    assert.match(await b.textContent(), /このリンクは使えなくなりました/);
    const box = await b.boundingBox();
    assert.ok(box.width < 700 && box.height < 140 && box.x < 40 && box.y < 40, `compact, top left: ${JSON.stringify(box)}`);
    assert.equal(await old.locator('[data-testid="overlay-join"]').count(), 0, 'nothing of the event is shown');
    const img = await pixels(old);
    assert.equal(strayPixels(img, await widgetBoxes(old, 24)), 0, 'the rest is transparent');
    await save(old, 'overlay-link-gone-1920-ja');
    // The new link works.
    const fresh = await overlay(`join=top-left`, { path: rotated.path });
    await fresh.locator('[data-testid="overlay-join"]').waitFor();
    await assertClean(page);
    await assertClean(old);
    await assertClean(fresh);
  });
});
