// End-to-end for staff accounts: first-run setup, password sign-in, an
// invitation accepted in a second browser, roles shown and hidden, the
// audit log with both people's actions and its CSV export, and passkeys
// with Chromium's virtual authenticator. koe runs without an owner token
// on http://localhost (WebAuthn refuses IP addresses as RP IDs).
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { launch } from './lib/browser.mjs';
import { startKoe } from './lib/server.mjs';
import { until } from './lib/until.mjs';

const shots = new URL('../../test-results/', import.meta.url).pathname;
const desktop = { width: 1280, height: 900 };
const phone = { width: 390, height: 844 };
const adminPassword = 'Blue-Harbor-Lantern-42';
const modPassword = 'Quiet-Maple-Orbit-77';

let koe, browser, admin, mod, eventID, talkID, inviteLink;
const pages = [];

async function newPage(viewport) {
  const context = await browser.newContext({ viewport, locale: 'en-US', deviceScaleFactor: 1, acceptDownloads: true });
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error' && !/Failed to load resource|WebSocket/.test(m.text())) page.errors.push(m.text());
  });
  page.on('dialog', (d) => void d.accept());
  pages.push(page);
  return page;
}

async function shot(page, name) {
  await page.waitForTimeout(200);
  await page.screenshot({ path: `${shots}${name}.png`, fullPage: true });
}

async function signIn(page, login, password) {
  await page.fill('#signin-login', login);
  await page.fill('#signin-password', password);
  await page.click('[data-testid="signin-form"] button[type="submit"]');
}

describe('staff accounts in the browser', () => {
  before(async () => {
    mkdirSync(shots, { recursive: true });
    koe = await startKoe({ host: 'localhost' });
    browser = await launch();
  });

  after(async () => {
    for (const page of pages) assert.deepEqual(page.errors, [], 'no script errors in the page');
    await browser?.close();
    await koe?.stop();
  });

  it('first-run setup makes the first admin from the link koe printed', async () => {
    const link = await koe.setupLink();
    assert.match(link, /^http:\/\/localhost:\d+\/setup#koe_/);
    admin = await newPage(desktop);
    await admin.goto(link);
    await admin.locator('[data-testid="setup-form"]').waitFor();
    assert.equal(new URL(admin.url()).hash, '', 'the token leaves the address bar');
    await admin.fill('#setup-login', 'aiko');
    await admin.fill('#setup-name', 'Aiko Tanaka');
    await admin.fill('#setup-email', 'aiko@example.com');
    await admin.fill('#setup-password', 'password1234');
    await admin.click('[data-testid="setup-form"] button[type="submit"]');
    await admin.locator('[data-testid="setup-error"]').filter({ hasText: /password/i }).waitFor(); // the strength check says why
    await admin.fill('#setup-password', adminPassword);
    await admin.click('[data-testid="setup-form"] button[type="submit"]');
    await admin.waitForURL(/\/admin$/);
    await admin.getByRole('heading', { name: 'Events' }).waitFor();
    assert.equal((await admin.locator('[data-testid="account-link"]').textContent()).trim(), 'Aiko Tanaka');
    // The link works once.
    const again = await (await fetch(`${koe.base}/api/v1/setup`)).json();
    assert.equal(again.needed, false);
    await admin.goto(`${koe.base}/setup`);
    await admin.locator('[data-testid="setup-done"]').waitFor();
  });

  it('signs out, refuses a wrong password, signs in with the right one', async () => {
    await admin.goto(`${koe.base}/admin`);
    await admin.click('[data-testid="sign-out"]');
    await admin.locator('#signin-login').waitFor();
    assert.equal((await fetch(`${koe.base}/api/v1/session`)).status, 401);
    await admin.locator('summary', { hasText: 'Owner token (break-glass)' }).waitFor();
    await signIn(admin, 'aiko', 'not-the-password');
    await admin.locator('[data-testid="signin-error"]', { hasText: 'Wrong login or password.' }).waitFor();
    await shot(admin, 'staff-signin-error-1280-en');
    await signIn(admin, 'Aiko', adminPassword); // logins are case-insensitive
    await admin.getByRole('heading', { name: 'Events' }).waitFor();
    await admin.locator('[data-testid="account-link"]').waitFor();
  });

  it('the admin creates an event and a talk, and invites a moderator', async () => {
    await admin.fill('#new-title', 'Go Meetup Tokyo #43');
    await admin.click('button:has-text("Create event")');
    await admin.waitForURL(/\/admin\/e\/\d+$/);
    eventID = Number(/\/admin\/e\/(\d+)/.exec(admin.url())[1]);
    assert.equal((await admin.locator('[data-testid="my-role"]').textContent()).trim(), 'Owner');
    await admin.fill('#newtalk-title', 'Generics in practice');
    await admin.click('button:has-text("Add talk")');
    const talkLink = admin.locator('.admin-talk-title', { hasText: 'Generics in practice' });
    await talkLink.waitFor();
    talkID = Number(/\/t\/(\d+)/.exec(await talkLink.getAttribute('href'))[1]);

    await admin.click('[data-testid="staff-link"]');
    await admin.waitForURL(new RegExp(`/admin/e/${eventID}/staff$`));
    // Its creator is its first owner.
    const creator = admin.locator('[data-testid="staff-list"] li[data-login="aiko"]');
    await creator.waitFor();
    assert.match(await creator.textContent(), /Aiko Tanaka/);
    assert.ok(await admin.locator('input[name="invite-role"][value="moderator"]').isChecked());
    await admin.click('[data-testid="invite-form"] button[type="submit"]');
    const url = admin.locator('#invite-url');
    await url.waitFor();
    inviteLink = await url.inputValue();
    assert.match(inviteLink, new RegExp(`^${koe.base}/invite#koe_`));
    assert.equal(await admin.locator('[data-testid="invite-link"] svg.qr path').count(), 1, 'a QR code of the link');
    await until('the pending invitation', async () => (await admin.locator('[data-testid="pending-invitations"] li').count()) === 1);
    await shot(admin, 'staff-invite-1280-en');
  });

  it('a second browser signs up with the invitation and is a moderator only', async () => {
    mod = await newPage(phone);
    await mod.goto(inviteLink);
    const preview = mod.locator('[data-testid="invite-preview"]');
    await preview.waitFor();
    assert.match(await preview.textContent(), /Go Meetup Tokyo #43/);
    assert.match(await preview.textContent(), /Moderator/);
    await shot(mod, 'staff-invite-preview-390-en');
    await mod.fill('#signup-login', 'kenji');
    await mod.fill('#signup-name', 'Kenji Sato');
    await mod.fill('#signup-password', modPassword);
    await mod.click('[data-testid="signup-form"] button[type="submit"]');
    // Straight to the event the invitation is for.
    await mod.waitForURL(new RegExp(`/admin/e/${eventID}$`));
    await mod.locator('[data-testid="my-role"]', { hasText: 'Moderator' }).waitFor();
    await mod.goto(`${koe.base}/admin`);
    const row = mod.locator(`[data-event="${eventID}"]`);
    await row.waitFor();
    assert.match(await row.textContent(), /Moderator/);
    assert.equal(await mod.locator('#new-event-h').count(), 0, 'only admins create events');
    assert.equal(await mod.getByRole('link', { name: 'Accounts' }).count(), 0);

    await row.locator('a.event-row-title').click();
    await mod.waitForURL(new RegExp(`/admin/e/${eventID}$`));
    await mod.locator('[data-testid="my-role"]', { hasText: 'Moderator' }).waitFor();
    await mod.locator('.admin-talk-title', { hasText: 'Generics in practice' }).waitFor();
    assert.equal(await mod.locator('[data-testid="staff-link"]').count(), 0, 'no staff page');
    assert.equal(await mod.locator('[data-testid="audit-link"]').count(), 0, 'no audit log');
    assert.equal(await mod.getByText('Event settings').count(), 0, 'cannot change the event');
    assert.equal(await mod.getByRole('button', { name: 'Close Q&A' }).count(), 0, 'cannot open or close Q&A');
    assert.equal(await mod.getByText('Add a talk').count(), 0, 'cannot add talks');
    await mod.goto(`${koe.base}/admin/e/${eventID}/staff`);
    await mod.getByText('Only an owner of this event can manage its staff.').waitFor();
    const r = await mod.context().request.patch(`${koe.base}/api/v1/events/${eventID}`, { data: { title: 'x' } });
    assert.equal(r.status(), 403, 'the server agrees');

    // The invitation was used: the link now says so.
    const other = await newPage(phone);
    await other.goto(inviteLink);
    await other.locator('[data-testid="invite-gone"]').getByText('This invitation has been used, has expired or was revoked.').waitFor();
  });

  it('both act, and the owner\'s audit log shows who did what; CSV export downloads', async () => {
    // A participant asks; the moderator hides it; the admin renames the event.
    const event = await (await admin.context().request.get(`${koe.base}/api/v1/events/${eventID}`)).json();
    const part = await newPage(phone);
    const j = await part.context().request.post(`${koe.base}/api/v1/join`, { data: { code: event.join_code } });
    assert.equal(j.status(), 201);
    const q = await part.context().request.post(`${koe.base}/api/v1/events/${eventID}/talks/${talkID}/questions`, { data: { body: 'Buy cheap watches here!!!', anonymous: true } });
    assert.equal(q.status(), 201);

    await mod.goto(`${koe.base}/admin/e/${eventID}/t/${talkID}`);
    const card = mod.locator('[data-testid="admin-list"] [data-testid="question"]', { hasText: 'Buy cheap watches' });
    await card.waitFor();
    await card.locator('[data-action="hide"]').click();
    await until('the question hidden', async () => (await card.count()) === 0);

    await admin.goto(`${koe.base}/admin/e/${eventID}`);
    await admin.getByText('Event settings').click();
    await admin.fill(`#ev${eventID}-title`, 'Go Meetup Tokyo #43 (Hall A)');
    await admin.click('.settings button[type="submit"]:has-text("Save")');
    await admin.locator('.event-head h1', { hasText: '(Hall A)' }).waitFor();

    await admin.click('[data-testid="audit-link"]');
    await admin.waitForURL(new RegExp(`/admin/e/${eventID}/audit$`));
    const modRow = admin.locator('tr[data-type="question.updated"]', { hasText: 'Kenji Sato' });
    const adminRow = admin.locator('tr[data-type="event.updated"]', { hasText: 'Aiko Tanaka' });
    await until('both actions in the log', async () => {
      if ((await modRow.count()) && (await adminRow.count())) return true;
      await admin.click('[data-testid="audit-filters"] button[type="submit"]'); // reload
      return false;
    }, 15_000);
    assert.match(await modRow.first().textContent(), /Browser session/);
    assert.match(await modRow.first().textContent(), /hidden\s*false\s*→\s*true/);
    assert.match(await adminRow.first().textContent(), /title\s*Go Meetup Tokyo #43\s*→\s*Go Meetup Tokyo #43 \(Hall A\)/);
    await shot(admin, 'staff-audit-1280-en');

    // Filter by person.
    await admin.selectOption('#audit-who', { label: 'Kenji Sato (@kenji)' });
    await admin.click('[data-testid="audit-filters"] button[type="submit"]');
    await until('only Kenji\'s entries', async () => {
      const whos = await admin.locator('.audit-table td.audit-who').allTextContents();
      return whos.length > 0 && whos.every((w) => w.includes('Kenji'));
    });

    const [download] = await Promise.all([admin.waitForEvent('download'), admin.click('[data-testid="export-csv"]')]);
    assert.match(download.suggestedFilename(), /^koe-audit-\d+-.*\.csv$/);
    const csv = readFileSync(await download.path(), 'utf8');
    assert.match(csv.split('\n')[0], /^id,at,type,event_id/);
    assert.match(csv, /question\.updated/);
    assert.match(csv, /kenji/);
    assert.doesNotMatch(csv, /event\.updated/, 'the export has the filter');
  });

  it('registers a passkey with the virtual authenticator and signs in with it', async (t) => {
    const probe = await fetch(`${koe.base}/api/v1/account/passkeys/options`);
    if (probe.status === 404) {
      t.skip('passkeys are not in this koe yet (/api/v1/account/passkeys/options answers 404)');
      return;
    }
    const cdp = await admin.context().newCDPSession(admin);
    await cdp.send('WebAuthn.enable');
    await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true },
    });
    await admin.goto(`${koe.base}/admin/account`);
    await admin.locator('[data-testid="passkeys"]').waitFor();
    await admin.fill('#passkey-name', 'Virtual key');
    await admin.click('[data-testid="add-passkey"]');
    await admin.locator('[data-testid="passkey-list"]', { hasText: 'Virtual key' }).waitFor();
    await shot(admin, 'staff-account-1280-en');

    await admin.click('[data-testid="sign-out"]');
    await admin.locator('[data-testid="passkey-signin"]').click();
    await admin.locator('[data-testid="account-link"]').waitFor();
    assert.equal((await admin.locator('[data-testid="account-link"]').textContent()).trim(), 'Aiko Tanaka');

    // As a second factor: the password alone no longer signs in.
    await admin.goto(`${koe.base}/admin/account`);
    const sw = admin.locator('[data-testid="passkey-required"]');
    await until('the switch enabled', () => sw.isEnabled());
    await sw.check();
    await until('the setting saved', async () => (await (await admin.context().request.get(`${koe.base}/api/v1/session`)).json()).account.passkey_required === true);
    await admin.click('[data-testid="sign-out"]');
    await signIn(admin, 'aiko', adminPassword);
    await admin.locator('[data-testid="second-factor"]').waitFor();
    assert.equal((await admin.context().request.get(`${koe.base}/api/v1/session`)).status(), 401, 'no session after the password alone');
    await admin.click('[data-testid="second-factor"] button.btn-primary');
    await admin.locator('[data-testid="account-link"]').waitFor();
  });
});
