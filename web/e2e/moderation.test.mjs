// End-to-end for moderation: an event in pre-moderation, two moderators
// with the console open in two browsers (Aiko, an owner; Kenji, a
// moderator), a participant who asks, and a fresh participant who must
// never see what was not approved. Claims, a race of two approvals, a
// rejection the asker learns by polling, undo, a near-duplicate, a ban,
// the console in Japanese. Screenshots go to test-results/ (or KOE_SHOTS).
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { launch } from './lib/browser.mjs';
import { apiClient, startKoe } from './lib/server.mjs';
import { until } from './lib/until.mjs';

const token = 'e2e-owner-token-moderation-0123456789';
const shots = process.env.KOE_SHOTS ?? new URL('../../test-results/', import.meta.url).pathname;
const desktop = { width: 1280, height: 800 };
const phone = { width: 390, height: 844 };
const password = { aiko: 'Blue-Harbor-Lantern-42', kenji: 'Quiet-Maple-Orbit-77' };

let koe, api, browser, event, talk, other;
const pages = [];

async function newPage(viewport, { locale = 'en-US', login, join } = {}) {
  const context = await browser.newContext({ viewport, locale, deviceScaleFactor: 1 });
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error' && !/Failed to load resource|WebSocket/.test(m.text())) page.errors.push(m.text());
  });
  page.on('dialog', (d) => void d.accept());
  if (login) {
    const r = await context.request.post(`${koe.base}/api/v1/session`, { data: { login, password: password[login] } });
    assert.equal(r.status(), 201, `sign-in of ${login}: ${await r.text()}`);
  }
  if (join) {
    const r = await context.request.post(`${koe.base}/api/v1/join`, { data: { code: event.join_code, display_name: join } });
    assert.equal(r.status(), 201, `join: ${await r.text()}`);
  }
  pages.push(page);
  return page;
}

async function shot(page, name) {
  await page.waitForTimeout(300);
  await page.screenshot({ path: `${shots}/${name}.png` });
}

const review = (page, text) => page.locator('[data-testid="review"]', { hasText: text });
const card = (page, text) => page.locator('[data-testid="question-list"] [data-testid="question"]', { hasText: text });

async function ask(page, text) {
  await page.fill('#ask-body', text);
  await page.click('[data-testid="ask-form"] button[type="submit"]');
}

async function openConsole(page) {
  await page.goto(`${koe.base}/admin/e/${event.id}/moderation`);
  await page.locator('[data-testid="mod-counts"]').waitFor();
}

const count = (page, which) => page.locator(`[data-count="${which}"] dd`).textContent().then(Number);

describe('moderation in the browser', () => {
  let aiko, kenji, kaori, fresh;
  const q1 = 'How do generics change compile times in large codebases?';
  const q2 = 'This talk is garbage and so is the speaker';
  const q3 = 'Will the slides and the recording be online afterwards?';

  before(async () => {
    mkdirSync(shots, { recursive: true });
    koe = await startKoe({ token });
    api = apiClient(koe.base, token);
    const now = Date.now();
    event = await api('POST', '/api/v1/events', {
      title: 'Go Meetup Tokyo #45', slug: 'go-45', time_zone: 'Asia/Tokyo',
      starts_at: new Date(now - 3600e3).toISOString(), ends_at: new Date(now + 3 * 3600e3).toISOString(),
      settings: { participant_replies: true, moderation: 'pre' },
    });
    assert.equal(event.settings.moderation, 'pre');
    talk = await api('POST', `/api/v1/events/${event.id}/talks`, {
      title: 'Generics in practice', speaker: 'Aiko Tanaka',
      starts_at: new Date(now - 600e3).toISOString(), ends_at: new Date(now + 2400e3).toISOString(),
    });
    other = await api('POST', `/api/v1/events/${event.id}/talks`, { title: 'Lightning talks' });
    await api('POST', '/api/v1/accounts', { login: 'aiko', display_name: 'Aiko Tanaka', email: '', password: password.aiko, admin: true });
    const k = await api('POST', '/api/v1/accounts', { login: 'kenji', display_name: 'Kenji Sato', email: '', password: password.kenji, admin: false });
    await api('PUT', `/api/v1/events/${event.id}/staff/${k.id}`, { role: 'moderator', talks: [] });
    browser = await launch();
  });

  after(async () => {
    for (const page of pages) assert.deepEqual(page.errors, [], 'no script errors in the page');
    await browser?.close();
    await koe?.stop();
  });

  it('both moderators have the console open; the event console links to it', async () => {
    aiko = await newPage(desktop, { login: 'aiko' });
    kenji = await newPage(desktop, { login: 'kenji' });
    await kenji.goto(`${koe.base}/admin/e/${event.id}`);
    await kenji.locator('[data-testid="moderation-link"]').click();
    await kenji.waitForURL(new RegExp(`/admin/e/${event.id}/moderation$`));
    await kenji.locator('[data-testid="queue-empty"]').waitFor();
    await openConsole(aiko);
    await aiko.locator('[data-testid="queue-empty"]').waitFor();
  });

  it('a participant asks: told it waits for review, and both consoles get it live', async () => {
    kaori = await newPage(phone, { join: 'Kaori' });
    await kaori.goto(`${koe.base}/e/${event.id}/t/${talk.id}`);
    await kaori.locator('[data-testid="premod-note"]', { hasText: 'Questions are reviewed before they appear.' }).waitFor();
    await ask(kaori, q1);
    await kaori.locator('[data-testid="ask-note"]', { hasText: 'once a moderator has reviewed it' }).waitFor();
    const mine = card(kaori, q1);
    await mine.locator('[data-testid="status-pending"]', { hasText: 'Waiting for review' }).waitFor();
    assert.equal(await mine.getAttribute('data-status'), 'pending');
    await shot(kaori, 'moderation-audience-pending-390-en');

    for (const page of [aiko, kenji]) {
      const item = review(page, q1);
      await item.waitFor();
      assert.equal(await item.getAttribute('data-state'), 'pending');
      assert.match(await item.textContent(), /Pre-moderation/);
      assert.match(await item.textContent(), /Kaori/);
      await until('the pending counter', async () => (await count(page, 'pending')) === 1);
    }
  });

  it('a fresh participant sees none of it', async () => {
    fresh = await newPage(phone, { join: 'Ren' });
    await fresh.goto(`${koe.base}/e/${event.id}/t/${talk.id}`);
    await fresh.locator('[data-testid="ask-form"]').waitFor();
    await fresh.locator('[data-testid="question-list"] .empty').waitFor();
    assert.equal(await card(fresh, q1).count(), 0);
  });

  it('Aiko selects it: Kenji sees "being reviewed by Aiko Tanaka"', async () => {
    await review(aiko, q1).locator('.rv-select').click();
    await review(kenji, q1).locator('[data-testid="claimed-by"]', { hasText: 'Being reviewed by Aiko Tanaka' }).waitFor();
    assert.equal(await review(aiko, q1).locator('[data-testid="claimed-by"]').count(), 0, 'not one’s own claim');
    // Kenji may still act: he opens it too, and still sees Aiko's claim.
    await review(kenji, q1).locator('.rv-select').click();
    await review(kenji, q1).locator('[data-action="approve"]').waitFor();
    await review(kenji, q1).locator('[data-testid="claimed-by"]').waitFor();
    await shot(kenji, 'moderation-console-claimed-1280-en');
  });

  it('both approve at once: exactly one succeeds, the other sees it resolved', async () => {
    const [ha, hk] = [
      await review(aiko, q1).locator('[data-action="approve"]').elementHandle(),
      await review(kenji, q1).locator('[data-action="approve"]').elementHandle(),
    ];
    await Promise.all([ha.evaluate((el) => el.click()), hk.evaluate((el) => el.click())]);
    const decided = await until('the decision', async () => {
      const r = await api('GET', `/api/v1/events/${event.id}/reviews?state=decided`);
      return r.reviews.length === 1 && r.reviews[0];
    });
    assert.equal(decided.state, 'approved');
    const winner = decided.decision.by;
    assert.ok(['Aiko Tanaka', 'Kenji Sato'].includes(winner), winner);
    const [win, lose] = winner === 'Aiko Tanaka' ? [aiko, kenji] : [kenji, aiko];
    await win.locator('[data-testid="undo-bar"]').waitFor();
    await lose.locator('[data-testid="resolved"]', { hasText: `Approved by ${winner}` }).waitFor();
    assert.equal(await lose.locator('[data-testid="undo-bar"]').count(), 0, 'the loser decided nothing');
    await until('the queue empty for the winner', async () => (await win.locator('[data-testid="queue-empty"]').count()) === 1);
    for (const page of [aiko, kenji]) await until('no pending item', async () => (await count(page, 'pending')) === 0);
    await until('a decision in the last minute', async () => (await count(aiko, 'decided')) === 1);
  });

  it('the asker sees the question as normal, and so does everyone', async () => {
    const mine = card(kaori, q1);
    await until('the question approved for its asker', async () => (await mine.getAttribute('data-status')) === 'approved');
    assert.equal(await mine.locator('[data-testid="status-pending"]').count(), 0);
    await card(fresh, q1).waitFor();
    await kaori.getByText('Your question is now shown to everyone.').waitFor();
  });

  it('a near-duplicate is offered to be liked instead', async () => {
    await ask(fresh, 'How do generics change compile times in large code bases?');
    const offer = fresh.locator('[data-testid="duplicate-offer"]');
    await offer.waitFor();
    assert.match(await offer.textContent(), new RegExp(q1.slice(0, 30)));
    await offer.locator('[data-testid="like-existing"]').click();
    await until('the like counted', async () => Number(await card(fresh, q1).locator('[data-likes]').first().getAttribute('data-likes')) === 1);
    assert.equal(await offer.count(), 0);
    assert.equal(await fresh.inputValue('#ask-body'), '');
  });

  it('a reply waits for review too; approved, it reaches everyone live', async () => {
    const reply = 'Mostly they do not: the compiler is still fast.';
    const q1id = await card(kaori, q1).getAttribute('data-qid');
    // Kaori has the thread open; Ren replies.
    await card(kaori, q1).locator('.q-foot .link-btn').click();
    await card(fresh, q1).locator('.q-foot .link-btn').click();
    await fresh.fill(`#reply-${q1id}`, reply);
    await card(fresh, q1).locator('.reply-form button[type="submit"]').click();
    await fresh.getByText('Your reply will appear once a moderator has reviewed it.').waitFor();
    await card(fresh, q1).locator('.reply', { hasText: reply }).locator('.badge-pending').waitFor();
    const item = review(aiko, reply);
    await item.waitFor();
    assert.match(await item.textContent(), /Reply/);
    assert.equal(await card(kaori, q1).locator('.reply', { hasText: reply }).count(), 0, 'not shown before approval');
    await item.locator('.rv-select').click();
    await item.locator('[data-action="approve"]').click();
    await card(kaori, q1).locator('.reply', { hasText: reply }).waitFor();
    await until('no longer waiting for its author', async () => (await card(fresh, q1).locator('.reply .badge-pending').count()) === 0);
  });

  it('a question rejected with the keyboard: its asker gets the neutral message, nobody else sees it', async () => {
    await ask(kaori, q2);
    await card(kaori, q2).locator('[data-testid="status-pending"]').waitFor();
    await review(aiko, q2).waitFor();
    await review(kenji, q2).waitFor();
    // j selects the first open item, r rejects it.
    await aiko.locator('body').click({ position: { x: 5, y: 300 } });
    await aiko.keyboard.press('j');
    await until('the item selected', async () => (await review(aiko, q2).getAttribute('aria-current')) === 'true');
    await review(kenji, q2).locator('[data-testid="claimed-by"]', { hasText: 'Aiko Tanaka' }).waitFor();
    await aiko.keyboard.press('r');
    await aiko.locator('[data-testid="undo-bar"]', { hasText: 'Rejected.' }).waitFor();
    await until('gone from Kenji\'s queue', async () => (await review(kenji, q2).count()) === 0);
    // The asker polls its pending questions (every 15 s).
    const mine = card(kaori, q2);
    await until('rejected for its asker', async () => (await mine.getAttribute('data-status')) === 'rejected', 25_000);
    await mine.getByText('Your question won’t be shown.').waitFor();
    await shot(kaori, 'moderation-audience-rejected-390-en');
    // Its asker sees it so after a reload too; nobody else, ever.
    await kaori.reload();
    await card(kaori, q2).locator('[data-testid="status-rejected"]').waitFor();
    await fresh.reload();
    await card(fresh, q1).waitFor();
    assert.equal(await card(fresh, q2).count(), 0);
    const list = await fresh.context().request.get(`${koe.base}/api/v1/events/${event.id}/talks/${talk.id}/questions?sort=recent`);
    assert.ok(!(await list.text()).includes('garbage'), 'not in the API either');
  });

  it('a decision can be undone with u, then decided again', async () => {
    await ask(kaori, q3);
    await review(aiko, q3).waitFor();
    await review(aiko, q3).locator('.rv-select').click();
    await aiko.keyboard.press('a');
    await aiko.locator('[data-testid="undo-bar"]', { hasText: 'Approved.' }).waitFor();
    await until('gone from the queue', async () => (await review(aiko, q3).count()) === 0);
    await aiko.keyboard.press('u');
    await review(aiko, q3).waitFor();
    await review(kenji, q3).waitFor();
    assert.equal(await review(aiko, q3).getAttribute('data-state'), 'pending');
    // e edits, then approves; the keys typed in the text do nothing else.
    await until('selected again', async () => (await review(aiko, q3).getAttribute('aria-current')) === 'true');
    await aiko.keyboard.press('e');
    const edit = review(aiko, q3).locator('textarea');
    await edit.waitFor();
    await edit.press('End');
    await aiko.keyboard.type(' (and the demo code)');
    assert.equal(await review(aiko, q3).getAttribute('data-state'), 'pending', 'typing "a" did not approve');
    await aiko.keyboard.press('Control+Enter');
    await card(fresh, `${q3} (and the demo code)`).waitFor();
    await card(kaori, `${q3} (and the demo code)`).waitFor();
  });

  it('the help overlay lists the keys', async () => {
    await aiko.keyboard.press('?');
    const help = aiko.locator('[data-testid="mod-help"]');
    await help.waitFor();
    assert.match(await help.textContent(), /Approve the selected item/);
    await aiko.keyboard.press('Escape');
    await until('the help closed', async () => (await help.count()) === 0);
  });

  it('the asker is banned from the Decided tab; their next question gets the banned message', async () => {
    await aiko.click('#mtab-decided');
    const item = aiko.locator('[data-testid="decided"]', { hasText: q2 });
    await item.waitFor();
    assert.match(await item.textContent(), /Rejected by Aiko Tanaka/);
    await shot(aiko, 'moderation-console-decided-1280-en');
    await item.locator('[data-action="ban"]').click();
    const dialog = aiko.locator('[data-testid="ban-dialog"]');
    await dialog.waitFor();
    assert.ok(await dialog.locator('[data-testid="ban-hide"]').isChecked());
    await dialog.locator('[data-testid="ban-confirm"]').click();
    await aiko.getByText('Kaori is banned.').waitFor();
    await aiko.click('#mtab-bans');
    await aiko.locator('[data-testid="ban-list"]', { hasText: 'Kaori' }).waitFor();
    // Her approved questions were hidden with the ban.
    await until('hidden from the fresh participant', async () => (await card(fresh, q1).count()) === 0);

    await ask(kaori, 'One more question about generics please');
    await kaori.locator('[data-testid="ask-error"]', { hasText: 'You can no longer post, like or reply in this event.' }).waitFor();
    await shot(kaori, 'moderation-audience-banned-390-en');
  });

  it('the console in Japanese', async () => {
    const ja = await newPage(desktop, { login: 'kenji', locale: 'ja-JP' });
    // An item to look at: a question to the other talk, which inherits pre-moderation.
    const asker = await newPage(phone, { join: 'Mei', locale: 'ja-JP' });
    await asker.goto(`${koe.base}/e/${event.id}/t/${other.id}`);
    await asker.locator('[data-testid="premod-note"]', { hasText: '質問はモデレーターの確認後に表示されます。' }).waitFor();
    await ask(asker, 'ジェネリクスはいつ使うべきですか？');
    await card(asker, 'ジェネリクス').locator('[data-testid="status-pending"]', { hasText: '確認待ち' }).waitFor();
    await openConsole(ja);
    assert.equal(await ja.evaluate(() => document.documentElement.lang), 'ja');
    await ja.getByRole('heading', { name: 'モデレーション' }).waitFor();
    await ja.getByRole('tab', { name: /キュー/ }).waitFor();
    await review(ja, 'ジェネリクス').waitFor();
    // The talk filter.
    await ja.selectOption('[data-testid="talk-filter"]', String(talk.id));
    await until('filtered out', async () => (await review(ja, 'ジェネリクス').count()) === 0);
    await ja.locator('[data-testid="queue-empty"]').waitFor();
    await ja.selectOption('[data-testid="talk-filter"]', String(other.id));
    await review(ja, 'ジェネリクス').waitFor();
    await ja.selectOption('[data-testid="talk-filter"]', '');
    await aiko.click('#mtab-queue');
    await review(aiko, 'ジェネリクス').locator('.rv-select').click();
    await review(ja, 'ジェネリクス').locator('[data-testid="claimed-by"]', { hasText: 'Aiko Tanaka さんが審査中' }).waitFor();
    await shot(ja, 'moderation-console-claimed-1280-ja');
    // Bulk: check it and approve the selection.
    await review(ja, 'ジェネリクス').locator('.rv-check').check();
    await ja.locator('[data-testid="bulk-approve"]', { hasText: '選択した項目を承認（1）' }).click();
    await ja.getByText('1 件を承認しました。').waitFor();
    await until('approved for its asker', async () => (await card(asker, 'ジェネリクス').getAttribute('data-status')) === 'approved');
    assert.equal(await review(aiko, 'ジェネリクス').getAttribute('data-state'), 'approved', 'Aiko sees it resolved');
    await ja.click('#mtab-decided');
    await ja.locator('[data-testid="decided"]', { hasText: 'Aiko Tanaka さんが却下' }).first().waitFor();
    await ja.click('#mtab-settings');
    await ja.getByRole('heading', { name: 'モデレーションの方式' }).waitFor();
    assert.ok(await ja.locator('input[name="mod-mode"][value="pre"]').isChecked());
    assert.ok(await ja.locator('input[name="mod-mode"][value="pre"]').isDisabled(), 'only owners change the mode');
  });

  it('settings: the owner edits the word list and the mode, and a talk overrides it', async () => {
    await aiko.click('#mtab-settings');
    await aiko.locator('[data-testid="mod-rules"]').waitFor();
    await aiko.fill('#word-new', 'spoiler');
    await aiko.selectOption('#word-new-action', 'mask');
    await aiko.click('[data-testid="add-word"]');
    await aiko.fill('#allow-new', 'Scunthorpe');
    await aiko.keyboard.press('Enter');
    await aiko.fill('#th-queue', '0.6');
    await aiko.click('[data-testid="save-rules"]');
    await aiko.getByText('Saved.').first().waitFor();
    const cfg = await api('GET', `/api/v1/events/${event.id}/moderation`);
    assert.deepEqual(cfg.words, [{ word: 'spoiler', action: 'mask' }]);
    assert.deepEqual(cfg.allow, ['Scunthorpe']);
    assert.equal(cfg.queue_threshold, 0.6);
    await shot(aiko, 'moderation-settings-1280-en');

    await aiko.locator('input[name="mod-mode"][value="post"]').check();
    await until('the event in post-moderation', async () => (await api('GET', `/api/v1/events/${event.id}`)).settings.moderation === 'post');
    // The talk editor overrides it for one talk.
    await aiko.goto(`${koe.base}/admin/e/${event.id}`);
    await aiko.locator(`[data-talk="${talk.id}"] button`, { hasText: 'Edit' }).click();
    await aiko.selectOption(`#tk${talk.id}-moderation`, 'pre');
    await aiko.click(`[data-talk="${talk.id}"] button[type="submit"]`);
    await until('the talk in pre-moderation', async () => (await api('GET', `/api/v1/events/${event.id}/talks/${talk.id}`)).moderation === 'pre');
    await fresh.goto(`${koe.base}/e/${event.id}/t/${talk.id}`);
    await fresh.locator('[data-testid="premod-note"]').waitFor();
    await fresh.goto(`${koe.base}/e/${event.id}/t/${other.id}`);
    await fresh.locator('[data-testid="ask-form"]').waitFor();
    assert.equal(await fresh.locator('[data-testid="premod-note"]').count(), 0, 'the other talk follows the event: post');
  });

  it('screenshots of the console at desktop and phone size in both languages', async () => {
    // Something in the queue: a flagged-or-pending question to the pre-moderated talk.
    const asker = await newPage(phone, { join: 'Sora' });
    const r = await asker.context().request.post(`${koe.base}/api/v1/events/${event.id}/talks/${talk.id}/questions`, { data: { body: 'Check out http://spam.example and http://spam2.example for cheap tickets!' } });
    assert.equal(r.status(), 201, await r.text());
    for (const [locale, tag] of [['en-US', 'en'], ['ja-JP', 'ja']]) {
      for (const [vp, size] of [[desktop, '1280'], [phone, '390']]) {
        const p = await newPage(vp, { login: 'kenji', locale });
        await openConsole(p);
        await review(p, 'spam.example').locator('.rv-select').click();
        await p.locator('.rv-detail').waitFor();
        await shot(p, `moderation-console-${size}-${tag}`);
        if (size === '1280') {
          await p.keyboard.press('?');
          await p.locator('[data-testid="mod-help"]').waitFor();
          await shot(p, `moderation-help-${size}-${tag}`);
          await p.keyboard.press('Escape');
          await p.keyboard.press('b');
          await p.locator('[data-testid="ban-dialog"]').waitFor();
          await shot(p, `moderation-ban-${size}-${tag}`);
          await p.keyboard.press('Escape');
        } else {
          await p.click('#mtab-settings');
          await p.locator('[data-testid="mod-rules"]').waitFor();
          await p.waitForTimeout(300);
          await p.screenshot({ path: `${shots}/moderation-settings-${size}-${tag}.png`, fullPage: true });
          await p.click('#mtab-bans');
          await p.locator('[data-testid="ban-list"]').waitFor();
          await shot(p, `moderation-bans-${size}-${tag}`);
        }
        await p.context().close();
        pages.splice(pages.indexOf(p), 1);
      }
    }
  });
});
