// End-to-end for the Export control (issue 13, F22) on the staff desk: an
// owner (Aiko) opens a talk with questions in Japanese and English (asked,
// liked and answered through the API, one with a staff reply, one hidden),
// downloads the speakers' Markdown (the talk's title, unanswered questions
// first, likes) and the CSV (a UTF-8 BOM, a header row, the Japanese text
// intact) with the browser's own cookie, switches to "held, rejected and
// hidden items too" and gets the hidden question; the whole event's export
// from the event card has both talks. The talk's presenter (Ren, in
// Japanese) gets the talk's export without that checkbox and without the
// event's; the server refuses him all=true. Screenshots (1440x900, en and
// ja) go to test-results/ (or KOE_SHOTS).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { launch } from './lib/browser.mjs';
import { pageHelpers } from './lib/pages.mjs';
import { apiClient, startKoe } from './lib/server.mjs';

const token = 'e2e-owner-token-export-0123456789abcd';
const desk = { width: 1440, height: 900 };
const passwords = { aiko: 'Amber-Kettle-Meadow-31', ren: 'Silver-Canal-Pocket-58' };

const qJa = 'ジェネリクスを本番で使うときの注意点はありますか？';
const qEn = 'How much do generics slow down compile times?';
const qJa2 = '型パラメータの名前の付け方に決まりはありますか？';
const qHidden = 'Buy cheap sneakers at example.com';
const replyText = 'ビルド時間はおよそ 5% 伸びました（スライド 12 参照）。';

let koe, api, browser, pages, event, talk, talk2;
let aiko, ren;

const talkExport = (page) => page.locator('[data-testid="export-talk"]');
const eventExport = (page) => page.locator('[data-testid="export-event"]');
const link = (scope, format) => scope.locator(`a[data-format="${format}"]`);

/** A participant of the event: a call as it. */
async function participant(name) {
  const r = await fetch(`${koe.base}/api/v1/join`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ code: event.join_code, display_name: name }),
  });
  assert.equal(r.status, 201, `join of ${name}`);
  const { token: tok } = await r.json();
  return async (method, path, body) => {
    const res = await fetch(koe.base + path, {
      method, headers: { Authorization: `Bearer ${tok}`, 'Content-Type': 'application/json' }, body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    assert.ok(res.ok, `${method} ${path} as ${name}: ${res.status} ${text}`);
    return text ? JSON.parse(text) : null;
  };
}

const qsPath = (tk) => `/api/v1/events/${event.id}/talks/${tk.id}/questions`;

/** Clicks a download link and returns the file's name and bytes. */
async function download(page, a) {
  const [dl] = await Promise.all([page.waitForEvent('download'), a.click()]);
  const failure = await dl.failure();
  assert.equal(failure, null, `download of ${await a.getAttribute('href')}`);
  return { name: dl.suggestedFilename(), bytes: readFileSync(await dl.path()) };
}

async function openTalk(page) {
  await page.goto(`${koe.base}/admin/e/${event.id}/t/${talk.id}`);
  await talkExport(page).waitFor();
}

describe('exporting questions from the staff desk', () => {
  before(async () => {
    koe = await startKoe({ token });
    api = apiClient(koe.base, token);
    const now = Date.now();
    event = await api('POST', '/api/v1/events', {
      title: 'Go Meetup Tokyo #47', slug: 'go-47', time_zone: 'Asia/Tokyo',
      starts_at: new Date(now - 3600e3).toISOString(), ends_at: new Date(now + 3 * 3600e3).toISOString(),
      settings: { participant_replies: false },
    });
    talk = await api('POST', `/api/v1/events/${event.id}/talks`, {
      title: 'ジェネリクス実践入門', speaker: 'Ren Kobayashi',
      starts_at: new Date(now - 600e3).toISOString(), ends_at: new Date(now + 2400e3).toISOString(),
    });
    talk2 = await api('POST', `/api/v1/events/${event.id}/talks`, {
      title: 'Error handling in 2026', speaker: 'Mei Suzuki',
      starts_at: new Date(now + 3000e3).toISOString(), ends_at: new Date(now + 5400e3).toISOString(),
    });
    const a = await api('POST', '/api/v1/accounts', { login: 'aiko', display_name: 'Aiko Tanaka', email: '', password: passwords.aiko, admin: false });
    await api('PUT', `/api/v1/events/${event.id}/staff/${a.id}`, { role: 'owner', talks: [] });
    const r = await api('POST', '/api/v1/accounts', { login: 'ren', display_name: 'Ren Kobayashi', email: '', password: passwords.ren, admin: false });
    await api('PUT', `/api/v1/events/${event.id}/staff/${r.id}`, { role: 'presenter', talks: [talk.id] });

    // Questions through participants: likes 3, 1 and 0; the English one answered, a reply to the second Japanese one, spam hidden.
    const [mika, ken, yui, sho, spam] = await Promise.all(['Mika', 'Ken', 'Yui', 'Sho', 'Spammer'].map(participant));
    const ja1 = await mika('POST', qsPath(talk), { body: qJa, anonymous: false });
    const en1 = await ken('POST', qsPath(talk), { body: qEn, anonymous: false });
    const ja2 = await yui('POST', qsPath(talk), { body: qJa2, anonymous: true });
    const hid = await spam('POST', qsPath(talk), { body: qHidden, anonymous: false });
    await sho('POST', qsPath(talk2), { body: 'Is errors.Join worth it?', anonymous: false });
    for (const who of [ken, yui, sho]) await who('PUT', `${qsPath(talk)}/${ja1.id}/like`);
    await mika('PUT', `${qsPath(talk)}/${en1.id}/like`);
    await api('PATCH', `${qsPath(talk)}/${en1.id}`, { answered: true });
    await api('POST', `${qsPath(talk)}/${ja2.id}/replies`, { body: replyText });
    await api('PATCH', `${qsPath(talk)}/${hid.id}`, { hidden: true });

    browser = await launch();
    pages = pageHelpers({ browser, base: koe.base, passwords });
  });

  after(async () => {
    pages?.assertClean();
    await browser?.close();
    await koe?.stop();
  });

  it('the owner opens the talk’s Export: three links with what each is for, and the “held too” checkbox', async () => {
    aiko = await pages.newPage(desk, { login: 'aiko' });
    await openTalk(aiko);
    const menu = talkExport(aiko);
    const toggle = menu.locator('[data-testid="export-toggle"]');
    assert.equal((await toggle.textContent()).trim(), 'Export');
    assert.equal(await menu.locator('.export-panel').isVisible(), false, 'closed at first');
    // Keyboard: the toggle opens it, Escape closes it and gives the focus back.
    await toggle.focus();
    await aiko.keyboard.press('Enter');
    await menu.locator('.export-panel').waitFor();
    await link(menu, 'md').focus();
    await aiko.keyboard.press('Escape');
    await menu.locator('.export-panel').waitFor({ state: 'hidden' });
    assert.equal(await toggle.evaluate((el) => el === document.activeElement), true, 'the focus is back on the toggle');
    await toggle.click();
    await menu.locator('.export-panel').waitFor();
    for (const [format, name, hint] of [
      ['md', 'Markdown', /For the speakers: unanswered questions first/],
      ['csv', 'CSV', /For spreadsheets: one row per question/],
      ['json', 'JSON', /Everything/],
    ]) {
      const a = link(menu, format);
      assert.equal((await a.textContent()).trim(), name);
      assert.equal(await a.getAttribute('href'), `/api/v1/events/${event.id}/talks/${talk.id}/export?format=${format}`);
      assert.notEqual(await a.getAttribute('download'), null, `${format}: a download link`);
      const described = await a.getAttribute('aria-describedby');
      assert.match(await aiko.locator(`[id="${described}"]`).textContent(), hint);
    }
    const all = menu.locator('[data-testid="export-all"]');
    assert.equal(await all.isChecked(), false);
    assert.match(await all.locator('xpath=ancestor::label').textContent(), /Include held, rejected and hidden items/);
    assert.deepEqual(await pages.audit(aiko, '[data-testid="export-talk"]'), []);
    await pages.shot(aiko, 'export-talk-1440-en');
  });

  it('the Markdown for the speakers: the talk’s title, unanswered questions first, likes, the reply; not the hidden one', async () => {
    const { name, bytes } = await download(aiko, link(talkExport(aiko), 'md'));
    assert.equal(name, `koe-go-47-talk-${talk.id}.md`);
    const md = bytes.toString('utf8');
    assert.ok(md.includes('ジェネリクス実践入門'), 'the talk’s title');
    for (const q of [qJa, qEn, qJa2]) assert.ok(md.includes(q), `has “${q}”`);
    assert.ok(md.indexOf(qJa) < md.indexOf(qEn) && md.indexOf(qJa2) < md.indexOf(qEn), 'the unanswered questions come before the answered one');
    assert.ok(md.indexOf(qJa) < md.indexOf(qJa2), 'the most liked first');
    assert.match(md.slice(md.indexOf(qJa), md.indexOf(qJa2)), /Mika, 3 likes/, 'the likes of the first question');
    assert.match(md.slice(md.indexOf(qEn)), /Ken, 1 like\b/, 'the answered one’s like');
    assert.ok(md.includes(replyText), 'the reply');
    assert.ok(!md.includes(qHidden), 'no hidden question');
    assert.ok(!md.includes('errors.Join'), 'only this talk');
  });

  it('the CSV: a UTF-8 BOM, a header row, one row per question, the Japanese intact', async () => {
    const { name, bytes } = await download(aiko, link(talkExport(aiko), 'csv'));
    assert.match(name, /\.csv$/);
    assert.deepEqual([...bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf], 'starts with the UTF-8 BOM');
    const text = bytes.subarray(3).toString('utf8');
    const lines = text.split(/\r?\n/).filter(Boolean);
    assert.match(lines[0], /^[a-z_]+(,[a-z_]+)+$/, `a header row: ${lines[0]}`);
    for (const col of ['question', 'likes', 'answered']) assert.ok(lines[0].split(',').includes(col), `a column ${col}: ${lines[0]}`);
    assert.ok(!lines[0].includes(qJa), 'the header is not a question');
    assert.ok(text.includes(qJa) && text.includes(qJa2) && text.includes(qEn), 'the questions, Japanese intact');
    assert.ok(!text.includes(qHidden), 'no hidden question');
    assert.equal(lines.length, 1 + 3, 'the header and three questions');
  });

  it('“include held, rejected and hidden items” switches the links to all=true, and the hidden question comes too', async () => {
    const menu = talkExport(aiko);
    await menu.locator('[data-testid="export-all"]').check();
    for (const format of ['md', 'csv', 'json']) {
      assert.equal(await link(menu, format).getAttribute('href'), `/api/v1/events/${event.id}/talks/${talk.id}/export?format=${format}&all=true`);
    }
    assert.match(await menu.locator('.export-with-all').first().textContent(), /With held, rejected and hidden items/);
    await pages.shot(aiko, 'export-talk-all-1440-en');
    const csv = (await download(aiko, link(menu, 'csv'))).bytes.toString('utf8');
    assert.ok(csv.includes(qHidden), 'the hidden question is in');
    const json = JSON.parse((await download(aiko, link(menu, 'json'))).bytes.toString('utf8'));
    assert.ok(JSON.stringify(json).includes(qHidden), 'the JSON has the hidden question too');
    await menu.locator('[data-testid="export-all"]').uncheck();
    assert.equal(await link(menu, 'csv').getAttribute('href'), `/api/v1/events/${event.id}/talks/${talk.id}/export?format=csv`);
  });

  it('a click elsewhere closes the menu', async () => {
    await aiko.locator('#mod-h').click();
    await talkExport(aiko).locator('.export-panel').waitFor({ state: 'hidden' });
  });

  it('the event card exports the whole event: both talks', async () => {
    const card = eventExport(aiko);
    await card.locator('[data-testid="export-toggle"]').click();
    assert.equal(await link(card, 'md').getAttribute('href'), `/api/v1/events/${event.id}/export?format=md`);
    assert.equal(await card.locator('[data-testid="export-all"]').count(), 1, 'the owner may include held items');
    await pages.shot(aiko, 'export-event-1440-en');
    const md = (await download(aiko, link(card, 'md'))).bytes.toString('utf8');
    assert.ok(md.includes('ジェネリクス実践入門') && md.includes('Error handling in 2026'), 'both talks');
    assert.ok(md.includes('errors.Join') && md.includes(qJa), 'both talks’ questions');
  });

  it('the presenter gets the talk’s export in Japanese, without “held too” and without the event’s', async () => {
    ren = await pages.newPage(desk, { login: 'ren', locale: 'ja-JP' });
    await openTalk(ren);
    const menu = talkExport(ren);
    const toggle = menu.locator('[data-testid="export-toggle"]');
    assert.equal((await toggle.textContent()).trim(), 'エクスポート');
    await toggle.click();
    await menu.locator('.export-panel').waitFor();
    assert.match(await menu.locator('.export-panel').textContent(), /登壇者向け/);
    assert.equal(await menu.locator('[data-testid="export-all"]').count(), 0, 'no “held too” for a presenter');
    assert.equal(await eventExport(ren).count(), 0, 'a presenter limited to a talk does not export the event');
    assert.deepEqual(await pages.audit(ren, '[data-testid="export-talk"]'), []);
    await pages.shot(ren, 'export-talk-1440-ja');
    const md = (await download(ren, link(menu, 'md'))).bytes.toString('utf8');
    assert.ok(md.includes(qJa) && !md.includes(qHidden));
    // The server holds to it: held items and the event are refused with his cookie.
    const base = `${koe.base}/api/v1/events/${event.id}`;
    assert.equal((await ren.context().request.get(`${base}/talks/${talk.id}/export?format=csv&all=true`)).status(), 403);
    assert.equal((await ren.context().request.get(`${base}/export?format=csv`)).status(), 403);
  });

  it('the owner’s desk in Japanese', async () => {
    const page = await pages.newPage(desk, { login: 'aiko', locale: 'ja-JP' });
    await openTalk(page);
    await talkExport(page).locator('[data-testid="export-toggle"]').click();
    await talkExport(page).locator('[data-testid="export-all"]').check();
    assert.match(await talkExport(page).locator('.export-panel').textContent(), /保留・却下・非表示の項目も含める/);
    await pages.shot(page, 'export-talk-all-1440-ja');
    await page.close();
  });

  it('on a phone the panel unfolds in place, inside the screen', async () => {
    const page = await pages.newPage({ width: 390, height: 844 }, { login: 'aiko', locale: 'ja-JP' });
    await openTalk(page);
    await talkExport(page).locator('[data-testid="export-toggle"]').click();
    const panel = talkExport(page).locator('.export-panel');
    await panel.waitFor();
    await panel.scrollIntoViewIfNeeded();
    const box = await panel.boundingBox();
    assert.ok(box.x >= 0 && box.x + box.width <= 390, `inside the screen: ${JSON.stringify(box)}`);
    await pages.shot(page, 'export-talk-390-ja');
    await page.close();
  });
});
