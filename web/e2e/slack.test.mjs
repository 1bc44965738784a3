// End-to-end for Slack: a real koe pointed (KOE_SLACK_API_URL) at a small
// Slack of this test's own on 127.0.0.1 that speaks enough of Slack's Web
// API — chat.postMessage and chat.update, JSON, a bot token as Bearer,
// {"ok":true,"channel","ts"} — and records what koe sent. The installation
// has a signing secret of its own (KOE_SLACK_SIGNING_SECRET), as an
// operator may set. An owner (Aiko) connects the event's channel in the
// browser, sends a test message, and sees a question held for review reach
// the channel with Approve / Reject / Ban, then its message updated when
// she decides in koe. A moderator (Kenji) presses Approve in "Slack" (a
// request signed as Slack signs them): unlinked, he is answered with a
// link, opens it in koe, links his Slack user, presses again, and the
// message says he approved it. The link page (/slack/link#TOKEN) refuses a
// bad link clearly, in English and Japanese, also after a sign-in on the way.
// Screenshots, phone and desk, English and Japanese, go to test-results/
// (or KOE_SHOTS).
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { createServer } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { launch } from './lib/browser.mjs';
import { pageHelpers } from './lib/pages.mjs';
import { apiClient, startKoe } from './lib/server.mjs';
import { until } from './lib/until.mjs';

const token = 'e2e-owner-token-slack-0123456789abcdef';
const desk = { width: 1280, height: 800 };
const phone = { width: 390, height: 844 };
const password = { aiko: 'Amber-Kettle-Signal-58', kenji: 'Quiet-Maple-Orbit-77' };
const botToken = 'xoxb-test';
const signingSecret = '0d1e2f3a4b5c6d7e8f90a1b2c3d4e5f6';
const installationSecret = 'installation-wide-signing-secret-e2e';

let koe, api, browser, event, talk, slack, pages;

/**
 * Slack's Web API as far as koe uses it: POST {method} with a JSON body
 * and "Authorization: Bearer <bot token>". A wrong token gets what Slack
 * answers ({"ok":false,"error":"invalid_auth"}, status 200), a message
 * without a channel "channel_not_found"; a good one its channel and a new
 * ts. Every call is recorded, good or bad.
 */
function startSlack() {
  const s = { calls: [], responses: [], hooks: [], url: '', tokens: new Set([botToken]) };
  let seq = 100;
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const answer = (status, body) => {
        res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8' });
        res.end(JSON.stringify(body));
      };
      const method = (req.url ?? '').replace(/^\/api\//, '').replace(/\?.*$/, '');
      let body = null;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        // recorded as null: the test fails on it
      }
      // An incoming webhook: a message, no token, answered "ok".
      if (req.method === 'POST' && (req.url ?? '').startsWith('/services/')) {
        s.hooks.push({ path: req.url, body });
        res.writeHead(200, { 'Content-Type': 'text/plain' });
        return res.end('ok');
      }
      // A button press's response URL: koe's answer to the presser.
      if (req.method === 'POST' && (req.url ?? '').startsWith('/respond/')) {
        s.responses.push({ path: req.url, body });
        res.writeHead(200, { 'Content-Type': 'text/plain' });
        return res.end('ok');
      }
      const auth = String(req.headers.authorization ?? '');
      const call = { method, auth, contentType: String(req.headers['content-type'] ?? ''), body, ok: false };
      s.calls.push(call);
      if (req.method !== 'POST' || !['chat.postMessage', 'chat.update'].includes(method)) return answer(404, { ok: false, error: 'unknown_method' });
      if (!/^application\/json/.test(call.contentType) || body === null) return answer(200, { ok: false, error: 'invalid_json' });
      if (!auth.startsWith('Bearer ') || !s.tokens.has(auth.slice(7))) return answer(200, { ok: false, error: 'invalid_auth' });
      if (!body.channel) return answer(200, { ok: false, error: 'channel_not_found' });
      if (method === 'chat.update' && !body.ts) return answer(200, { ok: false, error: 'message_not_found' });
      call.ok = true;
      const ts = method === 'chat.update' ? body.ts : `1700000000.000${seq++}`;
      call.ts = ts;
      answer(200, { ok: true, channel: body.channel, ts, message: { text: body.text ?? '', blocks: body.blocks ?? [] } });
    });
  });
  return new Promise((res) => {
    server.listen(0, '127.0.0.1', () => {
      s.url = `http://127.0.0.1:${server.address().port}`;
      s.stop = () => new Promise((done) => server.close(done));
      res(s);
    });
  });
}

/** The calls Slack got of a method whose message (text and blocks) holds text. */
function got(method, text) {
  return slack.calls.filter((c) => c.method === method && c.ok && (!text || JSON.stringify([c.body?.text, c.body?.blocks]).includes(text)));
}

/** Every action_id in a message's blocks. */
function actionIDs(blocks) {
  const ids = [];
  const walk = (v) => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      if (typeof v.action_id === 'string') ids.push(v.action_id);
      Object.values(v).forEach(walk);
    }
  };
  walk(blocks);
  return ids;
}

/**
 * A button press as Slack sends it to the interactivity URL: a form with
 * the block_actions payload, signed v0 with the signing secret. Returns
 * koe's status and the response URL koe is to answer at.
 */
async function press(url, { secret, msg, actionID, user = 'U0KENJI', n }) {
  const button = msg.body.blocks.flatMap((b) => b.elements ?? []).find((e) => e.action_id === actionID);
  assert.ok(button, `a ${actionID} button`);
  const responseURL = `${slack.url}/respond/${n}`;
  const payload = {
    type: 'block_actions', team: { id: 'T0KOE' }, user: { id: user, username: 'kenji', team_id: 'T0KOE' },
    response_url: responseURL, channel: { id: msg.body.channel }, container: { type: 'message', message_ts: msg.ts, channel_id: msg.body.channel },
    message: { ts: msg.ts }, actions: [{ type: 'button', action_id: actionID, block_id: 'koe_review', value: button.value, action_ts: String(Date.now() / 1000) }],
  };
  const body = `payload=${encodeURIComponent(JSON.stringify(payload))}`;
  const ts = String(Math.floor(Date.now() / 1000));
  const sig = `v0=${createHmac('sha256', secret).update(`v0:${ts}:${body}`).digest('hex')}`;
  const r = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'X-Slack-Request-Timestamp': ts, 'X-Slack-Signature': sig },
    body,
  });
  return { status: r.status, text: await r.text(), responseURL };
}

/** A participant who joins and asks; returns the question. */
async function ask(text) {
  const joined = await fetch(`${koe.base}/api/v1/join`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ code: event.join_code, display_name: 'Mika' }) });
  assert.ok(joined.ok, await joined.clone().text());
  const { token: asker } = await joined.json();
  return apiClient(koe.base, asker)('POST', `/api/v1/events/${event.id}/talks/${talk.id}/questions`, { body: text });
}

/** The PUT bodies the page sent to the Slack route, as sent. */
function puts(page) {
  const bodies = [];
  page.on('request', (r) => {
    if (r.method() === 'PUT' && new URL(r.url()).pathname === `/api/v1/events/${event.id}/slack`) bodies.push(JSON.parse(r.postData() ?? 'null'));
  });
  return bodies;
}

const slackAPI = () => api('GET', `/api/v1/events/${event.id}/slack`);

describe('Slack in the browser', () => {
  let aiko, sent;
  const question = 'Can the moderators approve this straight from the Slack channel?';

  before(async () => {
    slack = await startSlack();
    // Private addresses allowed: koe answers button presses at response URLs on this test's loopback Slack.
    koe = await startKoe({ token, env: { KOE_SLACK_API_URL: `${slack.url}/api/`, KOE_SLACK_SIGNING_SECRET: installationSecret, KOE_WEBHOOK_ALLOW_PRIVATE: 'true' } });
    api = apiClient(koe.base, token);
    const now = Date.now();
    event = await api('POST', '/api/v1/events', {
      title: 'Go Conference Tokyo 2026', slug: 'gocon-2026-slack', time_zone: 'Asia/Tokyo',
      starts_at: new Date(now - 3600e3).toISOString(), ends_at: new Date(now + 6 * 3600e3).toISOString(),
    });
    talk = await api('POST', `/api/v1/events/${event.id}/talks`, {
      title: 'Moderating from chat', speaker: 'Aiko Tanaka',
      starts_at: new Date(now - 600e3).toISOString(), ends_at: new Date(now + 2400e3).toISOString(),
    });
    await api('PATCH', `/api/v1/events/${event.id}/talks/${talk.id}`, { qa_open: true });
    const a = await api('POST', '/api/v1/accounts', { login: 'aiko', display_name: 'Aiko Tanaka', email: '', password: password.aiko, admin: false });
    await api('PUT', `/api/v1/events/${event.id}/staff/${a.id}`, { role: 'owner', talks: [] });
    const k = await api('POST', '/api/v1/accounts', { login: 'kenji', display_name: 'Kenji Sato', email: '', password: password.kenji, admin: false });
    await api('PUT', `/api/v1/events/${event.id}/staff/${k.id}`, { role: 'moderator', talks: [] });
    browser = await launch();
    pages = pageHelpers({ browser, base: koe.base, passwords: password, clipboard: true });
  });

  after(async () => {
    // The page talks to koe only: koe, not the browser, calls Slack.
    pages?.assertClean();
    await browser?.close();
    await koe?.stop();
    await slack?.stop();
  });

  it('not connected yet: the steps, the URL to paste into Slack, and the installation’s secret in use', async () => {
    aiko = await pages.newPage(desk, { login: 'aiko' });
    sent = puts(aiko);
    await aiko.goto(`${koe.base}/admin/e/${event.id}/integrations`);
    const section = aiko.locator('[data-testid="slack"]');
    await section.locator('[data-testid="slack-status"][data-state="none"]').waitFor();
    assert.equal((await section.locator('h2').innerText()).trim(), 'Slack');
    assert.equal((await section.locator('[data-testid="slack-where"]').innerText()).trim(), 'Not connected');

    const s = await slackAPI();
    assert.equal(s.connection, null);
    assert.equal(s.installation.signing_secret_set, true, 'KOE_SLACK_SIGNING_SECRET counts as the installation’s');
    assert.equal(s.installation.bot_token_set, false);
    assert.match(s.interactivity_url, /\/api\/v1\/slack\/interactions$/);
    // koe started without a public URL gives the path; the page makes it whole, to paste into Slack.
    const interactivity = new URL(s.interactivity_url, koe.base).href;

    // The steps are open while nothing is connected; the URL is there to copy.
    const setup = section.locator('[data-testid="slack-setup"]');
    assert.equal(await setup.evaluate((d) => d.open), true);
    assert.equal(await setup.locator('ol > li').count(), 6);
    assert.match(await setup.textContent(), /chat:write/);
    assert.equal(await setup.locator('[data-testid="interactivity-url"]').inputValue(), interactivity);
    await setup.getByRole('button', { name: 'Copy' }).click();
    await aiko.locator('.toast', { hasText: 'Copied' }).waitFor();
    assert.equal(await aiko.evaluate(() => navigator.clipboard.readText()), interactivity);

    // The operator's signing secret is what koe uses unless the event has one.
    await section.locator('[data-testid="slack-installation"]', { hasText: 'signing secret for this whole koe' }).waitFor();
    assert.equal((await section.locator('[data-testid="signing_secret-state"]').innerText()).trim(), 'Not set: the installation’s is used');
    assert.equal((await section.locator('[data-testid="bot_token-state"]').innerText()).trim(), 'Not set');
    for (const f of ['slack-bot-token', 'slack-signing-secret', 'slack-webhook-url']) {
      assert.equal(await aiko.locator(`#${f}`).getAttribute('type'), 'password', `${f} is a password field`);
    }
    assert.equal(await section.locator('[data-action="slack-test"]').count(), 0, 'nothing to test yet');
  });

  it('the form says what is wrong before asking koe', async () => {
    const form = aiko.locator('[data-testid="slack-form"]');
    await form.locator('[data-testid="slack-save"]').click();
    await form.locator('[data-testid="slack-channel-error"]', { hasText: 'Enter the channel koe posts to' }).waitFor();
    assert.equal(await aiko.evaluate(() => document.activeElement?.id), 'slack-channel', 'the channel field has the focus');
    await form.getByLabel('Channel', { exact: true }).fill('moderators channel');
    await form.getByLabel('Bot token', { exact: true }).fill('xoxp-a-user-token');
    await form.locator('[data-testid="slack-save"]').click();
    await form.locator('[data-testid="slack-channel-error"]', { hasText: 'C0123ABCD' }).waitFor();
    await form.locator('[data-testid="bot_token-error"]', { hasText: 'starts with xoxb-' }).waitFor();
    assert.equal(await form.getByLabel('Bot token', { exact: true }).getAttribute('aria-invalid'), 'true');
    assert.deepEqual(sent, [], 'nothing was sent to koe');
  });

  it('the owner connects the channel: connected, credentials kept by koe and never shown', async () => {
    const form = aiko.locator('[data-testid="slack-form"]');
    await form.getByLabel('Channel', { exact: true }).fill('C0KOE');
    await form.getByLabel('Bot token', { exact: true }).fill(botToken);
    await form.getByLabel('Signing secret', { exact: true }).fill(signingSecret);
    await form.locator('[data-testid="slack-reviews"]').check();
    await form.locator('[data-testid="slack-digest"]').uncheck();
    await form.locator('[data-testid="slack-save"]').click();
    await aiko.locator('.toast', { hasText: 'Slack connected.' }).waitFor();
    const status = aiko.locator('[data-testid="slack-status"]');
    await status.locator('[data-testid="slack-where"]', { hasText: 'Connected to C0KOE' }).waitFor();
    assert.notEqual(await status.getAttribute('data-state'), 'none');
    assert.deepEqual(sent, [{ enabled: true, channel: 'C0KOE', reviews: true, digest: false, bot_token: botToken, signing_secret: signingSecret }]);

    const s = await slackAPI();
    assert.equal(s.connection.channel, 'C0KOE');
    assert.equal(s.connection.enabled, true);
    assert.equal(s.connection.reviews, true);
    assert.equal(s.connection.digest, false);
    assert.equal(s.connection.bot_token_set, true);
    assert.equal(s.connection.signing_secret_set, true);
    assert.equal(s.connection.webhook_url_set, false);
    assert.ok(!JSON.stringify(s).includes(botToken) && !JSON.stringify(s).includes(signingSecret), 'koe never sends a credential back');

    // The form is empty again, and says what is set.
    assert.equal(await form.getByLabel('Bot token', { exact: true }).inputValue(), '');
    assert.equal(await form.getByLabel('Signing secret', { exact: true }).inputValue(), '');
    assert.equal((await form.locator('[data-testid="bot_token-state"]').innerText()).trim(), 'Set for this event');
    assert.equal((await form.locator('[data-testid="signing_secret-state"]').innerText()).trim(), 'Set for this event');
    assert.equal((await form.locator('[data-testid="webhook_url-state"]').innerText()).trim(), 'Not set');
    assert.ok(!(await aiko.content()).includes(botToken), 'the page does not hold the token either');
    // Connected, the steps fold away.
    await aiko.reload();
    await aiko.locator('[data-testid="slack-status"]').waitFor();
    assert.equal(await aiko.locator('[data-testid="slack-setup"]').evaluate((d) => d.open), false);
  });

  it('Send test message: Slack gets koe’s message in the channel, with the bot token; the health follows', async () => {
    const n = got('chat.postMessage').length;
    await aiko.locator('[data-action="slack-test"]').click();
    await aiko.locator('.toast', { hasText: 'Test message on its way' }).waitFor();
    const calls = await until('Slack to get the test message', () => got('chat.postMessage').length > n && got('chat.postMessage').slice(n), 20_000);
    assert.equal(calls[0].body.channel, 'C0KOE');
    assert.equal(calls[0].auth, `Bearer ${botToken}`);
    assert.match(calls[0].contentType, /^application\/json/);
    assert.match(JSON.stringify([calls[0].body.text, calls[0].body.blocks]), /koe is connected/i);
    await aiko.locator('[data-testid="slack-status"][data-state="ok"]').waitFor({ timeout: 12_000 });
    assert.notEqual((await aiko.locator('[data-testid="slack-last-success"]').innerText()).trim(), 'never');
    assert.equal((await aiko.locator('[data-testid="slack-health"]').innerText()).trim(), 'Delivering');
  });

  it('a question held for review reaches the channel with Approve / Reject / Ban; decided in koe, the message says who', async () => {
    await api('PATCH', `/api/v1/events/${event.id}`, { settings: { moderation: 'pre' } });
    const q = await ask(question);
    assert.notEqual(q.status, 'visible', `held for review: ${JSON.stringify(q)}`);
    const [msg] = await until('Slack to get the review', () => got('chat.postMessage', question).length && got('chat.postMessage', question), 20_000);
    assert.equal(msg.body.channel, 'C0KOE');
    assert.equal(msg.auth, `Bearer ${botToken}`);
    assert.ok(JSON.stringify(msg.body.blocks).includes(question), 'the blocks hold the question');
    const ids = actionIDs(msg.body.blocks);
    for (const id of ['koe_approve', 'koe_reject', 'koe_ban']) assert.ok(ids.includes(id), `a ${id} button: ${ids}`);

    // Aiko approves it in koe's console; the Slack message is updated to say so.
    const { reviews } = await api('GET', `/api/v1/events/${event.id}/reviews?state=open&limit=200`);
    const review = reviews.find((r) => r.body === question);
    assert.ok(review, 'the review is open in koe');
    const r = await aiko.context().request.post(`${koe.base}/api/v1/events/${event.id}/reviews/${review.id}/decision`, { data: { decision: 'approve' } });
    assert.equal(r.status(), 200, await r.text());
    const [update] = await until('Slack to get the message updated', () => got('chat.update').filter((c) => c.body.ts === msg.ts).length && got('chat.update').filter((c) => c.body.ts === msg.ts), 20_000);
    assert.equal(update.body.channel, msg.body.channel);
    assert.match(JSON.stringify(update.body.blocks), /Approved by \*?Aiko Tanaka/);
    assert.deepEqual(actionIDs(update.body.blocks).filter((id) => id.startsWith('koe_')), [], 'no buttons once decided');
  });

  it('a moderator presses Approve in Slack: linked through the link koe answers with, his press acts as him', async () => {
    const held = 'Will the slides be shared after the talk?';
    await ask(held);
    const [msg] = await until('Slack to get the second review', () => got('chat.postMessage', held).length && got('chat.postMessage', held), 20_000);
    const interactions = new URL((await slackAPI()).interactivity_url, koe.base).href;

    // Signed with another secret, the press is refused.
    const forged = await press(interactions, { secret: 'not-the-signing-secret', msg, actionID: 'koe_approve', n: 0 });
    assert.equal(forged.status, 401, forged.text);

    // Kenji's Slack user is not linked yet: koe answers him alone with a link.
    const first = await press(interactions, { secret: signingSecret, msg, actionID: 'koe_approve', n: 1 });
    assert.equal(first.status, 200, first.text);
    const [answer] = await until('koe to answer the press', () => slack.responses.filter((r) => r.path === '/respond/1').length && slack.responses.filter((r) => r.path === '/respond/1'), 10_000);
    assert.equal(answer.body.response_type, 'ephemeral', 'only the presser sees it');
    const m = /(\S*\/slack\/link#\S+)/.exec(answer.body.text);
    assert.ok(m, `a link in the answer: ${answer.body.text}`);
    const link = new URL(m[1], koe.base);
    assert.equal(link.pathname, '/slack/link');

    const kenji = await pages.newPage(phone, { login: 'kenji' });
    const linked = [];
    kenji.on('request', (r) => {
      if (new URL(r.url()).pathname === '/api/v1/slack/link') linked.push(r.url());
    });
    await kenji.goto(`${koe.base}${link.pathname}${link.hash}`);
    const confirm = kenji.locator('[data-testid="slack-link-confirm"]');
    await confirm.waitFor();
    assert.equal((await confirm.innerText()).trim(), 'Link this Slack account to Kenji Sato');
    await confirm.click();
    await kenji.locator('[data-testid="slack-linked"]', { hasText: 'now act as Kenji Sato' }).waitFor();
    assert.ok(linked.every((u) => !u.includes(link.hash.slice(1))), 'the token never goes in a URL');
    await pages.shot(kenji, 'slack-linked-390-en');
    // Reloaded, the used link is gone from the tab.
    await kenji.reload();
    await kenji.locator('[data-testid="slack-link-missing"]').waitFor();
    await kenji.context().close();

    // Pressed again, it acts as Kenji, and the message says so.
    const second = await press(interactions, { secret: signingSecret, msg, actionID: 'koe_approve', n: 2 });
    assert.equal(second.status, 200, second.text);
    const [update] = await until('Slack to get the message updated', () => got('chat.update').filter((c) => c.body.ts === msg.ts).length && got('chat.update').filter((c) => c.body.ts === msg.ts), 20_000);
    assert.match(JSON.stringify(update.body.blocks), /Approved by \*?Kenji Sato/);
    const { reviews } = await api('GET', `/api/v1/events/${event.id}/reviews?state=decided&limit=200`);
    const r = reviews.find((x) => x.body === held);
    assert.equal(r?.decision?.decision, 'approved');
    assert.equal(r?.decision?.by, 'Kenji Sato');
  });

  it('saving changes only what changed; a credential left empty is kept, Clear clears it', async () => {
    const form = aiko.locator('[data-testid="slack-form"]');
    sent.length = 0;
    await form.locator('[data-testid="slack-digest"]').check();
    await form.locator('[data-testid="slack-save"]').click();
    await aiko.locator('.toast', { hasText: 'Slack settings saved.' }).waitFor();
    assert.deepEqual(sent, [{ digest: true }]);
    let s = await slackAPI();
    assert.equal(s.connection.digest, true);
    assert.equal(s.connection.bot_token_set, true, 'the token left empty is kept');

    // Cleared, the event's signing secret gives way to the installation's.
    await form.getByRole('button', { name: 'Clear the event’s “Signing secret”' }).click();
    await aiko.locator('.toast', { hasText: '“Signing secret” cleared.' }).waitFor();
    assert.deepEqual(sent.at(-1), { signing_secret: '' });
    await form.locator('[data-testid="signing_secret-state"]', { hasText: 'Not set: the installation’s is used' }).waitFor();
    s = await slackAPI();
    assert.equal(s.connection.signing_secret_set, false);
    assert.equal(s.connection.bot_token_set, true);
    assert.equal(await aiko.locator('[data-testid="slack-no-secret"]').count(), 0, 'buttons still work with the installation’s secret');
  });

  it('switched off, koe posts nothing; on again, it does', async () => {
    const sw = aiko.locator('[data-testid="slack-enabled"]');
    await sw.uncheck();
    await aiko.locator('[data-testid="slack-status"][data-state="off"]').waitFor();
    assert.equal((await slackAPI()).connection.enabled, false);
    assert.equal(await aiko.locator('[data-action="slack-test"]').isDisabled(), true);
    const n = slack.calls.length;
    await ask('Does a switched-off connection stay quiet?');
    await aiko.waitForTimeout(1500);
    assert.equal(got('chat.postMessage', 'switched-off connection').length, 0, 'nothing posted while off');
    await sw.check();
    await aiko.locator('[data-testid="slack-status"]:not([data-state="off"])').waitFor();
    assert.equal((await slackAPI()).connection.enabled, true);
    assert.ok(slack.calls.length >= n);
  });

  it('in Japanese, the Slack part reads in Japanese', async () => {
    await aiko.getByRole('button', { name: '日本語' }).click();
    await aiko.locator('[data-testid="slack-where"]', { hasText: 'C0KOE に接続済み' }).waitFor();
    await aiko.locator('[data-action="slack-test"]', { hasText: 'テストメッセージを送信' }).waitFor();
    await aiko.locator('[data-action="slack-disconnect"]', { hasText: '接続を解除' }).waitFor();
    await aiko.locator('label[for="slack-bot-token"]', { hasText: 'ボットトークン' }).waitFor();
    await aiko.locator('[data-testid="slack-setup"] summary', { hasText: 'Slack アプリの準備' }).waitFor();
    await aiko.getByRole('button', { name: 'EN' }).click();
    await aiko.locator('[data-testid="slack-where"]', { hasText: 'Connected to C0KOE' }).waitFor();
  });

  it('the link page refuses a bad link clearly, in English and Japanese', async () => {
    for (const [lang, locale, button, refused] of [
      ['en', 'en-US', 'Link this Slack account to Aiko Tanaka', 'This link is not valid, or it has expired.'],
      ['ja', 'ja-JP', 'この Slack アカウントを Aiko Tanaka に紐付ける', 'このリンクは無効か、有効期限が切れています。'],
    ]) {
      const page = await pages.newPage(desk, { login: 'aiko', locale });
      const posted = [];
      page.on('request', (r) => {
        if (new URL(r.url()).pathname === '/api/v1/slack/link') posted.push(JSON.parse(r.postData() ?? 'null'));
      });
      await page.goto(`${koe.base}/slack/link#garbage`);
      const confirm = page.locator('[data-testid="slack-link-confirm"]');
      await confirm.waitFor();
      assert.equal((await confirm.innerText()).trim(), button);
      assert.equal(await page.evaluate(() => location.hash), '', 'the token leaves the address bar');
      await pages.shot(page, `slack-link-1280-${lang}`);
      await confirm.click();
      await page.locator('[data-testid="slack-link-error"]', { hasText: refused }).waitFor();
      assert.deepEqual(posted, [{ token: 'garbage' }], 'the token went in the body');
      assert.equal(await confirm.count(), 0, 'no button to press again with a refused link');
      await pages.shot(page, `slack-link-refused-1280-${lang}`);
      assert.deepEqual(await pages.audit(page), []);
      await page.context().close();
    }
  });

  it('signed out, the link page signs in first and comes back to the link', async () => {
    const page = await pages.newPage(phone);
    await page.goto(`${koe.base}/slack/link#garbage-too`);
    await page.locator('[data-testid="signin-form"]').waitFor();
    assert.match(await page.locator('main').innerText(), /Sign in with your koe staff account first/);
    await pages.shot(page, 'slack-link-signin-390-en');
    await page.getByLabel('Login').fill('kenji');
    await page.getByLabel('Password').fill(password.kenji);
    await page.locator('[data-testid="signin-form"] button[type="submit"]').click();
    const confirm = page.locator('[data-testid="slack-link-confirm"]');
    await confirm.waitFor();
    assert.equal((await confirm.innerText()).trim(), 'Link this Slack account to Kenji Sato');
    await pages.shot(page, 'slack-link-390-en');
    await confirm.click();
    await page.locator('[data-testid="slack-link-error"]', { hasText: 'This link is not valid' }).waitFor();
    // Without a token at all, the page says where links come from.
    await page.goto(`${koe.base}/slack/link`);
    await page.locator('[data-testid="slack-link-missing"]').waitFor();
    const r = await fetch(`${koe.base}/api/v1/slack/link`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"token":"garbage"}' });
    assert.equal(r.status, 401, 'koe refuses a link by nobody signed in');
    await page.context().close();
  });

  it('screenshots: phone and desk, English and Japanese; no serious axe violation', async () => {
    const violations = [];
    for (const [lang, locale] of [['en', 'en-US'], ['ja', 'ja-JP']]) {
      for (const [size, viewport] of [['390', phone], ['1280', desk]]) {
        const page = await pages.newPage(viewport, { login: 'aiko', locale });
        await page.goto(`${koe.base}/admin/e/${event.id}/integrations`);
        await page.locator('[data-testid="slack-status"][data-state="ok"]').waitFor();
        await page.locator('[data-testid="slack"]').scrollIntoViewIfNeeded();
        await page.evaluate(() => document.querySelector('[data-testid="slack"]').scrollIntoView({ block: 'start' }));
        await pages.shot(page, `integrations-slack-${size}-${lang}`);
        violations.push(...(await pages.audit(page)));
        await page.locator('[data-testid="slack-setup"] summary').click();
        await page.evaluate(() => document.querySelector('[data-testid="slack-setup"]').scrollIntoView({ block: 'start' }));
        await pages.shot(page, `integrations-slack-setup-${size}-${lang}`);
        await page.evaluate(() => document.querySelector('[data-testid="slack-form"]').scrollIntoView({ block: 'start' }));
        await pages.shot(page, `integrations-slack-form-${size}-${lang}`);
        violations.push(...(await pages.audit(page)));
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
        assert.ok(overflow <= 0, `no sideways scrolling at ${size} (${overflow}px)`);
        await page.context().close();
      }
    }
    assert.deepEqual(violations, [], 'no serious or critical axe violation on the Slack part');
  });

  it('a moderator gets neither the page nor the API', async () => {
    const kenji = await pages.newPage(desk, { login: 'kenji' });
    await kenji.goto(`${koe.base}/admin/e/${event.id}/integrations`);
    await kenji.getByText('Only an owner of this event can see and change its integrations.').waitFor();
    assert.equal(await kenji.locator('[data-testid="slack"]').count(), 0);
    const r = await kenji.context().request.get(`${koe.base}/api/v1/events/${event.id}/slack`);
    assert.equal(r.status(), 403);
    const p = await kenji.context().request.put(`${koe.base}/api/v1/events/${event.id}/slack`, { data: { channel: 'C0EVIL' } });
    assert.equal(p.status(), 403);
    await kenji.context().close();
  });

  it('disconnected, the event has no connection and the page says so', async () => {
    await aiko.reload();
    await aiko.locator('[data-action="slack-disconnect"]').click();
    await aiko.locator('.toast', { hasText: 'Slack disconnected.' }).waitFor();
    await aiko.locator('[data-testid="slack-status"][data-state="none"]').waitFor();
    assert.equal((await slackAPI()).connection, null);
    assert.equal(await aiko.locator('[data-testid="slack-setup"]').evaluate((d) => d.open), true);
    await pages.shot(aiko, 'integrations-slack-disconnected-1280-en');
    const n = got('chat.postMessage').length;
    await ask('Is anything posted after disconnecting?');
    await aiko.waitForTimeout(1500);
    assert.equal(got('chat.postMessage').length, n, 'nothing posted once disconnected');
  });

  it('notifications only: an incoming webhook URL alone connects, without buttons', async () => {
    const hookURL = `${slack.url}/services/T0KOE/B0KOE/e2e-webhook-secret`;
    const form = aiko.locator('[data-testid="slack-form"]');
    await form.getByLabel('Incoming webhook URL', { exact: true }).fill(hookURL);
    await form.locator('[data-testid="slack-save"]').click();
    await aiko.locator('.toast', { hasText: 'Slack connected.' }).waitFor();
    await aiko.locator('[data-testid="slack-where"]', { hasText: 'Connected through an incoming webhook' }).waitFor();
    assert.match(await aiko.locator('[data-testid="slack-status"]').innerText(), /Notifications only, without buttons/);
    assert.equal((await form.locator('[data-testid="webhook_url-state"]').innerText()).trim(), 'Set for this event');
    const s = await slackAPI();
    assert.equal(s.connection.webhook_url_set, true);
    assert.equal(s.connection.channel, '');
    assert.ok(!JSON.stringify(s).includes('e2e-webhook-secret'), 'the URL is a secret: never sent back');
    await aiko.locator('[data-action="slack-test"]').click();
    const [hit] = await until('the incoming webhook to get the test', () => slack.hooks.length && slack.hooks, 20_000);
    assert.equal(hit.path, '/services/T0KOE/B0KOE/e2e-webhook-secret');
    assert.match(hit.body.text, /koe is connected/);
    await aiko.locator('[data-testid="slack-status"][data-state="ok"]').waitFor({ timeout: 12_000 });
    await aiko.locator('[data-testid="slack"]').evaluate((el) => el.scrollIntoView({ block: 'start' }));
    await pages.shot(aiko, 'integrations-slack-webhook-1280-en');
  });
});
