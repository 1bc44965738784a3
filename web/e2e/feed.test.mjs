// End-to-end for the social feed: a real koe, koe's Mastodon test
// instance (internal/cmd/mastodon-test-server, built once here), an owner
// (Aiko) who adds a Mastodon source in the browser, a status published on
// the instance that koe polls in and the Feed page shows live, featured on
// the event's screen and taken off it again; a moderator (Kenji) who sees
// the sources read-only. No page may ask anything of a third party.
// Screenshots of Feed and Sources, phone and desk, English and Japanese,
// go to test-results/ (or KOE_SHOTS).
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { launch } from './lib/browser.mjs';
import { pageHelpers } from './lib/pages.mjs';
import { apiClient, startKoe } from './lib/server.mjs';
import { until } from './lib/until.mjs';

const token = 'e2e-owner-token-feed-0123456789abcdef';
const root = new URL('../../', import.meta.url).pathname;
const desk = { width: 1440, height: 900 };
const phone = { width: 390, height: 844 };
const projector = { width: 1920, height: 1080 };
const mastoToken = 'e2e-mastodon-user-token';
const password = { aiko: 'Blue-Harbor-Lantern-42', kenji: 'Quiet-Maple-Orbit-77' };

let koe, api, browser, event, talk, instance, tmp, pages;

/** Builds and starts the Mastodon test instance; resolves with its URL and process. */
async function startInstance() {
  tmp = mkdtempSync(join(tmpdir(), 'koe-e2e-masto-'));
  const bin = join(tmp, 'mastodon-test-server');
  execFileSync('go', ['build', '-o', bin, './internal/cmd/mastodon-test-server'], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
  const child = spawn(bin, ['-addr', '127.0.0.1:0', '-token', mastoToken], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stderr.on('data', (d) => (out += d));
  const url = await new Promise((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`mastodon-test-server did not start: ${out}`)), 15_000);
    child.stdout.on('data', (d) => {
      out += d;
      const m = /listening (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        res(m[1]);
      }
    });
    child.once('exit', (code) => rej(new Error(`mastodon-test-server exited ${code}: ${out}`)));
  });
  return {
    url,
    async publish(status) {
      const r = await fetch(`${url}/test/statuses`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(status) });
      const text = await r.text();
      assert.ok(r.ok, `publish: ${r.status} ${text}`);
      return JSON.parse(text);
    },
    /** A status as the instance holds it, seen with the user token. */
    async status(id) {
      const r = await fetch(`${url}/api/v1/statuses/${id}`, { headers: { Authorization: `Bearer ${mastoToken}` } });
      return r.json();
    },
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
      }
    },
  };
}

const post = (page, text) => page.locator('[data-testid="post"]', { hasText: text });

describe('the social feed in the browser', () => {
  let aiko, screen, helloStatus;
  const hello = 'Hello from PyCon JP! The keynote on typing was great #pyconjp';

  before(async () => {
    instance = await startInstance();
    koe = await startKoe({ token, env: { KOE_INGEST_POLL: '200ms' } });
    api = apiClient(koe.base, token);
    const now = Date.now();
    event = await api('POST', '/api/v1/events', {
      title: 'PyCon JP 2026', slug: 'pyconjp-2026', time_zone: 'Asia/Tokyo',
      starts_at: new Date(now - 3600e3).toISOString(), ends_at: new Date(now + 6 * 3600e3).toISOString(),
      settings: { participant_replies: false },
    });
    talk = await api('POST', `/api/v1/events/${event.id}/talks`, {
      title: 'Keynote: typing at scale', speaker: 'Aiko Tanaka',
      starts_at: new Date(now - 600e3).toISOString(), ends_at: new Date(now + 2400e3).toISOString(),
    });
    await api('POST', '/api/v1/accounts', { login: 'aiko', display_name: 'Aiko Tanaka', email: '', password: password.aiko, admin: true });
    const k = await api('POST', '/api/v1/accounts', { login: 'kenji', display_name: 'Kenji Sato', email: '', password: password.kenji, admin: false });
    await api('PUT', `/api/v1/events/${event.id}/staff/${k.id}`, { role: 'moderator', talks: [] });
    browser = await launch();
    pages = pageHelpers({ browser, base: koe.base, passwords: password });
  });

  after(async () => {
    // Privacy: every request a koe page makes goes to koe, none to a platform.
    pages?.assertClean();
    await browser?.close();
    await koe?.stop();
    await instance?.stop();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('the owner adds a Mastodon source from the event desk; koe starts reading it', async () => {
    aiko = await pages.newPage(desk, { login: 'aiko' });
    await aiko.goto(`${koe.base}/admin/e/${event.id}`);
    await aiko.locator('[data-testid="sources-link"]').click();
    await aiko.waitForURL(new RegExp(`/admin/e/${event.id}/sources$`));
    await aiko.locator('[data-testid="sources-empty"]').waitFor();
    await aiko.locator('[data-testid="add-source"]').click();
    const form = aiko.locator('[data-testid="source-form"]');
    await form.locator('input[data-kind="mastodon"]').check();
    await form.getByLabel('Name', { exact: true }).fill('Mastodon #pyconjp');
    await form.getByLabel('Instance URL', { exact: true }).fill(instance.url);
    await form.getByLabel('Hashtags', { exact: true }).fill('#PyConJP');
    await form.locator('[data-testid="source-save"]').click();
    const card = aiko.locator('[data-testid="source"]', { hasText: 'Mastodon #pyconjp' });
    await card.waitFor();
    await card.locator('.term', { hasText: '#pyconjp' }).waitFor();
    // The page reads health every 5 s: the runner has started it by then.
    await until('the source to poll', async () => /^(polling|streaming)$/.test((await card.getAttribute('data-state')) ?? ''), 15_000);
    const [src] = (await api('GET', `/api/v1/events/${event.id}/sources`)).sources;
    assert.equal(src.kind, 'mastodon');
    assert.equal(src.config.instance, instance.url);
    assert.deepEqual(src.config.hashtags, ['pyconjp']);
    assert.equal(src.config.secret_set, false);
  });

  it('a status published on the instance appears on the Feed page, live', async () => {
    await aiko.goto(`${koe.base}/admin/e/${event.id}/feed`);
    await aiko.locator('[data-testid="feed-empty"]').waitFor();
    helloStatus = await instance.publish({ text: hello, tags: ['pyconjp'], acct: 'alice', display_name: 'Alice Liddell', language: 'en' });
    const card = post(aiko, 'The keynote on typing was great');
    await card.waitFor({ timeout: 15_000 });
    assert.match(await card.locator('.platform').textContent(), /Mastodon/);
    assert.match(await card.textContent(), /Alice Liddell/);
    assert.match(await card.textContent(), /@alice/);
    assert.equal(await card.locator('[data-testid="post-text"]').getAttribute('dir'), 'auto');
    // Initials, never the platform's avatar; no <img> at all.
    assert.equal(await card.locator('.fp-avatar').textContent(), 'AL');
    assert.equal(await aiko.locator('[data-testid="feed-list"] img').count(), 0);
    const link = card.locator('[data-testid="post-link"]');
    if (await link.count()) {
      assert.equal(await link.getAttribute('rel'), 'noopener noreferrer');
      assert.equal(await link.getAttribute('target'), '_blank');
    }
    // No credential on the source: no engage buttons.
    assert.equal(await card.locator('[data-action="favourite"]').count(), 0);
  });

  it('featured, it shows on the screen beside the join QR; unfeatured, it goes', async () => {
    screen = await pages.newPage(projector, { login: 'aiko' });
    await screen.goto(`${koe.base}/e/${event.id}/t/${talk.id}/screen`);
    await screen.locator('[data-testid="screen-code"]').waitFor();
    assert.equal(await screen.locator('[data-testid="screen-post"]').count(), 0);

    const card = post(aiko, 'The keynote on typing was great');
    await card.locator('[data-action="feature"]').click();
    await aiko.locator('[data-testid="post"][data-featured="true"]', { hasText: 'keynote' }).waitFor();
    await aiko.locator('[data-testid="featured-mark"]').waitFor();
    assert.equal(await card.locator('[data-action="feature"]').getAttribute('aria-pressed'), 'true');

    const onScreen = screen.locator('[data-testid="screen-post"]');
    await onScreen.waitFor();
    assert.match(await onScreen.textContent(), /Alice Liddell/);
    assert.match(await onScreen.textContent(), /@alice/);
    assert.match(await onScreen.textContent(), /Mastodon/);
    assert.match(await screen.locator('[data-testid="screen-post-text"]').textContent(), /The keynote on typing was great/);
    // The join QR and code stay whole and in view.
    const qr = await screen.locator('.screen-qr').boundingBox();
    const code = await screen.locator('[data-testid="screen-code"]').boundingBox();
    for (const box of [qr, code]) {
      assert.ok(box && box.width > 50 && box.y >= 0 && box.y + box.height <= projector.height, `join box in view: ${JSON.stringify(box)}`);
    }
    const postBox = await onScreen.boundingBox();
    assert.ok(postBox.x >= qr.x + qr.width, 'the post is beside the QR, not over it');
    await pages.shot(screen, 'feed-screen-featured-1920-en');

    // A screen opened now takes it from the snapshot.
    const late = await pages.newPage(projector, { login: 'aiko' });
    await late.goto(`${koe.base}/e/${event.id}/t/${talk.id}/screen`);
    await late.locator('[data-testid="screen-post"]', { hasText: 'keynote' }).waitFor();
    await late.context().close();

    // The screen loses its connection; it catches up when it is back.
    await screen.evaluate(() => window.koeLive.drop());
    await card.locator('[data-action="feature"]').click();
    await onScreen.waitFor({ state: 'detached' });
    await aiko.locator('[data-testid="featured-mark"]').waitFor({ state: 'detached' });
    await screen.locator('[data-testid="screen-idle"]').waitFor();
  });

  it('with a user token on the source, operators favourite and boost back on Mastodon', async () => {
    await aiko.goto(`${koe.base}/admin/e/${event.id}/sources`);
    const card = aiko.locator('[data-testid="source"]', { hasText: 'Mastodon #pyconjp' });
    await card.locator('[data-action="edit"]').click();
    const form = aiko.locator('[data-testid="source-form"]');
    await form.getByLabel(/User access token/).fill(mastoToken);
    await form.locator('[data-testid="source-save"]').click();
    await card.getByText('credential set').waitFor();
    const [src] = (await api('GET', `/api/v1/events/${event.id}/sources`)).sources;
    assert.equal(src.config.secret_set, true);
    assert.deepEqual(src.config.hashtags, ['pyconjp'], 'the edit kept what it did not change');

    await aiko.goto(`${koe.base}/admin/e/${event.id}/feed`);
    const p = post(aiko, 'The keynote on typing was great');
    await p.locator('[data-action="favourite"]').click();
    await p.locator('[data-action="favourite"][aria-pressed="true"]', { hasText: 'Favourited' }).waitFor();
    assert.equal(await p.locator('[data-action="like"]').count(), 0, 'Bluesky actions only on Bluesky posts');
    await until('the instance to hold the favourite', async () => (await instance.status(helloStatus.id)).favourited === true);
    await p.locator('[data-action="boost"]').click();
    await p.locator('[data-action="boost"][aria-pressed="true"]').waitFor();
    await until('the instance to hold the boost', async () => (await instance.status(helloStatus.id)).reblogged === true);
  });

  it('hidden, a post moves to the hidden tab and back', async () => {
    await instance.publish({ text: 'Buy cheap followers now!!! #pyconjp', tags: ['pyconjp'], acct: 'spam', display_name: 'Spam Bot', language: 'en' });
    const spam = post(aiko, 'Buy cheap followers');
    await spam.waitFor({ timeout: 15_000 });
    await spam.locator('[data-action="hide"]').click();
    await spam.waitFor({ state: 'detached' });
    await aiko.locator('[role="tab"][data-filter="hidden"]').click();
    await post(aiko, 'Buy cheap followers').locator('[data-action="hide"]', { hasText: 'Show' }).waitFor();
    // The tabs go by arrow keys.
    await aiko.locator('[role="tab"][data-filter="hidden"]').focus();
    await aiko.keyboard.press('Home');
    assert.equal(await aiko.locator('[role="tab"][data-filter="approved"]').getAttribute('aria-selected'), 'true');
    await post(aiko, 'The keynote on typing').waitFor();
  });

  it('a webhook source shows its URL and secret once; a signed delivery waits in moderation as a post', async () => {
    await aiko.goto(`${koe.base}/admin/e/${event.id}/sources`);
    await aiko.locator('[data-testid="add-source"]').click();
    const form = aiko.locator('[data-testid="source-form"]');
    await form.locator('input[data-kind="webhook"]').check();
    assert.equal(await form.getByLabel('Hashtags', { exact: true }).count(), 0, 'a webhook follows no hashtags');
    await form.getByLabel('Name', { exact: true }).fill('Discord relay');
    await form.getByLabel('Moderation', { exact: true }).selectOption('pre');
    await form.locator('[data-testid="source-save"]').click();
    const box = aiko.locator('[data-testid="webhook-secret"]');
    await box.waitFor();
    const url = await box.locator('[data-testid="webhook-url"]').inputValue();
    const secret = await box.locator('[data-testid="secret"]').inputValue();
    assert.match(url, new RegExp(`/api/v1/ingest/\\d+$`));
    assert.ok(secret.length >= 16, 'a signing secret');
    assert.match(await box.textContent(), /X-Koe-Signature: sha256=HEX\(HMAC-SHA256\(secret, timestamp \+ "\." \+ body\)\)/);
    await pages.shot(aiko, 'sources-webhook-secret-1440-en');
    await box.getByRole('button', { name: 'I have saved it' }).click();
    await box.waitFor({ state: 'detached' });
    // The secret is not shown again: the card has the URL only.
    const card = aiko.locator('[data-testid="source"]', { hasText: 'Discord relay' });
    await card.locator('[data-testid="webhook-url"]').waitFor();
    assert.equal(await aiko.locator('[data-testid="secret"]').count(), 0);

    // The relay signs "timestamp.body" with the secret.
    const body = JSON.stringify({ posts: [{ id: 'discord-1', author: { handle: 'mika#0420', name: 'Mika' }, text: 'Where is the sprint room?', lang: 'en' }] });
    const ts = String(Math.floor(Date.now() / 1000));
    const sig = `sha256=${createHmac('sha256', secret).update(`${ts}.${body}`).digest('hex')}`;
    const bad = await fetch(koe.base + new URL(url).pathname, { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-Koe-Timestamp': ts, 'X-Koe-Signature': 'sha256=00' }, body });
    assert.equal(bad.status, 401, 'a wrong signature is refused');
    const ok = await fetch(koe.base + new URL(url).pathname, { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-Koe-Timestamp': ts, 'X-Koe-Signature': sig }, body });
    assert.equal(ok.status, 200, await ok.text());

    // Pre-moderated: it waits; the Feed's waiting tab shows it, the queue has it as a post.
    await aiko.goto(`${koe.base}/admin/e/${event.id}/feed`);
    await aiko.locator('[role="tab"][data-filter="pending"]').click();
    const waiting = post(aiko, 'Where is the sprint room?');
    await waiting.waitFor();
    assert.equal(await waiting.locator('[data-action="feature"]').count(), 0, 'only approved posts can be featured');
    await aiko.goto(`${koe.base}/admin/e/${event.id}/moderation`);
    const review = aiko.locator('[data-testid="review"]', { hasText: 'Where is the sprint room?' });
    await review.waitFor();
    const origin = review.locator('[data-testid="review-post"]');
    await origin.locator('.platform', { hasText: 'Webhook' }).waitFor();
    assert.match(await origin.textContent(), /Mika/);
    assert.match(await origin.textContent(), /@mika#0420/);
    assert.match(await review.textContent(), /Post/);
    assert.doesNotMatch(await review.textContent(), /Talk \d+|Keynote/, 'a post is of no talk');
    await review.locator('.rv-select').click();
    await review.locator('[data-action="approve"]').click();
    await aiko.goto(`${koe.base}/admin/e/${event.id}/feed`);
    await post(aiko, 'Where is the sprint room?').locator('[data-action="feature"]').waitFor();
  });

  it('a moderator sees the sources read-only', async () => {
    const kenji = await pages.newPage(desk, { login: 'kenji' });
    await kenji.goto(`${koe.base}/admin/e/${event.id}/sources`);
    await kenji.locator('[data-testid="source"]', { hasText: 'Mastodon #pyconjp' }).waitFor();
    assert.equal(await kenji.locator('[data-testid="add-source"]').count(), 0);
    assert.equal(await kenji.locator('[data-testid="source-enabled"]').count(), 0);
    assert.equal(await kenji.locator('[data-action="delete"]').count(), 0);
    await kenji.goto(`${koe.base}/admin/e/${event.id}/feed`);
    await post(kenji, 'The keynote on typing').waitFor();
    await kenji.context().close();
  });

  it('screenshots: Feed and Sources, phone and desk, English and Japanese', async () => {
    await instance.publish({ text: '型ヒントの話、とても参考になりました！\n来年も参加したいです #pyconjp', tags: ['pyconjp'], acct: 'hanako', display_name: '山田 花子', language: 'ja' });
    await instance.publish({ text: 'Slides are up, thanks everyone who came to the sprint room 🙌 #PyConJP', tags: ['pyconjp'], acct: 'kenta', display_name: 'Kenta', language: 'en' });
    await post(aiko, '型ヒントの話').waitFor({ timeout: 15_000 });
    await post(aiko, 'Slides are up').waitFor({ timeout: 15_000 });
    // The keyboard: J moves to the next post, F puts the focused one on the screen.
    await aiko.locator('[data-testid="post"]').first().focus();
    const second = await aiko.locator('[data-testid="post"]').nth(1).getAttribute('data-pid');
    await aiko.keyboard.press('j');
    assert.equal(await aiko.evaluate(() => document.activeElement?.getAttribute('data-pid')), second);
    await post(aiko, 'The keynote on typing').focus();
    await aiko.keyboard.press('f');
    await aiko.locator('[data-testid="post"][data-featured="true"]', { hasText: 'The keynote on typing' }).waitFor();
    // A source whose instance is down: its card says why.
    const down = await api('POST', `/api/v1/events/${event.id}/sources`, {
      kind: 'mastodon', name: 'Instance that is down', enabled: true, moderation: '', config: { instance: 'http://127.0.0.1:9', hashtags: ['pyconjp'] },
    });
    await until('the down source to report its error', async () => {
      const { sources } = await api('GET', `/api/v1/events/${event.id}/sources`);
      return sources.find((x) => x.id === down.id)?.health?.last_error;
    }, 15_000);
    await aiko.goto(`${koe.base}/admin/e/${event.id}/sources`);
    await aiko.locator(`[data-sid="${down.id}"] [data-testid="last-error"]`).waitFor({ timeout: 8000 });
    const violations = [];
    for (const [lang, locale] of [['en', 'en-US'], ['ja', 'ja-JP']]) {
      for (const [size, viewport] of [['390', phone], ['1440', desk]]) {
        const page = await pages.newPage(viewport, { login: 'aiko', locale });
        await page.goto(`${koe.base}/admin/e/${event.id}/feed`);
        await post(page, '型ヒントの話').waitFor();
        await page.locator('[data-testid="featured-mark"]').waitFor();
        await pages.shot(page, `feed-${size}-${lang}`);
        assert.equal((await page.locator('h1').innerText()).trim(), lang === 'ja' ? 'ソーシャルフィード' : 'Social feed');
        violations.push(...(await pages.audit(page)));
        await page.goto(`${koe.base}/admin/e/${event.id}/sources`);
        await page.locator('[data-testid="source"]').first().waitFor();
        await pages.shot(page, `sources-${size}-${lang}`);
        assert.equal((await page.locator('h1').innerText()).trim(), lang === 'ja' ? 'ソース' : 'Sources');
        violations.push(...(await pages.audit(page)));
        if (size === '1440') {
          await page.locator('[data-testid="add-source"]').click();
          await page.locator('[data-testid="source-form"] input[data-kind="bluesky"]').check();
          await pages.shot(page, `sources-add-bluesky-${size}-${lang}`);
          violations.push(...(await pages.audit(page)));
        }
        await page.context().close();
      }
    }
    assert.deepEqual(violations, [], 'no serious or critical axe violation on Feed and Sources');
    await screen.locator('[data-testid="screen-post"]', { hasText: 'keynote' }).waitFor();
    await pages.shot(screen, 'feed-screen-featured-1920-en');

    // A highlighted question and a featured post share the screen; the QR stays.
    const joined = await fetch(`${koe.base}/api/v1/join`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ code: event.join_code, display_name: 'Kaori' }) });
    const { token: asker } = await joined.json();
    const asked = await fetch(`${koe.base}/api/v1/events/${event.id}/talks/${talk.id}/questions`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${asker}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ body: 'How do you keep type hints in sync with runtime validation in a large codebase?' }),
    });
    const q = JSON.parse(await asked.text());
    await api('PUT', `/api/v1/events/${event.id}/talks/${talk.id}/highlight`, { question_id: q.id });
    await screen.locator('[data-testid="screen-highlight"]').waitFor();
    await screen.locator('.screen-post-small').waitFor();
    const hl = await screen.locator('[data-testid="screen-highlight"]').boundingBox();
    const card = await screen.locator('[data-testid="screen-post"]').boundingBox();
    assert.ok(card.y >= hl.y + hl.height && card.y + card.height <= projector.height, `both in view: ${JSON.stringify({ hl, card })}`);
    await pages.shot(screen, 'feed-screen-featured-highlight-1920-en');
  });

  it('reading further down, new posts wait behind "N new" instead of pushing the list', async () => {
    const page = await pages.newPage(phone, { login: 'aiko' });
    await page.goto(`${koe.base}/admin/e/${event.id}/feed`);
    await post(page, 'Slides are up').waitFor();
    await page.evaluate(() => window.scrollTo(0, document.body.scrollHeight));
    await until('the page to scroll down', () => page.evaluate(() => window.scrollY > 240));
    await instance.publish({ text: 'The lunch queue is short now #pyconjp', tags: ['pyconjp'], acct: 'yuki', display_name: 'Yuki', language: 'en' });
    const more = page.locator('[data-testid="feed-new"]', { hasText: '1 new post' });
    await more.waitFor({ timeout: 15_000 });
    assert.equal(await post(page, 'The lunch queue').count(), 0, 'held back while reading');
    const uncovered = await more.evaluate((el) => {
      const r = el.getBoundingClientRect();
      return r.top >= 0 && r.bottom <= innerHeight && el.contains(document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2));
    });
    assert.ok(uncovered, 'the "new posts" button is in view and on top');
    await pages.shot(page, 'feed-new-posts-390-en');
    await more.click();
    await post(page, 'The lunch queue').waitFor();
    assert.ok((await page.evaluate(() => window.scrollY)) < 40, 'back at the top');
    await more.waitFor({ state: 'detached' });
  });
});
