// End-to-end for "Sign in with …" OpenID Connect: a real koe and koe's
// test OpenID provider (internal/oidctest/cmd/testop, zitadel's op) on
// loopback, driven by Chromium through the provider's login page. The
// first sign-in creates the account (an admin: its group is an admin
// group); cancelling at the provider comes back with the translated
// message.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { launch } from './lib/browser.mjs';
import { startKoe } from './lib/server.mjs';

const shots = new URL('../../test-results/', import.meta.url).pathname;
const repo = resolve(new URL('../..', import.meta.url).pathname);
const users = [
  { subject: 'sub-ada', email: 'ada@example.com', email_verified: true, name: 'Ada Lovelace', preferred_username: 'ada', groups: ['koe-admins'] },
  { subject: 'sub-kei', email: 'kei@example.jp', email_verified: true, name: 'Kei', preferred_username: 'kei', groups: [] },
];

let koe, op, opDir, browser, admin;

/** Builds (unless KOE_TESTOP names it) and starts testop; resolves its issuer URL. */
async function startProvider() {
  let bin = process.env.KOE_TESTOP;
  if (!bin) {
    opDir = mkdtempSync(join(tmpdir(), 'koe-testop-'));
    bin = join(opDir, 'testop');
    execFileSync('go', ['build', '-o', bin, './internal/oidctest/cmd/testop'], { cwd: repo, stdio: 'inherit' });
  }
  op = spawn(bin, ['-addr', '127.0.0.1:0', '-users', JSON.stringify(users)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  return new Promise((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`testop printed no issuer: ${out}`)), 30_000);
    op.stdout.on('data', (d) => {
      out += d;
      const line = out.split('\n')[0];
      if (out.includes('\n')) {
        clearTimeout(timer);
        res(line.trim());
      }
    });
    op.stderr.on('data', (d) => (out += d));
    op.once('exit', (code) => rej(new Error(`testop exited ${code}: ${out}`)));
  });
}

async function newPage() {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-US' });
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  return page;
}

describe('Sign in with OpenID Connect', () => {
  before(async () => {
    mkdirSync(shots, { recursive: true });
    const issuer = await startProvider();
    koe = await startKoe({
      env: {
        KOE_OIDC_ISSUER: issuer,
        KOE_OIDC_CLIENT_ID: 'koe',
        KOE_OIDC_CLIENT_SECRET: 'koe-test-secret',
        KOE_OIDC_NAME: 'Test SSO',
        KOE_OIDC_ADMIN_GROUPS: 'koe-admins',
      },
    });
    browser = await launch();
  });

  after(async () => {
    await browser?.close();
    await koe?.stop();
    op?.kill('SIGTERM');
    if (opDir) rmSync(opDir, { recursive: true, force: true });
  });

  it('signs in through the provider and creates an admin account', async () => {
    const page = await newPage();
    await page.goto(`${koe.base}/admin`);
    const button = page.getByTestId('oidc-signin');
    await button.waitFor();
    assert.equal((await button.textContent()).trim(), 'Sign in with Test SSO');
    await button.click();
    await page.getByLabel('User name').fill('ada');
    await page.screenshot({ path: `${shots}oidc-provider-login.png` });
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${koe.base}/admin`);
    const who = await page.evaluate(async () => (await fetch('/api/v1/session')).json());
    assert.equal(who.account.login, 'ada');
    assert.equal(who.account.display_name, 'Ada Lovelace');
    assert.equal(who.admin, true);
    await page.screenshot({ path: `${shots}oidc-signed-in.png`, fullPage: true });
    admin = page;
  });

  it('comes back with a message when the person cancels', async () => {
    const page = await newPage();
    await page.goto(`${koe.base}/admin`);
    await page.getByTestId('oidc-signin').click();
    await page.getByRole('button', { name: 'Cancel' }).click();
    await page.getByText('Sign-in with Test SSO was cancelled or refused.').waitFor();
    assert.ok(!page.url().includes('signin_error'), `the error stays in the URL: ${page.url()}`);
    const who = await page.evaluate(async () => (await fetch('/api/v1/session')).status);
    assert.equal(who, 401);
    await page.screenshot({ path: `${shots}oidc-cancelled.png`, fullPage: true });
  });

  it('a participant signs in with the provider to join an event that asks for it', async () => {
    const call = (method, path, body) =>
      admin.evaluate(async ([m, p, b]) => {
        const r = await fetch(p, { method: m, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(b) });
        return r.json();
      }, [method, path, body]);
    const event = await call('POST', '/api/v1/events', { title: 'Members only', settings: { participant_replies: false, participant_sign_in: true } });
    assert.equal(event.settings.participant_sign_in, true);
    await call('POST', `/api/v1/events/${event.id}/talks`, { title: 'Opening' });
    const page = await newPage();
    await page.goto(`${koe.base}/j/${event.join_code}`);
    await page.fill('#name', 'Kei');
    await page.getByRole('button', { name: 'Join' }).click();
    await page.getByText('This event asks you to sign in with Test SSO to join.').waitFor();
    await page.getByTestId('join-sign-in').click();
    await page.getByLabel('User name').fill('kei');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(new RegExp(`/e/${event.id}`));
    await page.getByText('Asking as Kei').waitFor();
    const staff = await page.evaluate(async () => (await fetch('/api/v1/session')).status);
    assert.equal(staff, 401, 'a participant who signed in is no staff');
  });
});
