// End-to-end for outbound webhooks: a real koe (private destinations
// allowed, so that it may deliver to loopback), a real HTTP receiver on
// 127.0.0.1 that checks every request's signature with the secret the
// owner copied from the page, an owner (Aiko) who adds the webhook in the
// browser, participants who ask through the API, and the page's delivery
// log following what the receiver saw: delivered (200), failed (500),
// recovered and redelivered. A moderator (Kenji) gets neither the link nor
// the page. Screenshots, phone and desk, English and Japanese, go to
// test-results/ (or KOE_SHOTS).
import assert from 'node:assert/strict';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { launch } from './lib/browser.mjs';
import { pageHelpers } from './lib/pages.mjs';
import { apiClient, startKoe } from './lib/server.mjs';
import { until } from './lib/until.mjs';

const token = 'e2e-owner-token-integrations-0123456789';
const desk = { width: 1280, height: 800 };
const phone = { width: 390, height: 844 };
const password = { aiko: 'Amber-Kettle-Signal-58', kenji: 'Quiet-Maple-Orbit-77' };

let koe, api, browser, event, talk, receiver, pages;

/**
 * A webhook receiver as an integrator would write one: it verifies
 * X-Koe-Signature over "timestamp.raw body" with the secret it was given
 * (401 when it does not match or the timestamp is stale) and answers with
 * status (200 until the test says otherwise).
 */
function startReceiver() {
  const r = { secret: '', status: 200, got: [], url: '' };
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const ts = String(req.headers['x-koe-timestamp'] ?? '');
      const sig = String(req.headers['x-koe-signature'] ?? '');
      const want = `sha256=${createHmac('sha256', r.secret).update(`${ts}.`).update(raw).digest('hex')}`;
      const fresh = /^\d+$/.test(ts) && Math.abs(Date.now() / 1000 - Number(ts)) < 300;
      const verified = r.secret !== '' && fresh && sig.length === want.length && timingSafeEqual(Buffer.from(sig), Buffer.from(want));
      let body = null;
      try {
        body = JSON.parse(raw.toString('utf8'));
      } catch {
        // recorded as null: the test fails on it
      }
      const status = verified ? r.status : 401;
      r.got.push({ method: req.method, path: req.url, headers: req.headers, body, verified, status });
      res.writeHead(status, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(verified ? { received: req.headers['x-koe-delivery'], status } : { error: 'bad signature' }));
    });
  });
  return new Promise((res) => {
    server.listen(0, '127.0.0.1', () => {
      r.url = `http://127.0.0.1:${server.address().port}/hooks/koe?from=e2e`;
      r.stop = () => new Promise((done) => server.close(done));
      res(r);
    });
  });
}

/** A participant who joins and asks; returns the question. */
async function ask(text) {
  const joined = await fetch(`${koe.base}/api/v1/join`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ code: event.join_code, display_name: 'Mika' }) });
  assert.ok(joined.ok, await joined.clone().text());
  const { token: asker } = await joined.json();
  return apiClient(koe.base, asker)('POST', `/api/v1/events/${event.id}/talks/${talk.id}/questions`, { body: text });
}

/** What the receiver got of one type whose data holds text. */
function received(type, text) {
  return receiver.got.filter((g) => g.body?.type === type && (!text || JSON.stringify(g.body.data ?? null).includes(text)));
}

const row = (page, key) => page.locator(`[data-testid="delivery"][data-key="${key}"]`);

describe('outbound webhooks in the browser', () => {
  let aiko, hookID, firstKey;
  const q1 = 'How do you test webhooks without a public URL?';
  const q2 = 'Is the signature computed over the raw body or the parsed JSON?';

  before(async () => {
    receiver = await startReceiver();
    koe = await startKoe({ token, env: { KOE_WEBHOOK_ALLOW_PRIVATE: 'true' } });
    api = apiClient(koe.base, token);
    const now = Date.now();
    event = await api('POST', '/api/v1/events', {
      title: 'Go Conference Tokyo 2026', slug: 'gocon-2026', time_zone: 'Asia/Tokyo',
      starts_at: new Date(now - 3600e3).toISOString(), ends_at: new Date(now + 6 * 3600e3).toISOString(),
      settings: { participant_replies: true },
    });
    talk = await api('POST', `/api/v1/events/${event.id}/talks`, {
      title: 'Webhooks that never lose an event', speaker: 'Aiko Tanaka',
      starts_at: new Date(now - 600e3).toISOString(), ends_at: new Date(now + 2400e3).toISOString(),
    });
    await api('PATCH', `/api/v1/events/${event.id}/talks/${talk.id}`, { qa_open: true });
    // Aiko is an owner of this event, not an admin: the page goes by the event's role.
    const a = await api('POST', '/api/v1/accounts', { login: 'aiko', display_name: 'Aiko Tanaka', email: '', password: password.aiko, admin: false });
    await api('PUT', `/api/v1/events/${event.id}/staff/${a.id}`, { role: 'owner', talks: [] });
    const k = await api('POST', '/api/v1/accounts', { login: 'kenji', display_name: 'Kenji Sato', email: '', password: password.kenji, admin: false });
    await api('PUT', `/api/v1/events/${event.id}/staff/${k.id}`, { role: 'moderator', talks: [] });
    browser = await launch();
    pages = pageHelpers({ browser, base: koe.base, passwords: password, clipboard: true });
  });

  after(async () => {
    // The page talks to koe only: koe, not the browser, calls the receiver.
    pages?.assertClean();
    await browser?.close();
    await koe?.stop();
    await receiver?.stop();
  });

  it('the owner adds a webhook from the event desk and copies its secret, shown once', async () => {
    aiko = await pages.newPage(desk, { login: 'aiko' });
    await aiko.goto(`${koe.base}/admin/e/${event.id}`);
    await aiko.locator('[data-testid="integrations-link"]').click();
    await aiko.waitForURL(new RegExp(`/admin/e/${event.id}/integrations$`));
    assert.equal((await aiko.locator('h1').innerText()).trim(), 'Integrations');
    await aiko.locator('[data-testid="webhooks-empty"]').waitFor();
    await aiko.locator('[data-testid="add-webhook"]').click();
    const form = aiko.locator('[data-testid="hook-form"]');

    // What a new webhook takes to start with: the public question events, nothing private.
    const checked = await form.locator('input[type="checkbox"][data-event]').evaluateAll((els) => els.filter((e) => e.checked).map((e) => e.dataset.event));
    assert.deepEqual(checked, ['question.created', 'question.approved', 'question.answered']);
    assert.equal(await form.locator('input[data-event]').count(), 13);
    assert.match(await form.textContent(), /nobody else has seen yet/);
    await form.locator('input[data-event="review.created"]').check();
    await form.locator('[data-testid="private-note"]').waitFor();
    await form.locator('input[data-event="review.created"]').uncheck();
    await form.locator('[data-testid="private-note"]').waitFor({ state: 'detached' });

    // The form says what is wrong before asking koe.
    await form.getByLabel('Destination URL').fill('hooks.example.com/koe');
    await form.locator('[data-testid="hook-save"]').click();
    await form.locator('[data-testid="url-error"]').waitFor();
    assert.equal(await form.getByLabel('Destination URL').getAttribute('aria-invalid'), 'true');
    assert.equal(await aiko.evaluate(() => document.activeElement?.getAttribute('type')), 'url', 'the URL field has the focus');

    await form.getByLabel('Destination URL').fill(receiver.url);
    await form.getByLabel(/Description/).fill('Q&A wall in the hallway');
    await form.locator('input[data-event="question.approved"]').uncheck();
    await form.locator('input[data-event="question.answered"]').uncheck();
    await form.locator('[data-testid="hook-save"]').click();

    const box = aiko.locator('[data-testid="webhook-secret"]');
    await box.waitFor();
    assert.match(await box.locator('[data-testid="verify-recipe"]').textContent(), /X-Koe-Signature: sha256=HEX\(HMAC-SHA256\(secret, timestamp \+ "\." \+ body\)\)/);
    await pages.shot(aiko, 'integrations-secret-1280-en');
    await box.getByRole('button', { name: 'Copy' }).click();
    await aiko.locator('.toast', { hasText: 'Copied' }).waitFor();
    const copied = await aiko.evaluate(() => navigator.clipboard.readText());
    assert.equal(copied, await box.locator('[data-testid="secret"]').inputValue(), 'Copy puts the secret on the clipboard');
    assert.match(copied, /^whsec_\S{16,}$/);
    receiver.secret = copied;
    await box.getByRole('button', { name: 'I have saved it' }).click();
    await box.waitFor({ state: 'detached' });
    assert.equal(await aiko.locator('[data-testid="secret"]').count(), 0, 'the secret is not shown again');

    const card = aiko.locator('[data-testid="webhook"]');
    await card.waitFor();
    assert.deepEqual(await card.locator('.hook-event').evaluateAll((els) => els.map((e) => e.dataset.event)), ['question.created']);
    assert.match(await card.textContent(), /Q&A wall in the hallway/);
    assert.equal(await card.getAttribute('data-health'), 'idle');
    const { webhooks } = await api('GET', `/api/v1/events/${event.id}/webhooks`);
    assert.equal(webhooks.length, 1);
    assert.equal(webhooks[0].url, receiver.url);
    assert.deepEqual(webhooks[0].events, ['question.created']);
    assert.equal(webhooks[0].enabled, true);
    assert.equal(webhooks[0].secret, undefined, 'the list never carries the secret');
    hookID = webhooks[0].id;
  });

  it('a question reaches the receiver signed; the log shows it delivered with status 200', async () => {
    const q = await ask(q1);
    const [got] = await until('the receiver to get question.created', () => received('question.created', q1).length && received('question.created', q1), 20_000);
    assert.ok(got.verified, `the signature checks out with the copied secret: ${JSON.stringify(got.headers)}`);
    assert.equal(got.method, 'POST');
    assert.equal(got.path, '/hooks/koe?from=e2e');
    assert.equal(got.headers['x-koe-event'], 'question.created');
    assert.equal(got.headers['x-koe-delivery'], got.body.id, 'X-Koe-Delivery is the body\'s id');
    assert.match(String(got.headers['content-type']), /application\/json/);
    assert.equal(got.body.event_id, event.id);
    assert.ok(JSON.stringify(got.body.data).includes(q1) && JSON.stringify(got.body.data).includes(String(q.id)), 'the data is the question, with its text');
    firstKey = got.body.id;

    await aiko.locator('[data-testid="log-toggle"]').click();
    assert.equal(await aiko.locator('[data-testid="log-toggle"]').getAttribute('aria-expanded'), 'true');
    const r = row(aiko, firstKey);
    await r.and(aiko.locator('[data-state="delivered"]')).waitFor({ timeout: 15_000 });
    assert.equal((await r.locator('[data-testid="dl-status"]').innerText()).trim(), '200');
    assert.equal(await r.getAttribute('data-type'), 'question.created');
    await r.getByText('Response').click();
    assert.match(await r.locator('[data-testid="dl-response"]').innerText(), new RegExp(`"received":"${firstKey}"`));
    // The card's health follows (read every 5 s).
    await aiko.locator('[data-testid="webhook"][data-health="ok"]').waitFor({ timeout: 12_000 });
    assert.notEqual((await aiko.locator('[data-testid="hook-last-success"]').innerText()).trim(), 'never');
  });

  it('the receiver fails with 500: the log shows the failure; recovered, Retry now delivers it', async () => {
    receiver.status = 500;
    await ask(q2);
    const [got] = await until('the receiver to get the second question', () => received('question.created', q2).length && received('question.created', q2), 20_000);
    assert.ok(got.verified);
    assert.equal(got.status, 500);
    const key = got.body.id;
    const r = row(aiko, key);
    await r.waitFor({ timeout: 15_000 });
    await until('the log to show status 500', async () => (await r.locator('[data-testid="dl-status"]').innerText()).trim() === '500', 15_000);
    assert.notEqual(await r.getAttribute('data-state'), 'delivered');
    assert.match(await r.locator('[data-testid="dl-error"]').innerText(), /500/);
    await aiko.locator('[data-testid="webhook"][data-health="failing"]').waitFor({ timeout: 12_000 });
    await aiko.locator('[data-testid="hook-error"]', { hasText: '500' }).waitFor();
    await pages.shot(aiko, 'integrations-failing-1280-en');

    // Filtered to delivered ones, the failure is not listed; to all, it is.
    await aiko.locator('[data-testid="dl-filter"]').selectOption('delivered');
    await row(aiko, firstKey).waitFor();
    await until('the filter to drop the failure', async () => (await r.count()) === 0);
    await aiko.locator('[data-testid="dl-filter"]').selectOption('');
    await r.waitFor();

    receiver.status = 200;
    const before = received('question.created', q2).length;
    await r.locator('[data-action="redeliver"]').click();
    await r.and(aiko.locator('[data-state="delivered"]')).waitFor({ timeout: 15_000 });
    assert.equal((await r.locator('[data-testid="dl-status"]').innerText()).trim(), '200');
    const again = received('question.created', q2);
    assert.ok(again.length > before, 'the receiver got it again');
    assert.ok(again.every((g) => g.body.id === key && g.verified), 'with the same key, signed');
    assert.ok(Number(await r.getAttribute('data-attempts')) >= 2);
    await aiko.locator('[data-testid="webhook"][data-health="ok"]').waitFor({ timeout: 12_000 });
  });

  it('Redeliver sends a delivered one again, under its own key', async () => {
    const r = row(aiko, firstKey);
    const n = received('question.created', q1).length;
    await r.locator('[data-action="redeliver"]', { hasText: 'Redeliver' }).click();
    await aiko.locator('.toast', { hasText: 'Queued again.' }).waitFor();
    await until('the receiver to get the first question again', () => received('question.created', q1).length > n, 15_000);
    const last = received('question.created', q1).at(-1);
    assert.equal(last.body.id, firstKey);
    assert.ok(last.verified);
    await until('the log to count the attempt', async () => Number(await r.getAttribute('data-attempts')) >= 2, 15_000);
    await r.and(aiko.locator('[data-state="delivered"]')).waitFor();
  });

  it('a test delivery; a renewed secret signs from then on', async () => {
    const card = aiko.locator('[data-testid="webhook"]');
    await card.locator('[data-action="ping"]').click();
    const [ping] = await until('the receiver to get the ping', () => receiver.got.filter((g) => g.headers['x-koe-event'] === 'ping').length && receiver.got.filter((g) => g.headers['x-koe-event'] === 'ping'), 15_000);
    assert.ok(ping.verified);
    await aiko.locator('[data-testid="delivery"][data-type="ping"][data-state="delivered"]').waitFor({ timeout: 15_000 });

    const old = receiver.secret;
    await card.locator('[data-action="renew"]').click();
    const box = aiko.locator('[data-testid="webhook-secret"]');
    await box.waitFor();
    const renewed = await box.locator('[data-testid="secret"]').inputValue();
    assert.match(renewed, /^whsec_/);
    assert.notEqual(renewed, old);
    await box.getByRole('button', { name: 'I have saved it' }).click();
    // Still the old secret at the receiver: the next delivery does not verify …
    const n = receiver.got.length;
    await card.locator('[data-action="ping"]').click();
    const [bad] = await until('the ping signed with the new secret', () => receiver.got.length > n && receiver.got.slice(n), 15_000);
    assert.equal(bad.verified, false, 'the old secret no longer verifies');
    // … and with the new one it does.
    receiver.secret = renewed;
    const m = receiver.got.length;
    await card.locator('[data-action="ping"]').click();
    const [good] = await until('another ping', () => receiver.got.length > m && receiver.got.slice(m), 15_000);
    assert.ok(good.verified);
  });

  it('in Japanese, the page and its log read in Japanese', async () => {
    await aiko.getByRole('button', { name: '日本語' }).click();
    await aiko.locator('h1', { hasText: '連携' }).waitFor();
    assert.equal((await aiko.locator('h2').first().innerText()).trim(), '送信 Webhook');
    await aiko.locator('h4 [data-testid="log-toggle"]', { hasText: '配信ログ' }).waitFor();
    await aiko.locator('[data-testid="dl-filter"] option', { hasText: '配信済み' }).waitFor({ state: 'attached' });
    await aiko.locator('[data-action="ping"]', { hasText: 'テスト送信' }).waitFor();
    assert.equal(await aiko.evaluate(() => document.documentElement.lang), 'ja');
    await aiko.getByRole('button', { name: 'EN' }).click();
    await aiko.locator('h1', { hasText: 'Integrations' }).waitFor();
  });

  it('edits change only what changed; switched off, it is off', async () => {
    const card = aiko.locator('[data-testid="webhook"]');
    await card.locator('[data-action="edit"]').click();
    const form = aiko.locator('[data-testid="hook-form"]');
    await form.locator('input[data-event="question.answered"]').check();
    await form.locator('[data-testid="hook-save"]').click();
    await form.waitFor({ state: 'detached' });
    await card.locator('.hook-event[data-event="question.answered"]').waitFor();
    const w = await api('GET', `/api/v1/events/${event.id}/webhooks/${hookID}`);
    assert.deepEqual(w.events, ['question.created', 'question.answered']);
    assert.equal(w.url, receiver.url);
    await card.locator('[data-testid="hook-enabled"]').uncheck();
    await aiko.locator('[data-testid="webhook"][data-health="off"]').waitFor();
    assert.equal((await api('GET', `/api/v1/events/${event.id}/webhooks/${hookID}`)).enabled, false);
    await card.locator('[data-testid="hook-enabled"]').check();
    await aiko.locator('[data-testid="webhook"]:not([data-health="off"])').waitFor();
    assert.equal((await api('GET', `/api/v1/events/${event.id}/webhooks/${hookID}`)).enabled, true);
  });

  it('a moderator gets neither the link nor the page', async () => {
    const kenji = await pages.newPage(desk, { login: 'kenji' });
    await kenji.goto(`${koe.base}/admin/e/${event.id}`);
    await kenji.locator('[data-testid="sources-link"]').waitFor();
    assert.equal(await kenji.locator('[data-testid="integrations-link"]').count(), 0);
    await kenji.goto(`${koe.base}/admin/e/${event.id}/integrations`);
    await kenji.getByText('Only an owner of this event can see and change its integrations.').waitFor();
    assert.equal(await kenji.locator('[data-testid="add-webhook"]').count(), 0);
    const r = await kenji.context().request.get(`${koe.base}/api/v1/events/${event.id}/webhooks`);
    assert.equal(r.status(), 403, 'and koe refuses the API too');
    await kenji.context().close();
  });

  it('screenshots: phone and desk, English and Japanese, with the log open; no serious axe violation', async () => {
    const violations = [];
    for (const [lang, locale] of [['en', 'en-US'], ['ja', 'ja-JP']]) {
      for (const [size, viewport] of [['390', phone], ['1280', desk]]) {
        const page = await pages.newPage(viewport, { login: 'aiko', locale });
        await page.goto(`${koe.base}/admin/e/${event.id}/integrations`);
        await page.locator('[data-testid="webhook"]').waitFor();
        assert.equal((await page.locator('h1').innerText()).trim(), lang === 'ja' ? '連携' : 'Integrations');
        await pages.shot(page, `integrations-${size}-${lang}`);
        violations.push(...(await pages.audit(page)));
        await page.locator('[data-testid="log-toggle"]').click();
        await page.locator('[data-testid="delivery"]').first().waitFor();
        await page.locator('[data-testid="delivery"]').first().locator('summary').first().click();
        await page.locator('[data-testid="log-toggle"]').scrollIntoViewIfNeeded();
        await pages.shot(page, `integrations-log-${size}-${lang}`);
        violations.push(...(await pages.audit(page)));
        await page.locator('[data-testid="add-webhook"]').click();
        await page.locator('[data-testid="hook-form"]').scrollIntoViewIfNeeded();
        await pages.shot(page, `integrations-add-${size}-${lang}`);
        violations.push(...(await pages.audit(page)));
        // The page is as wide as the screen: nothing sticks out sideways.
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
        assert.ok(overflow <= 0, `no sideways scrolling at ${size} (${overflow}px)`);
        await page.context().close();
      }
    }
    assert.deepEqual(violations, [], 'no serious or critical axe violation on Integrations');
  });

  it('the log pages back with next_before: older deliveries load below, none twice', async () => {
    for (let i = 0; i < 26; i++) await api('POST', `/api/v1/events/${event.id}/webhooks/${hookID}/ping`);
    const all = async () => {
      const ids = [];
      for (let before = null; ;) {
        const page = await api('GET', `/api/v1/events/${event.id}/webhooks/${hookID}/deliveries?limit=200${before ? `&before=${before}` : ''}`);
        ids.push(...page.deliveries.map((d) => d.id));
        if (!page.next_before) return ids;
        before = page.next_before;
      }
    };
    const total = (await all()).length;
    assert.ok(total > 25, `more than a page (${total})`);
    await aiko.reload();
    await aiko.locator('[data-testid="log-toggle"]').click();
    const rows = aiko.locator('[data-testid="delivery"]');
    await until('the first page', async () => (await rows.count()) === 25);
    await aiko.locator('[data-testid="dl-older"]').click();
    await until('every delivery', async () => (await rows.count()) === total);
    await aiko.locator('[data-testid="dl-older"]').waitFor({ state: 'detached' });
    const shown = await rows.evaluateAll((els) => els.map((e) => Number(e.dataset.did)));
    assert.deepEqual(shown, [...shown].sort((a, b) => b - a), 'newest first');
    assert.equal(new Set(shown).size, shown.length, 'none twice');
    assert.deepEqual(new Set(shown), new Set(await all()));
  });

  it('deleted, the webhook and its log are gone', async () => {
    await aiko.reload();
    await aiko.locator('[data-testid="webhook"] [data-action="delete"]').click();
    await aiko.locator('[data-testid="webhooks-empty"]').waitFor();
    assert.deepEqual((await api('GET', `/api/v1/events/${event.id}/webhooks`)).webhooks, []);
  });
});
