// Accessibility: axe-core audits every page at phone and desktop size
// (failing on any serious or critical violation), and the audience and
// staff pages are used with the keyboard alone (Tab, Shift+Tab, Enter,
// Space), checking at every step that the focused element shows it.
// koe runs without an owner token on http://localhost: the first admin is
// made through the setup page, as an organizer would.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { after, before, describe, it } from 'node:test';
import { launch } from './lib/browser.mjs';
import { startKoe } from './lib/server.mjs';
import { until } from './lib/until.mjs';

const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve('axe-core'), 'utf8');
const sizes = { phone: { width: 390, height: 844 }, desktop: { width: 1440, height: 900 } };
const password = 'Blue-Harbor-Lantern-42';

let koe, browser, event, talk, inviteLink;
const contexts = [];

async function newPage(viewport, { locale = 'en-US' } = {}) {
  const context = await browser.newContext({ viewport, locale, deviceScaleFactor: 1 });
  contexts.push(context);
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  page.on('dialog', (d) => void d.accept());
  return page;
}

async function signedIn(viewport, opts) {
  const page = await newPage(viewport, opts);
  const r = await page.context().request.post(`${koe.base}/api/v1/session`, { data: { login: 'aiko', password } });
  assert.equal(r.status(), 201, `staff sign-in: ${await r.text()}`);
  return page;
}

async function joined(viewport, opts) {
  const page = await newPage(viewport, opts);
  const r = await page.context().request.post(`${koe.base}/api/v1/join`, { data: { code: event.join_code } });
  assert.equal(r.status(), 201, `join: ${await r.text()}`);
  return page;
}

/**
 * Runs axe-core in the page (evaluated over the DevTools protocol, which
 * the page's CSP does not govern) and returns its serious and critical
 * violations, one readable line per rule and element.
 */
async function audit(page) {
  await page.waitForTimeout(300); // let transitions (and colours) settle
  if (process.env.KOE_A11Y_VERBOSE) { // also print the minor and moderate violations and what axe could not decide
    await page.evaluate(() => { window.__koeA11yVerbose = true; });
    if (!page.verbose) page.on('console', (m) => { if (m.text().startsWith('{"minor"')) console.log(page.url(), m.text()); });
    page.verbose = true;
  }
  const violations = await page.evaluate(async (src) => {
    if (!window.axe) (0, eval)(src); // eslint-disable-line no-eval
    const r = await window.axe.run(document);
    if (window.__koeA11yVerbose) {
      console.log(JSON.stringify({
        minor: r.violations.filter((v) => v.impact !== 'serious' && v.impact !== 'critical').map((v) => `${v.impact} ${v.id} ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`),
        incomplete: r.incomplete.map((v) => `${v.id} ${v.nodes.map((n) => n.target.join(' ') + ' ' + (n.any[0]?.message ?? '')).join(' | ')}`),
      }));
    }
    return r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => ({
      id: v.id, impact: v.impact, help: v.help,
      nodes: v.nodes.map((n) => `${n.target.join(' ')}: ${n.failureSummary.replace(/\s+/g, ' ')}`),
    }));
  }, axeSource);
  return violations.map((v) => `[${v.impact}] ${v.id}: ${v.help}\n${v.nodes.map((n) => `    ${n}`).join('\n')}`);
}

/**
 * axe cannot judge text on a gradient (the projector theme is one), so
 * this checks the presenter screen's text itself: each visible text's
 * colour against every colour that can be behind it (the gradients' stops
 * and the background colours below, alpha-blended), at the worst one:
 * 4.5:1, or 3:1 for large text (WCAG 1.4.3). Returns the failures.
 */
function contrastFailures(page) {
  return page.evaluate(() => {
    const parse = (s) => [...s.matchAll(/rgba?\(([^)]+)\)/g)].map((m) => {
      const [r, g, b, a = '1'] = m[1].split(/[\s,/]+/).filter(Boolean);
      return [+r, +g, +b, a.endsWith('%') ? parseFloat(a) / 100 : +a];
    });
    const blend = ([r, g, b, a], [R, G, B]) => [r * a + R * (1 - a), g * a + G * (1 - a), b * a + B * (1 - a), 1];
    const lum = ([r, g, b]) => {
      const f = (c) => { c /= 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; };
      return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
    };
    const ratio = (x, y) => { const [a, b] = [lum(x), lum(y)].sort((p, q) => q - p); return (a + 0.05) / (b + 0.05); };
    const backs = (el) => {
      const chain = [];
      for (let n = el; n; n = n.parentElement) chain.unshift(n);
      let cands = [[255, 255, 255, 1]];
      for (const n of chain) {
        const cs = getComputedStyle(n);
        const [bg] = parse(cs.backgroundColor);
        if (bg && bg[3] > 0) cands = cands.map((c) => blend(bg, c));
        if (cs.backgroundImage.includes('gradient')) {
          const stops = parse(cs.backgroundImage).filter((c) => c[3] > 0);
          cands = [...cands, ...stops.flatMap((st) => cands.map((c) => blend(st, c)))];
        }
        cands = [...new Map(cands.map((c) => [c.map((v) => v.toFixed(0)).join(), c])).values()];
      }
      return cands;
    };
    const out = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let t = walker.nextNode(); t; t = walker.nextNode()) {
      const el = t.parentElement;
      if (!t.textContent.trim() || !el || !el.checkVisibility({ opacityProperty: true, visibilityProperty: true })) continue;
      const r = el.getBoundingClientRect();
      if (r.width < 2 || r.height < 2 || el.closest('.sr-only')) continue;
      const cs = getComputedStyle(el);
      const size = parseFloat(cs.fontSize);
      const large = size >= 24 || (size >= 18.66 && +cs.fontWeight >= 700);
      const need = large ? 3 : 4.5;
      const fg = parse(cs.color)[0];
      const worst = Math.min(...backs(el).map((b) => ratio(fg[3] < 1 ? blend(fg, b) : fg, b)));
      if (worst < need) out.push(`${el.tagName.toLowerCase()}.${[...el.classList].join('.')} "${t.textContent.trim().slice(0, 30)}": ${worst.toFixed(2)}:1 < ${need}:1`);
    }
    return out;
  });
}

describe('accessibility', () => {
  before(async () => {
    koe = await startKoe({ host: 'localhost' });
    browser = await launch();
  });

  after(async () => {
    await browser?.close();
    await koe?.stop();
  });

  const failures = [];
  async function check(name, page) {
    const v = await audit(page);
    if (/\/screen$/.test(new URL(page.url()).pathname)) v.push(...(await contrastFailures(page)).map((f) => `[serious] projector contrast: ${f}`));
    if (v.length) failures.push(`${name}:\n  ${v.join('\n  ')}`);
  }

  it('setup, then every page has no serious or critical axe violation at phone and desktop size', async () => {
    const link = await koe.setupLink();
    for (const [size, vp] of Object.entries(sizes)) {
      const p = await newPage(vp);
      await p.goto(link);
      await p.locator('[data-testid="setup-form"]').waitFor();
      await check(`setup (${size})`, p);
      if (size === 'desktop') {
        await p.fill('#setup-login', 'aiko');
        await p.fill('#setup-name', 'Aiko Tanaka');
        await p.fill('#setup-password', password);
        await p.click('[data-testid="setup-form"] button[type="submit"]');
        await p.waitForURL(/\/admin$/);
      }
    }
    // Data: an event with a talk, questions (one highlighted, one answered),
    // and a pending invitation.
    const staff = (await signedIn(sizes.desktop)).context().request;
    const call = async (method, path, data) => {
      const r = await staff.fetch(`${koe.base}${path}`, { method, data });
      assert.ok(r.ok(), `${method} ${path}: ${r.status()} ${await r.text()}`);
      return r.json();
    };
    const now = Date.now();
    event = await call('POST', '/api/v1/events', {
      title: 'Go Meetup Tokyo #44', slug: 'go-44', time_zone: 'Asia/Tokyo',
      starts_at: new Date(now - 3600e3).toISOString(), ends_at: new Date(now + 3 * 3600e3).toISOString(),
      settings: { participant_replies: true },
    });
    talk = await call('POST', `/api/v1/events/${event.id}/talks`, {
      title: 'Generics in practice', speaker: 'Aiko Tanaka', track: 'Hall A',
      starts_at: new Date(now - 600e3).toISOString(), ends_at: new Date(now + 2400e3).toISOString(),
    });
    const asker = await joined(sizes.phone);
    const qs = [];
    for (const body of ['How do type parameters interact with interfaces?', 'ジェネリクスで遅くなりますか？', 'Will the slides be online?']) {
      const r = await asker.context().request.post(`${koe.base}/api/v1/events/${event.id}/talks/${talk.id}/questions`, { data: { body } });
      assert.equal(r.status(), 201);
      qs.push(await r.json());
    }
    await asker.context().request.put(`${koe.base}/api/v1/events/${event.id}/talks/${talk.id}/questions/${qs[0].id}/like`);
    await call('PUT', `/api/v1/events/${event.id}/talks/${talk.id}/highlight`, { question_id: qs[1].id });
    await call('PATCH', `/api/v1/events/${event.id}/talks/${talk.id}/questions/${qs[2].id}`, { answered: true });
    // A pre-moderated talk with a question waiting: the moderation console has an item.
    const premod = await call('POST', `/api/v1/events/${event.id}/talks`, { title: 'Lightning talks' });
    await call('PATCH', `/api/v1/events/${event.id}/talks/${premod.id}`, { moderation: 'pre' });
    const waiting = await asker.context().request.post(`${koe.base}/api/v1/events/${event.id}/talks/${premod.id}/questions`, { data: { body: 'Will the lightning talks be recorded?' } });
    assert.equal(waiting.status(), 201);
    const inv = await call('POST', `/api/v1/events/${event.id}/invitations`, { role: 'moderator' });
    inviteLink = `${koe.base}/invite#${inv.token}`;

    const e = `/admin/e/${event.id}`;
    const pages = [
      ['join', 'anon', '/', '#code'],
      ['join with a code', 'anon', `/j/${event.join_code}`, '#code'],
      ['audience', 'participant', `/e/${event.id}/t/${talk.id}`, '[data-testid="question"]'],
      ['presenter screen', 'staff', `/e/${event.id}/t/${talk.id}/screen`, '[data-testid="screen-code"]'],
      ['staff sign-in', 'anon', '/admin', '#signin-login'],
      ['setup (done)', 'anon', '/setup', '[data-testid="setup-done"]'],
      ['admin event list', 'staff', '/admin', `[data-event="${event.id}"]`],
      ['event console', 'staff', `${e}/t/${talk.id}`, '[data-testid="admin-list"] [data-testid="question"]'],
      ['moderation console', 'staff', `${e}/moderation`, '[data-testid="review"]'],
      ['staff page', 'staff', `${e}/staff`, '[data-testid="pending-invitations"] li'],
      ['invite', 'anon', inviteLink.slice(koe.base.length), '[data-testid="invite-preview"]'],
      ['audit log', 'staff', `${e}/audit`, '.audit-table tr[data-type]'],
      ['account', 'staff', '/admin/account', '[data-testid="account-link"]'],
      ['accounts', 'staff', '/admin/accounts', 'main'],
    ];
    // Then some pages again in another state: open sections, dialogs, errors.
    const openAll = async (p) => {
      const closed = p.locator('details:not([open]) > summary:visible');
      for (let i = 0; i < 10 && (await closed.count()); i++) await closed.first().click();
    };
    const states = {
      'event console': Object.assign(async (p) => {
        await openAll(p);
      }, { what: 'every section open' }),
      'moderation console': Object.assign(async (p) => {
        await p.locator('[data-testid="review"] .rv-select').first().click();
        await p.locator('.rv-detail').waitFor();
        await p.keyboard.press('?');
        await p.locator('[data-testid="mod-help"]').waitFor();
        await check(`moderation console, the shortcuts dialog (${p.viewportSize().width})`, p);
        await p.keyboard.press('Escape');
        for (const tab of ['decided', 'bans', 'settings']) {
          await p.click(`#mtab-${tab}`);
          await p.locator('#mod-panel > *').first().waitFor();
          if (tab === 'settings') await p.locator('[data-testid="mod-rules"]').waitFor();
          await check(`moderation console, ${tab} (${p.viewportSize().width})`, p);
        }
        await p.click('#mtab-queue');
      }, { what: 'an item open' }),
      account: Object.assign(async (p) => {
        await openAll(p);
      }, { what: 'every section open' }),
      'presenter screen': Object.assign(async (p) => {
        await p.keyboard.press('?');
        await p.locator('.screen-help').waitFor();
      }, { what: 'the shortcuts dialog' }),
      'staff sign-in': Object.assign(async (p) => {
        await p.fill('#signin-login', 'nobody');
        await p.fill('#signin-password', 'not-the-password');
        await p.click('[data-testid="signin-form"] button[type="submit"]');
        await p.locator('[data-testid="signin-error"]').waitFor();
      }, { what: 'a wrong password' }),
      join: Object.assign(async (p) => {
        await p.fill('#code', 'zzzzzz');
        await p.click('button[type="submit"]');
        await p.getByText('No event has the code ZZZZZZ').waitFor();
      }, { what: 'an unknown code' }),
    };
    for (const [size, vp] of Object.entries(sizes)) {
      const as = { anon: await newPage(vp), participant: await joined(vp), staff: await signedIn(vp) };
      for (const [name, who, path, ready] of pages) {
        const p = name === 'invite' ? await newPage(vp) : as[who]; // a fresh page: the link's token leaves the address bar
        await p.goto(koe.base + path);
        await p.locator(ready).first().waitFor();
        await check(`${name} ${path} (${size})`, p);
        const more = states[name];
        if (more) {
          await more(p);
          await check(`${name} ${path}, ${more.what} (${size})`, p);
        }
      }
    }
    // Every page in Japanese too, on a phone.
    const ja = { locale: 'ja-JP' };
    const asJa = { anon: await newPage(sizes.phone, ja), participant: await joined(sizes.phone, ja), staff: await signedIn(sizes.phone, ja) };
    for (const [name, who, path, ready] of pages) {
      const p = name === 'invite' ? await newPage(sizes.phone, ja) : asJa[who];
      await p.goto(koe.base + path);
      await p.locator(ready).first().waitFor();
      assert.equal(await p.evaluate(() => document.documentElement.lang), 'ja', `${name} is not in Japanese`);
      await check(`${name} ${path} (ja, phone)`, p);
    }
    // The projector theme in Japanese too.
    const jaScreen = await newPage({ width: 1920, height: 1080 }, ja);
    await jaScreen.context().request.post(`${koe.base}/api/v1/session`, { data: { login: 'aiko', password } });
    await jaScreen.goto(`${koe.base}/e/${event.id}/t/${talk.id}/screen`);
    await jaScreen.locator('[data-testid="screen-code"]').waitFor();
    await check('presenter screen (ja, 1920×1080)', jaScreen);
    assert.equal(failures.length, 0, `axe found serious or critical violations:\n\n${failures.join('\n\n')}`);
  });

  /** The focused element, described, and whether its focus is visible. */
  const focused = (page) => page.evaluate(() => {
    const el = document.activeElement;
    if (!el || el === document.body) return { none: true };
    const s = getComputedStyle(el);
    const outline = s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0;
    const ring = s.boxShadow !== 'none';
    return {
      desc: `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}${el.className && typeof el.className === 'string' ? `.${el.className.split(' ').join('.')}` : ''} "${(el.getAttribute('aria-label') || el.textContent || '').trim().slice(0, 40)}"`,
      visible: el.matches(':focus-visible') && (outline || ring),
    };
  });

  /** Presses Tab (or Shift+Tab) until the focused element matches selector, checking focus is visible at every step. */
  async function tabTo(page, selector, { back = false, max = 60 } = {}) {
    for (let i = 0; i < max; i++) {
      await page.keyboard.press(back ? 'Shift+Tab' : 'Tab');
      const f = await focused(page);
      if (f.none) continue;
      assert.ok(f.visible, `focus is visible on ${f.desc}`);
      if (await page.evaluate((sel) => document.activeElement.matches(sel), selector)) return;
    }
    throw new Error(`${max} Tabs did not reach ${selector}`);
  }

  it('a participant joins, asks and likes with the keyboard alone', async () => {
    const p = await newPage(sizes.phone);
    await p.goto(`${koe.base}/j/${event.join_code}`);
    await p.locator('#code').waitFor();
    await tabTo(p, '#name');
    await p.keyboard.type('Kaori');
    await tabTo(p, 'button[type="submit"]');
    await p.keyboard.press('Enter');
    await p.waitForURL(new RegExp(`/e/${event.id}/t/${talk.id}$`));
    await p.getByText('Asking as Kaori').waitFor();
    await tabTo(p, '#ask-body');
    await p.keyboard.type('Can I use generics with methods?');
    await tabTo(p, '[data-testid="ask-form"] button[type="submit"]');
    await p.keyboard.press('Enter');
    const mine = p.locator('[data-testid="question-list"] [data-testid="question"]', { hasText: 'Can I use generics with methods?' });
    await mine.waitFor();
    // Like someone else's question with Space, then back with Shift+Tab.
    const other = p.locator('[data-testid="question-list"] [data-testid="question"]', { hasText: 'How do type parameters interact with interfaces?' });
    await other.waitFor();
    const otherID = await other.getAttribute('data-qid');
    await tabTo(p, `[data-qid="${otherID}"] [data-testid="like"]`);
    await p.keyboard.press('Space');
    await until('the like pressed', async () => (await other.locator('[data-testid="like"]').getAttribute('aria-pressed')) === 'true');
    await tabTo(p, '#ask-body', { back: true });
  });

  it('a moderator signs in and hides a question with the keyboard alone', async () => {
    const p = await newPage(sizes.desktop);
    await p.goto(`${koe.base}/admin`);
    await p.locator('#signin-login').waitFor();
    await tabTo(p, '#signin-login');
    await p.keyboard.type('aiko');
    await tabTo(p, '#signin-password');
    await p.keyboard.type(password);
    await p.keyboard.press('Enter');
    await p.locator(`[data-event="${event.id}"]`).waitFor();
    await tabTo(p, `[data-event="${event.id}"] a.event-row-title`);
    await p.keyboard.press('Enter');
    await p.waitForURL(new RegExp(`/admin/e/${event.id}$`));
    await tabTo(p, `a.admin-talk-title[href$="/t/${talk.id}"]`);
    await p.keyboard.press('Enter');
    await p.waitForURL(new RegExp(`/admin/e/${event.id}/t/${talk.id}$`));
    const q = p.locator('[data-testid="admin-list"] [data-testid="question"]', { hasText: 'Can I use generics with methods?' });
    await q.waitFor();
    const id = await q.getAttribute('data-qid');
    await tabTo(p, `[data-qid="${id}"] [data-action="hide"]`);
    await p.keyboard.press('Enter');
    await until('the question hidden', async () => (await q.count()) === 0);
  });
});
