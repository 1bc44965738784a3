// End-to-end for the staff's poll panel (issue 12, F20) on the talk's desk
// /admin/e/{id}/t/{talk}: an owner (Aiko) and the talk's presenter (Ren,
// in Japanese) have it open; Aiko prepares a choice poll and edits it, Ren
// opens it, participants vote through the API and both panels count live;
// a change of the options once votes count is refused (409) and said so;
// opening a second poll closes the first; close, reveal, delete; a
// word-cloud answer that pre-moderation holds waits in the moderation
// queue as an answer and counts once approved. Screenshots (1440x900, en
// and ja) go to test-results/ (or KOE_SHOTS).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { launch } from './lib/browser.mjs';
import { pageHelpers } from './lib/pages.mjs';
import { apiClient, startKoe } from './lib/server.mjs';
import { until } from './lib/until.mjs';

const token = 'e2e-owner-token-pollsadmin-0123456789';
const desk = { width: 1440, height: 900 };
const passwords = { aiko: 'Blue-Harbor-Lantern-42', ren: 'Quiet-Maple-Orbit-77' };

let koe, api, browser, pages, event, talk;
let aiko, ren;

const panel = (page) => page.locator('[data-testid="polls-panel"]');
/** The new-poll form (not an edit form in a poll). */
const newForm = (page) => panel(page).locator(':scope > [data-testid="poll-form"]');
/** A poll in the panel, by its question (another poll's note may quote it). */
const pollItem = (page, question) => panel(page).locator('[data-testid="poll"]').filter({ has: page.locator('.pa-question', { hasText: question }) });
const voters = (page, question) => pollItem(page, question).locator('[data-testid="poll-admin-voters"]');
const pollsPath = () => `/api/v1/events/${event.id}/talks/${talk.id}/polls`;
const serverPoll = async (question) => (await api('GET', pollsPath())).polls.find((p) => p.question === question);

/** A participant of the event: its token, and a call as it. */
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
    return { status: res.status, body: text ? JSON.parse(text) : null };
  };
}

async function openDesk(page) {
  await page.goto(`${koe.base}/admin/e/${event.id}/t/${talk.id}`);
  await panel(page).waitFor();
  await panel(page).locator('[role="status"]').waitFor({ state: 'detached' }).catch(() => {});
}

async function fillForm(page, { kind, question, options }) {
  const form = newForm(page);
  if (kind) await form.locator(`input[type="radio"][value="${kind}"]`).check();
  await form.locator('input[id$="-q"]').fill(question);
  if (options) {
    for (let i = 0; i < options.length; i++) {
      if ((await form.locator('[data-testid="poll-option"]').count()) <= i) await form.locator('[data-testid="poll-add-option"]').click();
      await form.locator('[data-testid="poll-option"]').nth(i).fill(options[i]);
    }
  }
  return form;
}

describe('the staff poll panel in the browser', () => {
  const q1 = 'Which Go version do you run in production?';
  const q1options = ['Go 1.22', 'Go 1.23', 'Something older'];
  const q2 = 'How useful was this talk?';
  const q3 = 'One word for generics?';
  let mika, ken;

  before(async () => {
    koe = await startKoe({ token });
    api = apiClient(koe.base, token);
    const now = Date.now();
    event = await api('POST', '/api/v1/events', {
      title: 'Go Meetup Tokyo #46', slug: 'go-46', time_zone: 'Asia/Tokyo',
      starts_at: new Date(now - 3600e3).toISOString(), ends_at: new Date(now + 3 * 3600e3).toISOString(),
      settings: { participant_replies: false },
    });
    talk = await api('POST', `/api/v1/events/${event.id}/talks`, {
      title: 'Generics in practice', speaker: 'Ren Kobayashi',
      starts_at: new Date(now - 600e3).toISOString(), ends_at: new Date(now + 2400e3).toISOString(),
    });
    const a = await api('POST', '/api/v1/accounts', { login: 'aiko', display_name: 'Aiko Tanaka', email: '', password: passwords.aiko, admin: false });
    await api('PUT', `/api/v1/events/${event.id}/staff/${a.id}`, { role: 'owner', talks: [] });
    const r = await api('POST', '/api/v1/accounts', { login: 'ren', display_name: 'Ren Kobayashi', email: '', password: passwords.ren, admin: false });
    await api('PUT', `/api/v1/events/${event.id}/staff/${r.id}`, { role: 'presenter', talks: [talk.id] });
    browser = await launch();
    pages = pageHelpers({ browser, base: koe.base, passwords });
    mika = await participant('Mika');
    ken = await participant('Ken');
  });

  after(async () => {
    pages?.assertClean();
    await browser?.close();
    await koe?.stop();
  });

  it('the owner and the presenter have the talk open; no polls yet', async () => {
    aiko = await pages.newPage(desk, { login: 'aiko' });
    ren = await pages.newPage(desk, { login: 'ren', locale: 'ja-JP' });
    await openDesk(aiko);
    await openDesk(ren);
    await panel(aiko).locator('.pa-empty', { hasText: 'This talk has no polls yet' }).waitFor();
    await panel(ren).locator('.pa-empty', { hasText: 'このトークにはまだアンケートがありません' }).waitFor();
  });

  it('the owner prepares a choice poll: the form says what is missing, then makes a draft both see', async () => {
    await panel(aiko).locator('[data-testid="poll-new"]').click();
    const form = newForm(aiko);
    await form.waitFor();
    assert.equal(await form.locator('input[id$="-q"]').evaluate((el) => el === document.activeElement), true, 'the question field has the focus');
    assert.ok(await form.locator('input[type="radio"][value="choice"]').isChecked(), 'a choice poll by default');
    await form.locator('button[type="submit"]').click();
    await form.locator('.error-text', { hasText: 'Write the question.' }).waitFor();
    await form.locator('.error-text', { hasText: 'Option 1 is empty' }).waitFor();
    assert.equal(await serverPoll(q1), undefined, 'nothing was sent');
    await fillForm(aiko, { question: q1, options: q1options });
    assert.equal(await form.locator('[data-testid="poll-option"]').count(), 3);
    await pages.shot(aiko, 'pollsadmin-form-1440-en');
    await form.locator('button[type="submit"]').click();
    await form.waitFor({ state: 'detached' });
    const item = pollItem(aiko, q1);
    await item.waitFor();
    assert.equal(await item.getAttribute('data-state'), 'draft');
    await until('the new draft has the focus', () => item.evaluate((el) => el === document.activeElement));
    assert.equal((await item.locator('[data-testid="poll-state"]').textContent()).trim(), 'Draft');
    assert.equal(await item.locator('[data-testid="poll-audience"]').count(), 0, 'a draft has no audience');
    const p = await serverPoll(q1);
    assert.deepEqual(p.options.map((o) => o.label), q1options);
    assert.equal(p.state, 'draft');
    assert.equal(p.multiple, false);
    // The presenter's panel gets it from the talk's staff stream.
    await pollItem(ren, q1).locator('[data-testid="poll-state"]', { hasText: '下書き' }).waitFor();
  });

  it('the owner edits the draft: adds an option, allows several answers', async () => {
    const item = pollItem(aiko, q1);
    await item.locator('[data-action="edit"]').click();
    const form = item.locator('[data-testid="poll-form"]');
    await form.waitFor();
    assert.equal(await form.locator('[data-testid="poll-locked-note"]').count(), 0, 'no votes: nothing is locked');
    await form.locator('[data-testid="poll-add-option"]').click();
    const fourth = form.locator('[data-testid="poll-option"]').nth(3);
    assert.equal(await fourth.evaluate((el) => el === document.activeElement), true, 'the new option field has the focus');
    await fourth.fill('Go 1.24 (tip)');
    await form.locator('[data-testid="poll-multiple"]').check();
    await form.locator('button[type="submit"]').click();
    await form.waitFor({ state: 'detached' });
    await item.locator('.pa-preview li', { hasText: 'Go 1.24 (tip)' }).waitFor();
    const p = await serverPoll(q1);
    assert.deepEqual(p.options.map((o) => o.label), [...q1options, 'Go 1.24 (tip)']);
    assert.equal(p.multiple, true);
    await pollItem(ren, q1).locator('.pa-preview li', { hasText: 'Go 1.24 (tip)' }).waitFor();
  });

  it('the presenter opens it; the owner’s panel follows', async () => {
    await pollItem(ren, q1).locator('[data-action="open"]').click();
    await pollItem(ren, q1).locator('[data-testid="poll-state"]', { hasText: '受付中' }).waitFor();
    await pollItem(aiko, q1).locator('[data-testid="poll-state"]', { hasText: 'Open' }).waitFor();
    assert.equal((await serverPoll(q1)).state, 'open');
    assert.match(await pollItem(aiko, q1).locator('[data-testid="poll-audience"]').textContent(), /The audience sees these results/);
  });

  it('participants vote through the API and both panels count live', async () => {
    const p = await serverPoll(q1);
    const v1 = await mika('PUT', `${pollsPath()}/${p.id}/vote`, { options: ['2'] });
    assert.equal(v1.status, 200, JSON.stringify(v1.body));
    await until('one voter in the owner’s panel', async () => (await voters(aiko, q1).textContent()).trim() === '1 voter');
    const v2 = await ken('PUT', `${pollsPath()}/${p.id}/vote`, { options: ['2', '4'] });
    assert.equal(v2.status, 200, JSON.stringify(v2.body));
    await until('two voters in the owner’s panel', async () => (await voters(aiko, q1).textContent()).trim() === '2 voters');
    await until('two voters in the presenter’s panel', async () => (await voters(ren, q1).textContent()).trim() === '2 人が回答');
    const results = await api('GET', `${pollsPath()}/${p.id}/results`);
    assert.equal(results.voters, 2);
    assert.deepEqual(results.counts.map((c) => c.count), [0, 2, 0, 1]);
    // The results show the options' labels.
    await pollItem(aiko, q1).locator('[data-testid="poll-admin-results"]', { hasText: 'Go 1.23' }).waitFor();
    await pages.shot(aiko, 'pollsadmin-open-1440-en');
    await pages.shot(ren, 'pollsadmin-open-1440-ja');
  });

  it('changing the options once votes count is refused, and the panel says why; the results mode still changes', async () => {
    const item = pollItem(aiko, q1);
    await item.locator('[data-action="edit"]').click();
    const form = item.locator('[data-testid="poll-form"]');
    await form.locator('[data-testid="poll-locked-note"]', { hasText: '2 votes count' }).waitFor();
    await form.locator('[data-testid="poll-option"]').nth(2).fill('Go 1.21 or older');
    await form.locator('button[type="submit"]').click();
    const err = form.locator('[data-testid="poll-form-error"]');
    await err.waitFor();
    assert.match(await err.textContent(), /Votes already count for this poll, so its question, options and “several answers” can no longer change/);
    await pages.shot(aiko, 'pollsadmin-locked-1440-en');
    assert.equal((await serverPoll(q1)).options[2].label, 'Something older', 'the server kept the options');
    // Put the option back and change only how results are shown: that goes through.
    await form.locator('[data-testid="poll-option"]').nth(2).fill('Something older');
    await form.locator('input[type="radio"][value="hidden"]').check();
    await form.locator('button[type="submit"]').click();
    await form.waitFor({ state: 'detached' });
    await item.locator('[data-testid="poll-reveal-state"]', { hasText: 'Results hidden' }).waitFor();
    assert.equal((await serverPoll(q1)).results_mode, 'hidden');
    assert.match(await item.locator('[data-testid="poll-audience"]').textContent(), /Only staff see these results/);
  });

  it('opening a second poll closes the first, in both panels', async () => {
    await panel(aiko).locator('[data-testid="poll-new"]').click();
    const form = await fillForm(aiko, { kind: 'rating', question: q2 });
    assert.equal(await form.locator('[data-testid="poll-option"]').count(), 0, 'a rating has no options');
    await form.locator('button[type="submit"]').click();
    const item = pollItem(aiko, q2);
    await item.waitFor();
    assert.match(await item.locator('[data-testid="poll-open-closes"]').textContent(), new RegExp(`closes the one open now \\(“${q1.replace('?', '\\?')}”\\)`));
    await item.locator('[data-action="open"]').click();
    await item.locator('[data-testid="poll-state"]', { hasText: 'Open' }).waitFor();
    await pollItem(aiko, q1).locator('[data-testid="poll-state"]', { hasText: 'Closed' }).waitFor();
    await pollItem(ren, q1).locator('[data-testid="poll-state"]', { hasText: '締め切り' }).waitFor();
    await pollItem(ren, q2).locator('[data-testid="poll-state"]', { hasText: '受付中' }).waitFor();
    const list = (await api('GET', pollsPath())).polls;
    assert.deepEqual(list.filter((p) => p.state === 'open').map((p) => p.question), [q2]);
    // A rating vote counts on the open poll.
    const v = await mika('PUT', `${pollsPath()}/${list.find((p) => p.question === q2).id}/vote`, { rating: 5 });
    assert.equal(v.status, 200, JSON.stringify(v.body));
    await until('the rating’s voter', async () => (await voters(aiko, q2).textContent()).trim() === '1 voter');
  });

  it('close, reopen, reveal and delete', async () => {
    const rating = pollItem(aiko, q2);
    await rating.locator('[data-action="close"]').click();
    await rating.locator('[data-testid="poll-state"]', { hasText: 'Closed' }).waitFor();
    assert.equal((await serverPoll(q2)).state, 'closed');
    // A closed poll can be opened again, and closed again.
    await rating.locator('[data-action="reopen"]').click();
    await rating.locator('[data-testid="poll-state"]', { hasText: 'Open' }).waitFor();
    await rating.locator('[data-action="close"]').click();
    await rating.locator('[data-testid="poll-state"]', { hasText: 'Closed' }).waitFor();

    // The first poll's hidden results, revealed by the presenter.
    const first = pollItem(ren, q1);
    await first.locator('[data-action="reveal"]').click();
    await first.locator('[data-testid="poll-reveal-state"]', { hasText: '結果を公開中' }).waitFor();
    await pollItem(aiko, q1).locator('[data-testid="poll-reveal-state"]', { hasText: 'Results revealed' }).waitFor();
    assert.equal((await serverPoll(q1)).revealed, true);
    // A closed poll's results fold away; they open on a click.
    const toggle = pollItem(aiko, q1).locator('[data-testid="poll-results-toggle"]');
    await toggle.locator('summary').click();
    await toggle.locator('[data-testid="poll-admin-results"]', { hasText: 'Go 1.23' }).waitFor();

    // Delete (the confirmation is accepted).
    await rating.locator('[data-action="delete"]').click();
    await rating.waitFor({ state: 'detached' });
    await pollItem(ren, q2).waitFor({ state: 'detached' });
    assert.equal(await serverPoll(q2), undefined);
  });

  it('a word-cloud answer held by pre-moderation waits in the queue as an answer and counts once approved', async () => {
    const ev = await api('GET', `/api/v1/events/${event.id}`);
    await api('PATCH', `/api/v1/events/${event.id}`, { settings: { ...ev.settings, moderation: 'pre' } });
    await panel(aiko).locator('[data-testid="poll-new"]').click();
    const form = await fillForm(aiko, { kind: 'words', question: q3 });
    await form.locator('.pa-words-hint', { hasText: 'held ones wait in the moderation queue' }).waitFor();
    await form.locator('button[type="submit"]').click();
    const item = pollItem(aiko, q3);
    await item.waitFor();
    await item.locator('[data-action="open"]').click();
    await item.locator('[data-testid="poll-state"]', { hasText: 'Open' }).waitFor();
    await pollItem(aiko, q1).locator('[data-testid="poll-state"]', { hasText: 'Closed' }).waitFor();
    const p = await serverPoll(q3);
    const answer = 'ジェネリクス最高';
    const v = await ken('PUT', `${pollsPath()}/${p.id}/vote`, { text: answer });
    assert.equal(v.status, 200, JSON.stringify(v.body));
    assert.equal(v.body.status, 'pending', 'pre-moderation holds it');
    await pages.shot(aiko, 'pollsadmin-words-1440-en');
    assert.equal((await voters(aiko, q3).textContent()).trim(), '0 voters', 'a held answer does not count');

    // The moderation queue, in a second tab of the owner.
    const mod = await pages.newPage(desk, { login: 'aiko' });
    await mod.goto(`${koe.base}/admin/e/${event.id}/moderation`);
    const review = mod.locator('[data-testid="review"]', { hasText: answer });
    await review.waitFor();
    assert.equal(await review.getAttribute('data-kind'), 'answer');
    assert.match(await review.textContent(), /Poll answer/);
    assert.match(await review.textContent(), /Ken/);
    await review.locator('.rv-select').click();
    assert.equal(await review.locator('[data-action="edit"]').count(), 0, 'an answer is approved or rejected as written');
    await pages.shot(mod, 'pollsadmin-moderation-answer-1440-en');
    await review.locator('[data-action="approve"]').click();
    await until('the approved answer counts', async () => (await voters(aiko, q3).textContent()).trim() === '1 voter');
    const results = await api('GET', `${pollsPath()}/${p.id}/results`);
    assert.equal(results.voters, 1);
    assert.ok(results.counts.length > 0, 'the answer’s words count');
  });

  it('the panel in Japanese, and no serious accessibility violations', async () => {
    await panel(ren).locator('[data-testid="poll-new"]').click();
    await newForm(ren).waitFor();
    await pages.shot(ren, 'pollsadmin-form-1440-ja');
    const found = await pages.audit(ren);
    assert.deepEqual(found, []);
    await newForm(ren).locator('button.btn-ghost', { hasText: 'キャンセル' }).click();
    await panel(ren).locator('[data-testid="poll-new"]').waitFor();
    assert.equal(await panel(ren).locator('[data-testid="poll-new"]').evaluate((el) => el === document.activeElement), true, 'focus goes back to “New poll”');
    assert.deepEqual(await pages.audit(aiko), []);
  });

  it('on a phone, the talk’s polls come first, the open one counting', async () => {
    const phone = await pages.newPage({ width: 390, height: 844 }, { login: 'ren', locale: 'ja-JP' });
    await openDesk(phone);
    await pollItem(phone, q3).locator('[data-testid="poll-state"]', { hasText: '受付中' }).waitFor();
    await pollItem(phone, q3).scrollIntoViewIfNeeded();
    await pages.shot(phone, 'pollsadmin-phone-390-ja');
    const box = await panel(phone).boundingBox();
    assert.ok(box.width <= 390, 'the panel fits the phone');
  });
});
