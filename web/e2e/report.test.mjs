// End-to-end for the post-event report: a real koe and headless Chromium.
// An event with two talks: five participants join (four of them with the
// audience page open, so that koe records their connections), ask in
// Japanese and English, like, react, vote in a poll; one question is
// answered, one gets a staff reply, one is hidden; the second talk is
// pre-moderated and has one question approved, one rejected, one left
// waiting. The owner (Aiko) opens the event's report: the tiles, the
// per-talk rows, the top questions and the moderation outcomes say what
// the test did; a talk row opens the talk's report (reactions per emoji,
// the poll). The talk's presenter (Ren, in Japanese) opens his talk's
// report and is refused the event's and the other talk's. The print
// stylesheet hides the navigation; a phone gets one column; an empty event
// gets friendly empty states. Screenshots go to web/test-results/ (or
// KOE_SHOTS).
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { launch } from './lib/browser.mjs';
import { pageHelpers } from './lib/pages.mjs';
import { apiClient, startKoe } from './lib/server.mjs';
import { until } from './lib/until.mjs';

const token = 'e2e-owner-token-report-0123456789abcdef';
const desk = { width: 1440, height: 900 };
const phone = { width: 390, height: 844 };
const passwords = { aiko: 'Maple-Orbit-Thimble-42', ren: 'Cobalt-Ferry-Willow-17' };
const shots = process.env.KOE_SHOTS ?? new URL('../test-results/', import.meta.url).pathname;

const qJa = 'ジェネリクスを本番で使うときの注意点はありますか？';
const qEn = 'How much do generics slow down compile times?';
const qJa2 = '型パラメータの名前の付け方に決まりはありますか？';
const qHidden = 'Buy cheap sneakers at example.com';
const q2ok = 'Is errors.Join worth it in libraries?';
const q2bad = 'This talk is a waste of time';
const q2wait = 'エラーのラップはどこまでするべきですか？';

let koe, api, browser, pages, event, talk, talk2, empty;
/** The participants: Mika, Ken and Yui watch talk 1, Sho talk 2 (audience pages open); Spam only calls the API. */
const people = {};

const qsPath = (tk) => `/api/v1/events/${event.id}/talks/${tk.id}/questions`;
const reportURL = (tk) => (tk ? `${koe.base}/admin/e/${event.id}/t/${tk.id}/report` : `${koe.base}/admin/e/${event.id}/report`);

/** A participant with the audience page of tk open: its API calls go with the page's own cookie. */
async function watcher(name, tk) {
  const page = await pages.newPage(phone, { locale: 'en-US' });
  const r = await page.context().request.post(`${koe.base}/api/v1/join`, { data: { code: event.join_code, display_name: name } });
  assert.equal(r.status(), 201, `join of ${name}: ${await r.text()}`);
  await page.goto(`${koe.base}/e/${event.id}/t/${tk.id}`);
  await page.locator('[data-testid="ask-form"]').waitFor();
  const call = async (method, path, body) => {
    const res = await page.context().request.fetch(koe.base + path, { method, data: body });
    const text = await res.text();
    assert.ok(res.ok(), `${method} ${path} as ${name}: ${res.status()} ${text}`);
    return text ? JSON.parse(text) : null;
  };
  return { page, call };
}

/** A participant by the API only (a bearer token). */
async function caller(name) {
  const r = await fetch(`${koe.base}/api/v1/join`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ code: event.join_code, display_name: name }),
  });
  assert.equal(r.status, 201, `join of ${name}`);
  const { token: tok } = await r.json();
  return {
    call: async (method, path, body) => {
      const res = await fetch(koe.base + path, {
        method, headers: { Authorization: `Bearer ${tok}`, 'Content-Type': 'application/json' }, body: body ? JSON.stringify(body) : undefined,
      });
      const text = await res.text();
      assert.ok(res.ok, `${method} ${path} as ${name}: ${res.status} ${text}`);
      return text ? JSON.parse(text) : null;
    },
  };
}

const tile = (page, id) => page.locator(`[data-testid="tile-${id}"]`);
const tileNum = async (page, id, attr = 'value') => Number(await tile(page, id).getAttribute(`data-${attr}`));

async function openReport(page, tk) {
  await page.goto(reportURL(tk));
  await page.locator('[data-testid="report-title"]').waitFor();
}

describe('the post-event report', () => {
  before(async () => {
    koe = await startKoe({ token });
    api = apiClient(koe.base, token);
    const now = Date.now();
    event = await api('POST', '/api/v1/events', {
      title: 'Go Conference mini 2026', slug: 'gocon-mini-26', time_zone: 'Asia/Tokyo',
      starts_at: new Date(now - 3600e3).toISOString(), ends_at: new Date(now + 3 * 3600e3).toISOString(),
      settings: { participant_replies: false },
    });
    talk = await api('POST', `/api/v1/events/${event.id}/talks`, {
      title: 'ジェネリクス実践入門', speaker: 'Ren Kobayashi',
      starts_at: new Date(now - 1800e3).toISOString(), ends_at: new Date(now + 1200e3).toISOString(),
    });
    talk2 = await api('POST', `/api/v1/events/${event.id}/talks`, {
      title: 'Error handling in 2026', speaker: 'Mei Suzuki', moderation: 'pre',
      starts_at: new Date(now + 1500e3).toISOString(), ends_at: new Date(now + 3900e3).toISOString(),
    });
    empty = await api('POST', '/api/v1/events', { title: 'Go Meetup Osaka #3', slug: 'go-osaka-3', time_zone: 'Asia/Tokyo' });
    await api('POST', `/api/v1/events/${empty.id}/talks`, { title: 'Lightning talks', speaker: '' });
    const a = await api('POST', '/api/v1/accounts', { login: 'aiko', display_name: 'Aiko Tanaka', email: '', password: passwords.aiko, admin: false });
    await api('PUT', `/api/v1/events/${event.id}/staff/${a.id}`, { role: 'owner', talks: [] });
    await api('PUT', `/api/v1/events/${empty.id}/staff/${a.id}`, { role: 'owner', talks: [] });
    const r = await api('POST', '/api/v1/accounts', { login: 'ren', display_name: 'Ren Kobayashi', email: '', password: passwords.ren, admin: false });
    await api('PUT', `/api/v1/events/${event.id}/staff/${r.id}`, { role: 'presenter', talks: [talk.id] });

    browser = await launch();
    pages = pageHelpers({ browser, base: koe.base, passwords, shots });
    for (const [name, tk] of [['Mika', talk], ['Ken', talk], ['Yui', talk], ['Sho', talk2]]) people[name] = await watcher(name, tk);
    people.Spam = await caller('Spammer');
    const { Mika, Ken, Yui, Sho, Spam } = people;

    // Talk 1 (published at once): likes 3, 1 and 0; the English one answered, a staff reply under the second Japanese one, spam hidden.
    const ja1 = await Mika.call('POST', qsPath(talk), { body: qJa, anonymous: false });
    const en1 = await Ken.call('POST', qsPath(talk), { body: qEn, anonymous: false });
    const ja2 = await Yui.call('POST', qsPath(talk), { body: qJa2, anonymous: true });
    const hid = await Spam.call('POST', qsPath(talk), { body: qHidden, anonymous: false });
    for (const who of [Ken, Yui, Sho]) await who.call('PUT', `${qsPath(talk)}/${ja1.id}/like`);
    await Mika.call('PUT', `${qsPath(talk)}/${en1.id}/like`);
    await api('PATCH', `${qsPath(talk)}/${en1.id}`, { answered: true });
    await api('POST', `${qsPath(talk)}/${ja2.id}/replies`, { body: 'スライド 12 を見てください。' });
    await api('PATCH', `${qsPath(talk)}/${hid.id}`, { hidden: true });

    // Talk 2 (pre-moderated): one approved, one rejected, one left waiting.
    await Sho.call('POST', qsPath(talk2), { body: q2ok, anonymous: false });
    await Spam.call('POST', qsPath(talk2), { body: q2bad, anonymous: false });
    await Mika.call('POST', qsPath(talk2), { body: q2wait, anonymous: false });
    const { reviews } = await api('GET', `/api/v1/events/${event.id}/reviews?state=open&talk_id=${talk2.id}`);
    const byBody = (b) => reviews.find((x) => x.body === b);
    await api('POST', `/api/v1/events/${event.id}/reviews/${byBody(q2ok).id}/decision`, { decision: 'approve' });
    await api('POST', `/api/v1/events/${event.id}/reviews/${byBody(q2bad).id}/decision`, { decision: 'reject' });

    // Reactions: 👏 5 and 🎉 2 in talk 1, ❤️ 1 in talk 2.
    await Mika.call('POST', `/api/v1/events/${event.id}/talks/${talk.id}/reactions`, { emoji: '👏', count: 3 });
    await Ken.call('POST', `/api/v1/events/${event.id}/talks/${talk.id}/reactions`, { emoji: '👏', count: 2 });
    await Yui.call('POST', `/api/v1/events/${event.id}/talks/${talk.id}/reactions`, { emoji: '🎉', count: 2 });
    await Sho.call('POST', `/api/v1/events/${event.id}/talks/${talk2.id}/reactions`, { emoji: '❤️', count: 1 });

    // A poll in talk 1: three votes, then closed.
    const pollsPath = `/api/v1/events/${event.id}/talks/${talk.id}/polls`;
    const poll = await api('POST', pollsPath, { kind: 'choice', question: 'どのバージョンの Go を使っていますか？', options: ['1.26', '1.25', 'もっと前'] });
    await api('PATCH', `${pollsPath}/${poll.id}`, { state: 'open' });
    await Mika.call('PUT', `${pollsPath}/${poll.id}/vote`, { options: [poll.options[0].id] });
    await Ken.call('PUT', `${pollsPath}/${poll.id}/vote`, { options: [poll.options[0].id] });
    await Yui.call('PUT', `${pollsPath}/${poll.id}/vote`, { options: [poll.options[1].id] });
    await api('PATCH', `${pollsPath}/${poll.id}`, { state: 'closed' });

    // The reactions are written within a second and the audience every few: wait until the report has them.
    await until('the report has the reactions and the connections', async () => {
      const rep = await api('GET', `/api/v1/events/${event.id}/report`);
      return rep.connections.peak >= 4 && rep.talks.reduce((s, x) => s + x.reactions, 0) === 8 ? rep : false;
    }, 20_000);
  });

  after(async () => {
    pages?.assertClean();
    await browser?.close();
    await koe?.stop();
  });

  it('the owner’s event report: the tiles say what happened', async () => {
    const page = await pages.newPage(desk, { login: 'aiko' });
    await openReport(page);
    assert.equal((await page.locator('[data-testid="report-title"]').textContent()).trim(), 'Go Conference mini 2026');
    assert.match(await page.locator('[data-testid="report-generated"]').textContent(), /^Generated .+ \(Asia\/Tokyo\)$/);
    assert.equal(await tileNum(page, 'participants'), 5);
    assert.equal((await tile(page, 'participants').locator('.tile-value').textContent()).trim(), '5');
    assert.equal(await tileNum(page, 'questions', 'shown'), 4, 'shown: the three of talk 1 and the approved one');
    assert.equal(await tileNum(page, 'questions', 'total'), 7, 'every question, hidden, waiting and rejected too');
    assert.equal((await tile(page, 'questions').locator('.tile-value').textContent()).trim(), '4 / 7');
    assert.equal(await tileNum(page, 'answered'), 1);
    assert.equal(await tileNum(page, 'likes'), 4);
    assert.equal(await tileNum(page, 'replies'), 1);
    assert.equal(await tileNum(page, 'reactions'), 8);
    assert.equal(await tileNum(page, 'peak'), 4, 'three on talk 1 and one on talk 2 at once');
    assert.match(await tile(page, 'peak').textContent(), /Peak connections4at (\d+ \w+ )?\d\d:\d\d$/);
    await pages.shot(page, 'report-event-1440-en');

    // The charts: SVG images with a sentence each, and their numbers in a table.
    const joined = page.locator('[data-testid="chart-joined"] svg[role="img"]');
    assert.match(await joined.getAttribute('aria-label'), /^Participants joined from (\d+ \w+ )?\d\d:\d\d to (\d+ \w+ )?\d\d:\d\d: 5 in all, at most [1-5] in 5 minutes/);
    assert.ok((await page.locator('[data-testid="chart-joined"] rect.ch-bar').count()) >= 1, 'bars');
    assert.equal(await page.locator('[data-testid="chart-joined"] path.ch-line-total').count(), 1, 'the running total');
    assert.match(await page.locator('[data-testid="chart-asked"] svg').getAttribute('aria-label'), /7 in all/);
    assert.match(await page.locator('[data-testid="chart-conn"] svg').getAttribute('aria-label'), /at most 4 at once/);
    assert.equal(await page.locator('[data-testid="chart-conn"] .ch-mark-dot').count(), 1, 'the peak is marked');
    const table = page.locator('#chart-joined').locator('xpath=..').locator('details.ch-data');
    await table.locator('summary').click();
    const sum = await table.locator('tbody tr td:nth-child(2)').allTextContents();
    assert.equal(sum.map(Number).reduce((s, n) => s + n, 0), 5, 'the table adds up to the participants');
    assert.deepEqual(await pages.audit(page, 'main'), []);
    await page.close();
  });

  it('the per-talk rows, the top questions and the moderation outcomes', async () => {
    const page = await pages.newPage(desk, { login: 'aiko' });
    await openReport(page);
    const row = (tk) => page.locator(`.report-talk[data-talk="${tk.id}"]`);
    assert.deepEqual(
      await row(talk).evaluate((el) => [el.dataset.questions, el.dataset.likes, el.dataset.reactions].map(Number)),
      [4, 4, 7],
    );
    assert.deepEqual(
      await row(talk2).evaluate((el) => [el.dataset.questions, el.dataset.likes, el.dataset.reactions].map(Number)),
      [3, 0, 1],
    );
    assert.match(await row(talk).locator('.report-talk-more').textContent(), /3 shown · 1 answered · peak 3 connections/);
    assert.equal(await row(talk).locator('a.report-talk-link').getAttribute('href'), `/admin/e/${event.id}/t/${talk.id}/report`);

    const top = page.locator('[data-testid="top-question"]');
    assert.equal(await top.count(), 4, 'the shown questions');
    assert.equal((await top.nth(0).locator('.report-top-body').textContent()).trim(), qJa);
    assert.equal(await top.nth(0).getAttribute('data-likes'), '3');
    assert.match(await top.nth(0).textContent(), /Mika·ジェネリクス実践入門/);
    assert.equal((await top.nth(1).locator('.report-top-body').textContent()).trim(), qEn);
    assert.equal(await top.nth(1).locator('.badge-answered').count(), 1, 'the answered mark');
    assert.equal((await top.nth(2).locator('.report-top-body').textContent()).trim(), qJa2, 'no likes: the older first');
    assert.match(await top.nth(2).locator('.report-top-meta').textContent(), /^Anonymous/);
    assert.ok(!(await page.locator('[data-testid="top-questions"]').textContent()).includes(qHidden), 'no hidden question');

    const rep = await api('GET', `/api/v1/events/${event.id}/report`);
    const mod = page.locator('[data-testid="moderation"]');
    for (const k of ['approved', 'rejected', 'pending', 'flagged']) {
      assert.equal(Number(await mod.locator(`[data-outcome="${k}"]`).getAttribute('data-value')), rep.moderation[k], k);
    }
    assert.ok(rep.moderation.approved >= 1 && rep.moderation.rejected >= 1 && rep.moderation.pending >= 1, JSON.stringify(rep.moderation));
    assert.match(await mod.locator('svg[role="img"]').getAttribute('aria-label'), /^Moderation outcomes: \d+ approved, \d+ rejected, \d+ waiting, \d+ flagged\.$/);
    await page.locator('#talks-h').scrollIntoViewIfNeeded();
    await pages.shot(page, 'report-event-talks-1440-en');

    // A talk row opens the talk's report.
    await row(talk).locator('a.report-talk-link').click();
    await page.waitForURL(reportURL(talk));
    await until('the talk report', async () => (await page.locator('[data-testid="report-title"]').textContent()) === 'ジェネリクス実践入門');
    assert.equal(await tileNum(page, 'questions', 'shown'), 3);
    assert.equal(await tileNum(page, 'questions', 'total'), 4);
    assert.equal(await tileNum(page, 'reactions'), 7);
    assert.equal(await tileNum(page, 'peak'), 3);
    const reactions = page.locator('[data-testid="report-reactions"] li');
    assert.deepEqual(await reactions.evaluateAll((els) => els.map((el) => [el.dataset.emoji, Number(el.dataset.count)])), [['👏', 5], ['🎉', 2]]);
    const poll = page.locator('[data-testid="report-poll"]');
    assert.equal(await poll.count(), 1);
    assert.match(await poll.locator('h3').textContent(), /どのバージョンの Go/);
    assert.equal(await poll.locator('[data-testid="poll-results"]').getAttribute('data-voters'), '3');
    assert.equal(await page.locator('[data-testid="top-question"]').count(), 3);
    assert.deepEqual(await pages.audit(page, 'main'), []);
    await page.close();
  });

  it('in Japanese: the event report and the talk report', async () => {
    const page = await pages.newPage(desk, { login: 'aiko', locale: 'ja-JP' });
    await openReport(page);
    assert.match(await page.locator('.report-head .eyebrow').textContent(), /イベントレポート/);
    assert.match(await page.locator('[data-testid="report-generated"]').textContent(), /（Asia\/Tokyo）時点の集計$/);
    assert.equal((await tile(page, 'participants').locator('dt').textContent()).trim(), '参加者');
    assert.equal((await page.locator('[data-testid="report-print"]').textContent()).trim(), '印刷');
    assert.match(await page.locator('[data-testid="chart-joined"] svg').getAttribute('aria-label'), /合計 5 人/);
    await pages.shot(page, 'report-event-1440-ja');
    await openReport(page, talk);
    assert.match(await page.locator('.report-head .eyebrow').textContent(), /トークレポート/);
    assert.equal(await page.locator('[data-testid="event-report-link"]').count(), 1, 'the owner goes back to the event report');
    await pages.shot(page, 'report-talk-1440-ja');
    await page.locator('#polls-h').evaluate((el) => el.scrollIntoView({ block: 'start' }));
    await pages.shot(page, 'report-talk-polls-1440-ja');
    await page.close();
  });

  it('the presenter opens his talk’s report, not the event’s nor the other talk’s', async () => {
    const page = await pages.newPage(desk, { login: 'ren', locale: 'ja-JP' });
    await openReport(page, talk);
    assert.equal(await tileNum(page, 'questions', 'total'), 4);
    assert.equal(await page.locator('[data-testid="event-report-link"]').count(), 0, 'no link to the event report for a presenter of one talk');
    await page.goto(reportURL(talk2));
    await page.locator('.banner-warn', { hasText: 'このトークのレポートは' }).waitFor();
    await page.goto(reportURL());
    await page.locator('.banner-warn', { hasText: '登壇者は担当トークのレポートを見られます' }).waitFor();
    // His desk links to his talk's report and not to the event's.
    await page.goto(`${koe.base}/admin/e/${event.id}/t/${talk.id}`);
    await page.locator('[data-testid="talk-report-link"]').waitFor();
    assert.equal(await page.locator('[data-testid="report-link"]').count(), 0);
    await page.close();
  });

  it('prints: no navigation or buttons, the charts kept', async () => {
    const page = await pages.newPage({ width: 794, height: 1123 }, { login: 'aiko' });
    await openReport(page);
    await page.emulateMedia({ media: 'print' });
    assert.equal(await page.locator('.topbar').isVisible(), false, 'no top bar on paper');
    assert.equal(await page.locator('[data-testid="report-print"]').isVisible(), false, 'no buttons on paper');
    assert.equal(await page.locator('.crumbs').isVisible(), false);
    assert.equal(await page.locator('[data-testid="chart-joined"] svg').isVisible(), true);
    assert.equal(await page.locator('details.ch-data').first().isVisible(), false, 'the tables stay on screen');
    await page.waitForTimeout(300);
    await page.screenshot({ path: join(shots, 'report-print-en.png'), fullPage: true });
    const pdf = await page.pdf({ format: 'A4', printBackground: true, preferCSSPageSize: true });
    const pagesInPdf = (pdf.toString('latin1').match(/\/Type\s*\/Page[^s]/g) ?? []).length;
    assert.ok(pagesInPdf >= 1 && pagesInPdf <= 4, `an A4 report of a few pages (${pagesInPdf})`);
    await page.close();
  });

  it('on a phone, in Japanese: one column, nothing wider than the screen', async () => {
    const page = await pages.newPage(phone, { login: 'aiko', locale: 'ja-JP' });
    await openReport(page);
    assert.ok((await page.evaluate(() => document.documentElement.scrollWidth)) <= phone.width, 'no sideways scrolling');
    const box = await page.locator('[data-testid="chart-joined"] svg').boundingBox();
    assert.ok(box.x >= 0 && box.x + box.width <= phone.width, `the chart fits: ${JSON.stringify(box)}`);
    await pages.shot(page, 'report-phone-ja');
    await page.locator('#talks-h').scrollIntoViewIfNeeded();
    await pages.shot(page, 'report-phone-talks-ja');
    // Dark: the charts take the dark tokens.
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.evaluate(() => window.scrollTo(0, 560));
    await pages.shot(page, 'report-phone-dark-ja');
    await page.close();
  });

  it('an event nobody joined yet: friendly empty states, no charts', async () => {
    const page = await pages.newPage(desk, { login: 'aiko' });
    await page.goto(`${koe.base}/admin/e/${empty.id}/report`);
    await page.locator('[data-testid="report-empty"]').waitFor();
    assert.equal(await tileNum(page, 'participants'), 0);
    assert.equal(await tileNum(page, 'peak'), 0);
    assert.match(await tile(page, 'peak').textContent(), /none recorded/);
    for (const id of ['joined-empty', 'asked-empty', 'conn-empty', 'top-empty', 'moderation-empty']) {
      assert.equal(await page.locator(`[data-testid="${id}"]`).count(), 1, id);
    }
    assert.equal(await page.locator('svg.ch-svg').count(), 0, 'no empty charts');
    assert.equal(await page.locator('.report-talk').count(), 1, 'its one talk, with zeros');
    assert.deepEqual(await pages.audit(page, 'main'), []);
    await pages.shot(page, 'report-empty-1440-en');
    await page.close();
  });

  it('the owner’s desk links to the report; Refresh reads it again', async () => {
    const page = await pages.newPage(desk, { login: 'aiko' });
    await page.goto(`${koe.base}/admin/e/${event.id}`);
    await page.locator('[data-testid="report-link"]').click();
    await page.waitForURL(reportURL());
    await page.locator('[data-testid="tile-questions"]').waitFor();
    assert.equal(await tileNum(page, 'questions', 'total'), 7);
    await people.Ken.call('POST', qsPath(talk), { body: 'Will the slides be online?', anonymous: false });
    await page.locator('[data-testid="report-refresh"]').click();
    await until('the new question counted', async () => (await tileNum(page, 'questions', 'total')) === 8);
    assert.equal(await tileNum(page, 'questions', 'shown'), 5);
    await page.goto(`${koe.base}/admin/e/${event.id}/t/${talk.id}`);
    await page.locator('[data-testid="talk-report-link"]').click();
    await page.waitForURL(reportURL(talk));
    await page.locator('[data-testid="report-title"]').waitFor();
    await page.close();
  });
});
