// The screenshots of docs/first-meetup.md and docs/first-meetup.ja.md:
// `make guide` → docs/guide/*.png. For each language it starts a fresh koe
// (no owner token, so it prints the setup link, as `make run` does) and
// walks a new organizer's first meetup in Chromium: the first admin from the
// setup link, an event and two talks (one in Japanese, one in English),
// Q&A opened, a participant joining on a phone, asking and liking, the
// moderation page (highlight, answered), the presenter screen on a
// projector, a moderator invited, and the audit log. Then it checks that the
// guide's export command (curl and jq against the API) works.
//
// Sizes: phone 390×844, desktop 1280×800, projector 1920×1080; viewport
// captures only (no full pages), so the PNGs stay small.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'playwright-core';
import { launch } from './lib/browser.mjs';
import { startKoe } from './lib/server.mjs';
import { until } from './lib/until.mjs';

const out = new URL('../../docs/guide/', import.meta.url).pathname;
mkdirSync(out, { recursive: true });
const phone = { width: 390, height: 844 };
const desktop = { width: 1280, height: 800 };
const projector = { width: 1920, height: 1080 };
// The address phones would use on the venue's network (the QR code's target).
const publicURL = 'http://192.168.1.20:8080';
const tz = 'Asia/Tokyo';

// Demo content: a meetup in Tokyo with one Japanese and one English talk.
const content = {
  en: {
    admin: { login: 'aiko', name: 'Aiko Tanaka', email: 'aiko@example.com', password: 'Blue-Harbor-Lantern-42' },
    moderator: { login: 'kenji', name: 'Kenji Sato', password: 'Quiet-Maple-Orbit-77' },
    event: 'Go Meetup Tokyo #43',
    talks: [
      { title: 'Generics in practice: two years on', speaker: 'Aiko Tanaka', track: 'Main hall', at: -10, len: 40 },
      { title: 'Goで作る小さなCLIツール', speaker: '佐藤 健二', track: 'Main hall', at: 40, len: 30 },
    ],
    me: 'Sakura',
    mine: 'Do you still use interface{} anywhere, or did generics replace it all?',
    people: ['Ken', 'Mei', ''],
    questions: [
      ['How do generics affect compile times in large codebases?', 3],
      ['型パラメータの制約はどう設計するのがおすすめですか？', 2],
      ['Buy cheap watches here!!!', 0],
      ['Would you use generics for a small CLI tool?', 1],
      ['What changed between Go 1.18 and today?', 2],
    ],
  },
  ja: {
    admin: { login: 'aiko', name: '田中 愛子', email: 'aiko@example.com', password: 'Blue-Harbor-Lantern-42' },
    moderator: { login: 'kenji', name: '佐藤 健二', password: 'Quiet-Maple-Orbit-77' },
    event: 'Go 勉強会 #43 東京',
    talks: [
      { title: 'ジェネリクス実践：導入から2年', speaker: '田中 愛子', track: 'メインホール', at: -10, len: 40 },
      { title: 'Observability for small teams', speaker: 'Daniel Smith', track: 'メインホール', at: 40, len: 30 },
    ],
    me: 'さくら',
    mine: 'interface{} はまだ使っていますか？それとも全部ジェネリクスに置き換えましたか？',
    people: ['けん', 'Mei', ''],
    questions: [
      ['大規模なコードベースでコンパイル時間への影響はありますか？', 3],
      ['How do you design type constraints? Any rules of thumb?', 2],
      ['激安時計はこちら！！！', 0],
      ['小さな CLI ツールでもジェネリクスを使いますか？', 1],
      ['Go 1.18 から今までで一番変わったことは何ですか？', 2],
    ],
  },
};

/** "YYYY-MM-DDTHH:mm" in Tokyo, minutes from now (rounded to 5 minutes), for datetime-local fields. */
function tokyo(minutes) {
  const d = new Date(Math.round((Date.now() + minutes * 60e3) / 300e3) * 300e3);
  const p = Object.fromEntries(
    new Intl.DateTimeFormat('en-CA', { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })
      .formatToParts(d)
      .map((x) => [x.type, x.value]),
  );
  return `${p.year}-${p.month}-${p.day}T${p.hour}:${p.minute}`;
}

const browser = await launch();
const saved = [];
const errors = [];

async function context(lang, viewport) {
  const ctx = await browser.newContext({ viewport, locale: lang === 'ja' ? 'ja-JP' : 'en-US', timezoneId: tz, deviceScaleFactor: 1 });
  const page = await ctx.newPage();
  page.setDefaultTimeout(10_000);
  page.on('pageerror', (e) => errors.push(`${lang} ${page.url()}: ${e.message}`));
  page.on('dialog', (d) => void d.accept());
  return { ctx, page };
}

async function snap(page, lang, name) {
  await page.waitForTimeout(800); // fonts and live updates settle
  for (const close of await page.locator('.toast-close').all()) await close.click().catch(() => {}); // toasts would cover the page
  await page.waitForTimeout(200);
  const path = `${out}${name}-${lang}.png`;
  await page.screenshot({ path, fullPage: false, animations: 'disabled', caret: 'hide' });
  saved.push([path, statSync(path).size]);
}

/** A JSON client with its own cookies (a participant or a staff session). */
async function client(base) {
  const c = await request.newContext({ baseURL: base });
  c.call = async (method, path, data) => {
    const r = await c.fetch(path, { method, data });
    if (!r.ok()) throw new Error(`${method} ${path}: ${r.status()} ${await r.text()}`);
    return r.status() === 204 ? null : r.json();
  };
  return c;
}

async function meetup(lang) {
  const c = content[lang];
  const koe = await startKoe({ host: 'localhost', rateLimits: 'off', env: { KOE_PUBLIC_URL: publicURL } });
  const others = [];
  try {
    // 1. The first admin, from the setup link koe printed.
    const { ctx: deskCtx, page: desk } = await context(lang, desktop);
    await desk.goto(await koe.setupLink());
    await desk.locator('[data-testid="setup-form"]').waitFor();
    await desk.fill('#setup-login', c.admin.login);
    await desk.fill('#setup-name', c.admin.name);
    await desk.fill('#setup-email', c.admin.email);
    await desk.fill('#setup-password', c.admin.password);
    await desk.locator('#setup-login').focus();
    await snap(desk, lang, '01-setup');
    await desk.click('[data-testid="setup-form"] button[type="submit"]');
    await desk.waitForURL(/\/admin$/);

    // 2. An event (the time zone is the browser's, Asia/Tokyo).
    await desk.locator('#new-title').waitFor();
    await desk.fill('#new-title', c.event);
    await desk.fill('#new-starts', tokyo(-30));
    await desk.fill('#new-ends', tokyo(180));
    await desk.evaluate(() => document.querySelector('#new-event-h').scrollIntoView({ block: 'start' }));
    await desk.evaluate(() => window.scrollBy(0, -80));
    await snap(desk, lang, '02-event');
    await desk.click('section[aria-labelledby="new-event-h"] button[type="submit"]');
    await desk.waitForURL(/\/admin\/e\/\d+$/);
    const eventID = Number(/\/admin\/e\/(\d+)/.exec(desk.url())[1]);

    // 3. Two talks, then open Q&A on the first.
    const talkIDs = [];
    for (const tk of c.talks) {
      await desk.locator('#talks-h').waitFor();
      await desk.waitForTimeout(300);
      if (!(await desk.locator('#newtalk-title').isVisible())) await desk.locator('details:has(#newtalk-title) > summary').click();
      await desk.fill('#newtalk-title', tk.title);
      await desk.fill('#newtalk-speaker', tk.speaker);
      await desk.fill('#newtalk-track', tk.track);
      await desk.fill('#newtalk-starts', tokyo(tk.at));
      await desk.fill('#newtalk-ends', tokyo(tk.at + tk.len));
      await desk.click('details:has(#newtalk-title) button[type="submit"]');
      const link = desk.locator('.admin-talk-title', { hasText: tk.title });
      await link.waitFor();
      talkIDs.push(Number(/\/t\/(\d+)/.exec(await link.getAttribute('href'))[1]));
    }
    const [talkID] = talkIDs;
    const event = await (await deskCtx.request.get(`${koe.base}/api/v1/events/${eventID}`)).json();
    for (const id of talkIDs) {
      const talk = await (await deskCtx.request.get(`${koe.base}/api/v1/events/${eventID}/talks/${id}`)).json();
      if (!talk.qa_open && id === talkID) {
        await desk.locator(`li:has(a.admin-talk-title[href$="/t/${id}"]) button`, { hasText: lang === 'ja' ? /受付|開/ : 'Open Q&A' }).first().click();
        await until('Q&A open', async () => (await (await deskCtx.request.get(`${koe.base}/api/v1/events/${eventID}/talks/${id}`)).json()).qa_open);
      }
    }
    await desk.reload();
    await desk.locator('[data-testid="admin-code"]').waitFor();
    await snap(desk, lang, '03-talks');

    // Other people in the room ask and like (through the API).
    const asked = [];
    for (const name of c.people) {
      const p = await client(koe.base);
      await p.call('POST', '/api/v1/join', name ? { code: event.join_code, display_name: name } : { code: event.join_code });
      others.push(p);
    }
    for (const [i, [body, likes]] of c.questions.entries()) {
      const q = await others[i % 3].call('POST', `/api/v1/events/${eventID}/talks/${talkID}/questions`, { body, anonymous: c.people[i % 3] === '' });
      asked.push(q);
      for (let k = 0; k < likes; k++) await others[k].call('PUT', `/api/v1/events/${eventID}/talks/${talkID}/questions/${q.id}/like`);
    }

    // 4. A phone joins with the QR code's link, asks and likes.
    const { ctx: phoneCtx, page: mob } = await context(lang, phone);
    await mob.goto(`${koe.base}/j/${event.join_code}`);
    await mob.locator('#name').waitFor();
    await mob.fill('#name', c.me);
    await snap(mob, lang, '04-join');
    await mob.click('button[type="submit"]');
    await mob.waitForURL(/\/e\/\d+\/t\/\d+$/);
    await mob.locator('#ask-body').waitFor();
    await mob.fill('#ask-body', c.mine);
    await mob.click('[data-testid="ask-form"] button[type="submit"]');
    const mine = mob.locator('[data-testid="question"]', { hasText: c.mine.slice(0, 20) });
    await mine.first().waitFor();
    for (const body of [c.questions[0][0], c.questions[3][0]]) {
      await mob.locator('[data-testid="question"]', { hasText: body }).locator('[data-testid="like"]').click();
    }
    await until('likes saved', async () => {
      const r = await (await phoneCtx.request.get(`${koe.base}/api/v1/events/${eventID}/talks/${talkID}/questions?sort=top`)).json();
      return r.questions.filter((q) => q.liked_by_me).length === 2;
    });
    await mob.fill('#ask-body', lang === 'ja' ? 'サンプルコードはどこで見られますか？' : 'Where can we find the sample code?');
    await mob.evaluate(() => window.scrollTo(0, 0));
    await snap(mob, lang, '05-audience');

    // 5. Moderation: hide the spam, highlight a question, mark one answered.
    await desk.goto(`${koe.base}/admin/e/${eventID}/t/${talkID}`);
    const card = (body) => desk.locator('[data-testid="admin-list"] [data-testid="question"]', { hasText: body });
    await card(c.questions[2][0]).locator('[data-action="hide"]').click();
    await until('spam hidden', async () => (await card(c.questions[2][0]).count()) === 0);
    await card(c.questions[4][0]).locator('[data-action="answered"]').click();
    await until('answered', async () => (await card(c.questions[4][0]).count()) === 0);
    await card(c.questions[0][0]).locator('[data-action="highlight"]').click();
    await until('highlighted', async () => (await (await deskCtx.request.get(`${koe.base}/api/v1/events/${eventID}/talks/${talkID}`)).json()).highlighted_question_id);
    await desk.locator('button:focus').evaluate((b) => b.blur()).catch(() => {});
    await desk.evaluate(() => window.scrollTo(0, 0));
    await snap(desk, lang, '06-moderate');

    // 6. The presenter screen on the projector (signed in as the admin).
    const { ctx: projCtx, page: screen } = await context(lang, projector);
    await projCtx.request.post(`${koe.base}/api/v1/session`, { data: { login: c.admin.login, password: c.admin.password } });
    await screen.goto(`${koe.base}/e/${eventID}/t/${talkID}/screen`);
    await screen.locator('[data-testid="screen-highlight"]').waitFor();
    await until('people connected', async () => /\d/.test((await screen.locator('[data-testid="presence"]').textContent()) ?? ''));
    await screen.mouse.move(1919, 1079);
    await snap(screen, lang, '07-screen');

    // 7. Invite a moderator from the Staff page; they sign up with the link.
    await desk.goto(`${koe.base}/admin/e/${eventID}/staff`);
    await desk.locator('[data-testid="invite-form"] button[type="submit"]').click();
    const inviteURL = desk.locator('#invite-url');
    await inviteURL.waitFor();
    const link = await inviteURL.inputValue();
    await snap(desk, lang, '08-invite');
    const mod = await client(koe.base);
    others.push(mod);
    await mod.call('POST', '/api/v1/invitations/signup', { token: link.split('#')[1], login: c.moderator.login, display_name: c.moderator.name, email: '', password: c.moderator.password });
    await mod.call('PATCH', `/api/v1/events/${eventID}/talks/${talkID}/questions/${asked[3].id}`, { answered: true });

    // 8. The audit log: who did what.
    await desk.goto(`${koe.base}/admin/e/${eventID}/audit`);
    await desk.locator('[data-testid="audit-table"]').waitFor();
    await until('the moderator in the log', async () => {
      if (await desk.locator('tr[data-type="question.updated"]', { hasText: c.moderator.name }).count()) return true;
      await desk.click('[data-testid="audit-filters"] button[type="submit"]');
      return false;
    }, 15_000);
    await snap(desk, lang, '09-audit');

    // The guide's export (no export button yet): an API token, then curl and jq.
    const tok = await deskCtx.request.post(`${koe.base}/api/v1/account/tokens`, { data: { name: 'export', events: [eventID], roles: ['moderator'] } });
    if (!tok.ok()) throw new Error(`token: ${tok.status()} ${await tok.text()}`);
    const T = (await tok.json()).token;
    const dir = mkdtempSync(join(tmpdir(), 'koe-guide-'));
    let csv;
    try {
      execFileSync('bash', ['-c', exportCommand], { cwd: dir, env: { ...process.env, B: koe.base, T, E: String(eventID), TK: String(talkID) } });
      csv = readFileSync(join(dir, 'questions.csv'), 'utf8');
      const md = readFileSync(join(dir, 'questions.md'), 'utf8');
      if (!md.startsWith(`- ${c.questions[0][0]} (`) || !md.includes(`- ${c.mine} (${c.me}, 0 likes)`)) throw new Error(`export: unexpected Markdown:\n${md}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const lines = csv.trim().split('\n');
    // A header, then every question but the hidden one, and the phone's.
    if (!lines[0].startsWith('"likes","answered"') || lines.length !== 1 + (c.questions.length - 1) + 1) throw new Error(`export: unexpected CSV:\n${csv}`);
    if (!csv.includes(c.mine.slice(0, 20))) throw new Error(`export: the phone's question is missing:\n${csv}`);
    console.log(`${lang}: export OK, ${lines.length - 1} questions`);

    await Promise.all([deskCtx.close(), phoneCtx.close(), projCtx.close()]);
  } finally {
    await Promise.all(others.map((o) => o.dispose()));
    await koe.stop();
  }
}

// The export commands of docs/first-meetup.md, read from its section 10 (its
// sh blocks, but the line that sets B, T, E and TK: this script sets them);
// the Japanese guide must show the same blocks.
const exportCommand = (() => {
  const doc = (name) => readFileSync(new URL(`../../docs/${name}`, import.meta.url), 'utf8');
  const blocks = (text) => [...text.slice(text.indexOf('## 10.'), text.indexOf('## 11.')).matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]);
  const en = blocks(doc('first-meetup.md'));
  const ja = blocks(doc('first-meetup.ja.md'));
  if (en.length < 2 || JSON.stringify(en) !== JSON.stringify(ja)) throw new Error('docs/first-meetup*.md: section 10 must have the same export commands (sh blocks) in both languages');
  const lines = en.join('').split('\n').filter((l) => !/^B=/.test(l));
  return ['set -euo pipefail', ...lines].join('\n');
})();

try {
  for (const lang of ['en', 'ja']) await meetup(lang);
} finally {
  await browser.close();
}
for (const [path, size] of saved) console.log(`${(size / 1024).toFixed(0).padStart(4)} KB  ${path}`);
if (errors.length) {
  console.error(`script errors in the pages:\n${errors.join('\n')}`);
  process.exitCode = 1;
}
