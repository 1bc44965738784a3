// Pages for the browser tests: each in a context of its own (viewport,
// locale, optionally signed in), collecting its script errors and every
// request it makes to anyone but koe, so that the suite's after() can
// assert both; screenshots; axe-core's serious and critical violations.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const defaultShots = process.env.KOE_SHOTS ?? new URL('../../../test-results/', import.meta.url).pathname;
let installedAxe; // read on the first audit, once

// passwords maps a login to its password for newPage's sign-in; clipboard
// grants koe's pages clipboard-read and -write (tests that read what Copy
// put there); shots and axeSource default to KOE_SHOTS (else test-results/)
// and the installed axe-core.
/** Page helpers for one browser and the koe at base: newPage, shot, audit and assertClean. */
export function pageHelpers({ browser, base, passwords = {}, clipboard = false, shots = defaultShots, axeSource }) {
  const opened = [];
  mkdirSync(shots, { recursive: true });

  return {
    /** A new page in a context of its own, signed in as login when given; dialogs are accepted. */
    async newPage(viewport, { locale = 'en-US', login } = {}) {
      const context = await browser.newContext({ viewport, locale, deviceScaleFactor: 1 });
      if (clipboard) await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: base });
      const page = await context.newPage();
      page.setDefaultTimeout(10_000);
      page.errors = [];
      page.outside = [];
      page.on('pageerror', (e) => page.errors.push(e.message));
      page.on('console', (m) => {
        if (m.type() === 'error' && !/Failed to load resource|WebSocket/.test(m.text())) page.errors.push(m.text());
      });
      // Privacy: every request a koe page makes goes to koe. koe, not the
      // browser, talks to the platforms, the webhook receivers and Slack, so
      // a request anywhere else (data: URLs aside) is a leak.
      page.on('request', (r) => {
        if (!r.url().startsWith(base) && !r.url().startsWith('data:')) page.outside.push(r.url());
      });
      page.on('dialog', (d) => void d.accept());
      if (login) {
        assert.ok(login in passwords, `no password for ${login}`);
        const r = await context.request.post(`${base}/api/v1/session`, { data: { login, password: passwords[login] } });
        assert.equal(r.status(), 201, `sign-in of ${login}: ${await r.text()}`);
      }
      opened.push(page);
      return page;
    },

    /** A screenshot of the viewport, shots/name.png, after a short wait for transitions to settle. */
    async shot(page, name) {
      await page.waitForTimeout(300);
      await page.screenshot({ path: join(shots, `${name}.png`), fullPage: false });
    },

    /** axe-core's serious and critical violations in the page (or the part a selector names), one line each, with the page's URL. */
    async audit(page, selector = '') {
      const src = axeSource ?? (installedAxe ??= readFileSync(createRequire(import.meta.url).resolve('axe-core'), 'utf8'));
      const found = await page.evaluate(async ({ src, selector }) => {
        if (!window.axe) (0, eval)(src); // eslint-disable-line no-eval
        const r = await window.axe.run(selector ? document.querySelector(selector) : document);
        return r.violations
          .filter((v) => v.impact === 'serious' || v.impact === 'critical')
          .map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
      }, { src, selector });
      return found.map((f) => `${page.url()} ${f}`);
    },

    /** Asserts that no page newPage opened had a script error or asked anyone but koe. */
    assertClean() {
      for (const page of opened) {
        assert.deepEqual(page.errors, [], 'no script errors in the page');
        assert.deepEqual(page.outside, [], 'no request to anyone but koe');
      }
    },
  };
}
