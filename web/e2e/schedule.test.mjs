// End-to-end for the schedule (F21): a real koe on a real SQLite file and
// headless Chromium. The owner (Aiko) uploads a small pretalx schedule
// (three talks in two rooms, Japanese titles, times without a UTC offset)
// on the event's Schedule page, previews it (counts, the format, the
// notice that the times were read in the event's zone), applies it and
// finds the talks on the event page; the same file again changes nothing.
// She lets the Q&A follow the schedule with no lead. In Japanese, a
// changed file (the first talk now ends ~25 s from now, the second starts
// then) shows what changed; applied, the room screen of Hall A switches
// from the first talk to the second by itself. The audience page lists
// "now in each room"; a screen link's room URL works without signing in;
// a talk with questions that leaves the schedule is kept and flagged.
// Screenshots go to test-results/ (or KOE_SHOTS).
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { launch } from './lib/browser.mjs';
import { pageHelpers } from './lib/pages.mjs';
import { apiClient, startKoe } from './lib/server.mjs';
import { until } from './lib/until.mjs';

const token = 'e2e-owner-token-schedule-0123456789abcd';
const desk = { width: 1440, height: 900 };
const phone = { width: 390, height: 844 };
const projector = { width: 1920, height: 1080 };
const passwords = { aiko: 'Cedar-Lantern-Harbor-73' };

const hallA = 'ホールA';
const roomB = 'ルームB';
const titles = {
  keynote: '基調講演：Go の十年',
  generics: 'ジェネリクス実践入門',
  errors: 'エラー処理の設計',
};

let koe, api, browser, pages, event, aiko;
let talks = {}; // source id → koe talk
// A schedule served by URL (koe may fetch loopback addresses in this test: KOE_WEBHOOK_ALLOW_PRIVATE).
let served = '';
let origin;

/** A time as Tokyo's wall clock, without a UTC offset (the schedule leaves the zone to the event). */
const tokyo = (ms) => new Date(ms + 9 * 3600e3).toISOString().slice(0, 19);
const hhmm = (min) => `${String(Math.floor(min / 60)).padStart(2, '0')}:${String(min % 60).padStart(2, '0')}`;

/** A pretalx schedule.json of talks {id, room, title, speaker, start (ms), minutes}. */
function pretalx(list) {
  const days = new Map();
  for (const t of list) {
    const date = tokyo(t.start).slice(0, 10);
    const day = days.get(date) ?? { index: days.size + 1, date, rooms: {} };
    days.set(date, day);
    (day.rooms[t.room] ??= []).push({
      id: t.n, guid: t.id, date: tokyo(t.start), start: tokyo(t.start).slice(11, 16), duration: hhmm(t.minutes),
      room: t.room, title: t.title, track: 'Go', language: 'ja', persons: [{ public_name: t.speaker }],
    });
  }
  return JSON.stringify({
    schedule: { version: '1.0', conference: { acronym: 'gocon-2026', title: 'Go Conference 2026', days: [...days.values()] } },
  });
}

function file(json) {
  return { name: 'schedule.json', mimeType: 'application/json', buffer: Buffer.from(json) };
}

const now0 = Date.now();
const v1 = [
  { n: 1, id: 'gc-keynote', room: hallA, title: titles.keynote, speaker: '山田 太郎', start: now0 - 5 * 60e3, minutes: 30 },
  { n: 2, id: 'gc-generics', room: hallA, title: titles.generics, speaker: 'Ren Kobayashi', start: now0 + 2 * 3600e3, minutes: 30 },
  { n: 3, id: 'gc-errors', room: roomB, title: titles.errors, speaker: '鈴木 芽衣', start: now0 - 5 * 60e3, minutes: 60 },
];

const plan = (page) => page.locator('[data-testid="schedule-plan"]');
const count = async (page, what) => Number(await page.locator(`[data-testid="plan-${what}"]`).getAttribute('data-n'));

async function preview(page, json) {
  await page.locator('[data-testid="schedule-file"]').setInputFiles(file(json));
  await page.locator('[data-testid="schedule-preview"]:not([disabled])').click();
  await plan(page).waitFor();
}

describe('the schedule: import, Q&A by the times, room screens', () => {
  before(async () => {
    origin = createServer((req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(served);
    });
    await new Promise((r) => origin.listen(0, '127.0.0.1', r));
    koe = await startKoe({ token, env: { KOE_WEBHOOK_ALLOW_PRIVATE: 'true' } });
    api = apiClient(koe.base, token);
    event = await api('POST', '/api/v1/events', {
      title: 'Go Conference 2026', slug: 'gocon-2026', time_zone: 'Asia/Tokyo',
      starts_at: new Date(now0 - 3600e3).toISOString(), ends_at: new Date(now0 + 8 * 3600e3).toISOString(),
      settings: { participant_replies: false },
    });
    const a = await api('POST', '/api/v1/accounts', { login: 'aiko', display_name: 'Aiko Tanaka', email: '', password: passwords.aiko, admin: false });
    await api('PUT', `/api/v1/events/${event.id}/staff/${a.id}`, { role: 'owner', talks: [] });
    browser = await launch();
    pages = pageHelpers({ browser, base: koe.base, passwords });
  });

  after(async () => {
    pages?.assertClean();
    await browser?.close();
    await koe?.stop();
    origin?.close();
  });

  it('the event page links to the Schedule page', async () => {
    aiko = await pages.newPage(desk, { login: 'aiko' });
    await aiko.goto(`${koe.base}/admin/e/${event.id}`);
    await aiko.locator('[data-testid="schedule-link"]').click();
    await aiko.locator('[data-testid="schedule-import"]').waitFor();
    assert.equal(new URL(aiko.url()).pathname, `/admin/e/${event.id}/schedule`);
    assert.match(await aiko.locator('h1').textContent(), /Schedule/);
  });

  it('a file that is not a schedule: the parser’s message next to the input', async () => {
    await aiko.locator('[data-testid="schedule-file"]').setInputFiles(file('{"schedule": {"version": "1"}}'));
    await aiko.locator('[data-testid="schedule-preview"]:not([disabled])').click();
    const err = aiko.locator('[data-testid="schedule-error"]');
    await until('the error', async () => /schedule could not be read/.test(await err.textContent()));
    assert.match(await err.textContent(), /conference/);
    assert.equal(await plan(aiko).count(), 0);
  });

  it('previews a pretalx file: counts, format, the assumed zone, the new talks by time', async () => {
    await preview(aiko, pretalx(v1));
    assert.equal(await plan(aiko).getAttribute('data-applied'), 'false');
    assert.deepEqual(
      [await count(aiko, 'added'), await count(aiko, 'changed'), await count(aiko, 'removed'), await count(aiko, 'unchanged')],
      [3, 0, 0, 0],
    );
    assert.match(await aiko.locator('[data-testid="plan-format"]').textContent(), /pretalx/);
    assert.equal(await aiko.locator('[data-testid="plan-title"]').textContent(), 'Go Conference 2026');
    assert.match(await aiko.locator('[data-testid="plan-zone"]').textContent(), /Times without a UTC offset were read as Asia\/Tokyo/);
    const rows = aiko.locator('[data-testid="plan-added-table"] tbody tr');
    assert.equal(await rows.count(), 3);
    // By time, then room: the keynote (Hall A) and the errors talk (Room B) at the same time, generics last.
    assert.deepEqual(await rows.evaluateAll((trs) => trs.map((tr) => tr.dataset.source)), ['gc-keynote', 'gc-errors', 'gc-generics']);
    const first = await rows.first().locator('td').allTextContents();
    assert.equal(first[1], hallA);
    assert.equal(first[2], titles.keynote);
    assert.equal(first[3], '山田 太郎');
    // Tokyo's wall clock, as the file had it.
    assert.ok(first[0].includes(tokyo(v1[0].start).slice(11, 16)), `the time in the event’s zone: ${first[0]}`);
    assert.deepEqual(await pages.audit(aiko, '[data-testid="schedule-import"]'), []);
    assert.equal((await api('GET', `/api/v1/events/${event.id}/talks`)).talks.length, 0, 'a preview changes nothing');
    await pages.shot(aiko, 'schedule-preview-1440-en');
  });

  it('applies it: the talks are there, on the event page too', async () => {
    await aiko.locator('[data-testid="schedule-apply"]').click();
    await aiko.locator('[data-testid="schedule-plan"][data-applied="true"]').waitFor();
    const list = (await api('GET', `/api/v1/events/${event.id}/talks`)).talks;
    assert.deepEqual(list.map((t) => t.title).sort(), Object.values(titles).sort());
    talks = Object.fromEntries(list.map((t) => [t.source_id, t]));
    assert.equal(talks['gc-keynote'].room, hallA);
    assert.equal(talks['gc-errors'].room, roomB);
    // The rooms card follows: two rooms, each with its screen URL.
    const rooms = aiko.locator('[data-testid="schedule-room"]');
    await until('two rooms', async () => (await rooms.count()) === 2);
    assert.deepEqual(await rooms.evaluateAll((els) => els.map((e) => e.dataset.room)).then((r) => r.sort()), [hallA, roomB].sort());
    const url = await aiko.locator(`[data-testid="schedule-room"][data-room="${hallA}"] [data-testid="schedule-room-url"]`).inputValue();
    assert.ok(url.endsWith(`/e/${event.id}/rooms/${hallA}/screen`), `a readable room URL: ${url}`);
    const desk2 = await pages.newPage(desk, { login: 'aiko' });
    await desk2.goto(`${koe.base}/admin/e/${event.id}`);
    for (const title of Object.values(titles)) await desk2.locator('.admin-talk-title', { hasText: title }).waitFor();
    assert.equal(await desk2.locator(`[data-talk="${talks['gc-keynote'].id}"] [data-testid="talk-room"]`).textContent(), hallA);
    await desk2.close();
  });

  it('the same file again: nothing added, nothing changed', async () => {
    await preview(aiko, pretalx(v1));
    assert.deepEqual(
      [await count(aiko, 'added'), await count(aiko, 'changed'), await count(aiko, 'removed'), await count(aiko, 'unchanged')],
      [0, 0, 0, 3],
    );
    await aiko.locator('[data-testid="plan-nothing"]').waitFor();
    assert.equal(await aiko.locator('[data-testid="schedule-apply"]').isDisabled(), true);
  });

  it('lets the Q&A follow the schedule, opening at the start and closing at the end', async () => {
    const card = aiko.locator('[data-testid="schedule-qa"]');
    await card.locator('[data-testid="schedule-qa-follow"]').check();
    await card.locator('[data-testid="schedule-qa-before"]').fill('0');
    await card.locator('[data-testid="schedule-qa-after"]').fill('0');
    await card.locator('[data-testid="schedule-qa-save"]').click();
    await until('the settings saved', async () => {
      const e = await api('GET', `/api/v1/events/${event.id}`);
      return e.settings.qa_schedule?.follow === true && e.settings.qa_schedule.opens_before_min === 0 && e.settings.qa_schedule.closes_after_min === 0;
    });
    const e = await api('GET', `/api/v1/events/${event.id}`);
    assert.equal(e.settings.participant_replies, false, 'the other settings kept');
    await aiko.locator('[data-testid="schedule-rooms"]').scrollIntoViewIfNeeded();
    await pages.shot(aiko, 'schedule-rooms-1440-en');
  });

  it('in Japanese, a changed file shows what changes; applied, Hall A’s screen switches by itself', async () => {
    // The keynote now ends ~25 s from now and the generics talk starts then.
    const at = Date.now() + 25_000;
    const v2 = [
      { ...v1[0], start: at - 10 * 60e3, minutes: 10 },
      { ...v1[1], start: at, minutes: 30 },
      v1[2],
    ];
    const ja = await pages.newPage(desk, { login: 'aiko', locale: 'ja-JP' });
    await ja.goto(`${koe.base}/admin/e/${event.id}/schedule`);
    await ja.locator('[data-testid="schedule-import"]').waitFor();
    assert.match(await ja.locator('h1').textContent(), /タイムテーブル/);
    await preview(ja, pretalx(v2));
    assert.deepEqual([await count(ja, 'added'), await count(ja, 'changed'), await count(ja, 'unchanged')], [0, 2, 1]);
    assert.match(await ja.locator('[data-testid="plan-zone"]').textContent(), /Asia\/Tokyo として読み取りました/);
    const changed = ja.locator('[data-testid="plan-changed-table"] tbody tr');
    assert.equal(await changed.count(), 2);
    const keynote = ja.locator(`[data-testid="plan-changed-table"] tr[data-talk="${talks['gc-keynote'].id}"]`);
    assert.match(await keynote.locator('[data-testid="plan-fields"]').textContent(), /開始/);
    assert.equal(await keynote.locator('td.plan-when.plan-diff').count(), 1, 'the changed time is highlighted');
    assert.equal(await keynote.locator('td.plan-talk.plan-diff').count(), 0, 'the title did not change');
    await pages.shot(ja, 'schedule-preview-1440-ja');
    await ja.locator('[data-testid="schedule-apply"]').click();
    await ja.locator('[data-testid="schedule-plan"][data-applied="true"]').waitFor();

    const screen = await pages.newPage(projector, { login: 'aiko', locale: 'ja-JP' });
    await screen.goto(`${koe.base}/e/${event.id}/rooms/${encodeURIComponent(hallA)}/screen`);
    const title = screen.locator('.screen-talk-title');
    await title.waitFor();
    assert.equal(await title.textContent(), titles.keynote, 'the talk on now');
    assert.ok(Date.now() < at - 2000, 'the screen opened before the switch');
    await pages.shot(screen, 'room-screen-1920-ja');
    await until('the screen switches to the next talk', async () => (await title.textContent()) === titles.generics, 45_000);
    assert.ok(Date.now() >= at - 1000, 'not before its time');
    assert.equal(await screen.locator('[data-testid="room-screen"]').getAttribute('data-talk'), String(talks['gc-generics'].id));
    await pages.shot(screen, 'room-screen-switched-1920-ja');
    // A room nobody scheduled anything in: a calm screen that says so.
    await screen.goto(`${koe.base}/e/${event.id}/rooms/${encodeURIComponent('ホールZ')}/screen`);
    const empty = screen.locator('[data-testid="room-screen-empty"]');
    await empty.waitFor();
    assert.match(await empty.locator('h1').textContent(), /ホールZ で予定されているトークはありません/);
    assert.match(await empty.textContent(), /Go Conference 2026/);
    await pages.shot(screen, 'room-screen-empty-1920-ja');
    await screen.close();
    await ja.close();
  });

  it('the audience page lists the talk on now in each room', async () => {
    const page = await pages.newPage(phone, { locale: 'ja-JP' });
    const r = await page.context().request.post(`${koe.base}/api/v1/join`, { data: { code: event.join_code, display_name: 'みか' } });
    assert.equal(r.status(), 201);
    await page.goto(`${koe.base}/e/${event.id}/t/${talks['gc-errors'].id}`);
    const now = page.locator('[data-testid="rooms-now"]');
    await now.waitFor();
    assert.match(await now.locator('h2').textContent(), /各部屋で進行中/);
    const a = now.locator(`li[data-room="${hallA}"] a`);
    await until('Hall A shows the generics talk', async () => (await a.getAttribute('data-talk')) === String(talks['gc-generics'].id));
    assert.match(await a.textContent(), new RegExp(titles.generics));
    const b = now.locator(`li[data-room="${roomB}"] a`);
    assert.equal(await b.getAttribute('aria-current'), 'page', 'the talk being shown is marked');
    assert.deepEqual(await pages.audit(page, '[data-testid="rooms-now"]'), []);
    await pages.shot(page, 'audience-rooms-phone-ja');
    await a.click();
    await until('the talk opens', async () => new URL(page.url()).pathname === `/e/${event.id}/t/${talks['gc-generics'].id}`);
    await page.close();
  });

  it('a screen link’s room URL shows the room’s talk without anyone signed in', async () => {
    const link = await api('POST', `/api/v1/events/${event.id}/screen-links`, { kind: 'screen', label: 'ルームB プロジェクター' });
    await aiko.goto(`${koe.base}/admin/e/${event.id}/screens`);
    const rooms = aiko.locator(`[data-testid="screen-link"][data-id="${link.id}"] [data-testid="screen-link-rooms"]`);
    await rooms.locator('summary').click();
    const urls = await rooms.locator('[data-testid="screen-link-room-url"]').evaluateAll((els) => els.map((e) => e.value));
    const url = urls.find((u) => u.endsWith(`/rooms/${roomB}`));
    assert.ok(url, `a URL for ${roomB}: ${urls}`);
    await rooms.scrollIntoViewIfNeeded();
    await pages.shot(aiko, 'screen-link-rooms-1440-en');
    const fresh = await pages.newPage(projector, { locale: 'ja-JP' });
    await fresh.goto(koe.base + new URL(url).pathname);
    await until('the room’s talk', async () => (await fresh.locator('.screen-talk-title').textContent()) === titles.errors);
    await fresh.close();
    // The staff URL without anyone signed in asks to sign in, and then shows the room.
    const out = await pages.newPage(projector);
    await out.goto(`${koe.base}/e/${event.id}/rooms/${roomB}/screen`);
    await out.locator('[data-testid="signin-form"]').waitFor();
    await out.locator('[data-testid="signin-form"] input').first().fill('aiko');
    await out.locator('[data-testid="signin-form"] input[type="password"]').fill(passwords.aiko);
    await out.locator('[data-testid="signin-form"] button[type="submit"]').click();
    await until('the room’s talk after signing in', async () => (await out.locator('.screen-talk-title').textContent().catch(() => '')) === titles.errors);
    await out.close();
  });

  it('a talk with questions that leaves the schedule is kept and flagged', async () => {
    const j = await fetch(`${koe.base}/api/v1/join`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ code: event.join_code, display_name: 'Ken' }),
    });
    const { token: tok } = await j.json();
    const q = await fetch(`${koe.base}/api/v1/events/${event.id}/talks/${talks['gc-errors'].id}/questions`, {
      method: 'POST', headers: { Authorization: `Bearer ${tok}`, 'Content-Type': 'application/json' }, body: JSON.stringify({ body: 'errors.Join は使うべきですか？' }),
    });
    assert.equal(q.status, 201);
    await aiko.goto(`${koe.base}/admin/e/${event.id}/schedule`);
    await aiko.locator('[data-testid="schedule-import"]').waitFor();
    const current = (await api('GET', `/api/v1/events/${event.id}/talks`)).talks;
    const v3 = current
      .filter((t) => t.source_id !== 'gc-errors')
      .map((t, i) => ({ n: i + 1, id: t.source_id, room: t.room, title: t.title, speaker: t.speaker, start: Date.parse(t.starts_at), minutes: Math.round((Date.parse(t.ends_at) - Date.parse(t.starts_at)) / 60e3) }));
    await preview(aiko, pretalx(v3));
    assert.equal(await count(aiko, 'removed'), 1);
    const row = aiko.locator(`[data-testid="plan-removed-table"] tr[data-talk="${talks['gc-errors'].id}"]`);
    assert.equal(await row.getAttribute('data-action'), 'flag');
    assert.match(await row.textContent(), /Kept and marked “removed from the schedule”: it has 1 question$/);
    await aiko.locator('[data-testid="schedule-apply"]').click();
    await aiko.locator('[data-testid="schedule-plan"][data-applied="true"]').waitFor();
    await aiko.goto(`${koe.base}/admin/e/${event.id}`);
    const badge = aiko.locator(`[data-talk="${talks['gc-errors'].id}"] [data-testid="talk-removed"]`);
    await badge.waitFor();
    assert.equal(await badge.textContent(), 'Removed from the schedule');
    // The Q&A follows the schedule on the other talks; closed by hand, it is the person's until given back.
    const gen = aiko.locator(`li[data-talk="${talks['gc-generics'].id}"]`);
    const state = gen.locator('[data-testid="qa-schedule-state"]');
    assert.match(await state.textContent(), /follows the schedule/);
    // The schedule opens it within a tick (15 s) of its start; then a person closes it.
    await until('the schedule opened its Q&A', async () => (await api('GET', `/api/v1/events/${event.id}/talks/${talks['gc-generics'].id}`)).qa_open, 20_000);
    await gen.locator('button', { hasText: /^Close Q&A$/ }).click();
    await until('set by hand', async () => /set by hand/.test(await state.textContent())).catch(async (e) => {
      throw new Error(`${e.message}; the row says: ${await gen.textContent()}; toasts: ${await aiko.locator('.toasts').textContent().catch(() => '')}`);
    });
    assert.equal((await api('GET', `/api/v1/events/${event.id}/talks/${talks['gc-generics'].id}`)).qa_manual, true);
    await gen.locator('[data-testid="qa-give-back"]').click();
    await until('given back', async () => /follows the schedule/.test(await state.textContent()));
    assert.equal((await api('GET', `/api/v1/events/${event.id}/talks/${talks['gc-generics'].id}`)).qa_manual, false);
    assert.equal(await gen.locator('[data-testid="qa-give-back"]').count(), 0);
    await pages.shot(aiko, 'schedule-desk-1440-en');
    const small = await pages.newPage(phone, { login: 'aiko', locale: 'ja-JP' });
    await small.goto(`${koe.base}/admin/e/${event.id}/schedule`);
    await small.locator('[data-testid="schedule-room"]').first().waitFor();
    await small.locator('[data-testid="schedule-file"]').setInputFiles(file(pretalx(v1)));
    await small.locator('[data-testid="schedule-preview"]:not([disabled])').click();
    await plan(small).waitFor();
    await pages.shot(small, 'schedule-preview-phone-ja');
    await small.locator('[data-testid="schedule-rooms"]').scrollIntoViewIfNeeded();
    await pages.shot(small, 'schedule-rooms-phone-ja');
    await small.close();
  });

  it('by URL: preview and apply, keep it up to date every 15 minutes, stop refreshing', async () => {
    const current = (await api('GET', `/api/v1/events/${event.id}/talks`)).talks.filter((t) => !t.removed_from_schedule);
    const list = current.map((t, i) => ({ n: i + 1, id: t.source_id, room: t.room, title: t.title, speaker: t.speaker, start: Date.parse(t.starts_at), minutes: Math.round((Date.parse(t.ends_at) - Date.parse(t.starts_at)) / 60e3) }));
    list.push({ n: 9, id: 'gc-lt', room: roomB, title: 'ライトニングトーク大会', speaker: 'みんな', start: Date.now() + 4 * 3600e3, minutes: 45 });
    served = pretalx(list);
    const url = `http://127.0.0.1:${origin.address().port}/schedule.json`;
    await aiko.goto(`${koe.base}/admin/e/${event.id}/schedule`);
    await aiko.locator('[data-testid="schedule-mode-url"]').check();
    await aiko.locator('[data-testid="schedule-url"]').fill(url);
    await aiko.locator('[data-testid="schedule-preview"]:not([disabled])').click();
    await plan(aiko).waitFor();
    assert.equal(await count(aiko, 'added'), 1);
    await aiko.locator('[data-testid="schedule-apply"]').click();
    await aiko.locator('[data-testid="schedule-plan"][data-applied="true"]').waitFor();
    assert.ok((await api('GET', `/api/v1/events/${event.id}/talks`)).talks.some((t) => t.source_id === 'gc-lt'));
    const card = aiko.locator('[data-testid="schedule-source"]');
    assert.match(await card.textContent(), /Keep this schedule up to date every/);
    assert.equal(await card.locator('[data-testid="schedule-refresh-minutes"]').inputValue(), '15');
    await card.locator('[data-testid="schedule-refresh-save"]').click();
    const facts = card.locator('[data-testid="schedule-source-facts"]');
    await facts.waitFor();
    assert.match(await facts.textContent(), new RegExp(`${url.replace(/[.]/g, '\\.')}.*every 15 minutes`));
    const src = await api('GET', `/api/v1/events/${event.id}/schedule/source`);
    assert.equal(src.url, url);
    assert.equal(src.refresh_minutes, 15);
    assert.deepEqual(await pages.audit(aiko, '[data-testid="schedule-source"]'), []);
    await card.scrollIntoViewIfNeeded();
    await pages.shot(aiko, 'schedule-source-1440-en');
    await card.locator('[data-testid="schedule-refresh-stop"]').click();
    await facts.waitFor({ state: 'detached' });
    const gone = await fetch(`${koe.base}/api/v1/events/${event.id}/schedule/source`, { headers: { Authorization: `Bearer ${token}` } });
    assert.equal(gone.status, 404);
  });
});
