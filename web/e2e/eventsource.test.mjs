// End-to-end: a stock browser EventSource against koe's SSE endpoint, in
// real Chromium. A reset carries the stream's head as its id, so the
// EventSource's own reconnect (Last-Event-ID) resumes from there instead of
// being reset again in a loop; a malformed cursor is a 400 that closes the
// EventSource; ephemeral events (presence) carry no id and do not move
// lastEventId. Run alone with `node --test e2e/eventsource.test.mjs` after
// `make build`, or with the others by `make e2e`.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { launch } from './lib/browser.mjs';
import { apiClient, startKoe } from './lib/server.mjs';
import { until } from './lib/until.mjs';

const token = 'e2e-owner-token-0123456789abcdefghij';
// Chromium's EventSource waits 3 s before reconnecting (koe sends no
// `retry:`), so a reset loop would show within this quiet period.
const QUIET_MS = 5_000;
const TYPES = ['subscribed', 'reset', 'presence', 'question.created', 'question.updated', 'question.removed',
  'question.likes', 'reply.created', 'talk.updated', 'message'];

let koe, api, browser, event, asker;
const contexts = [];

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A fresh talk of the event, so that each test has a stream of its own. */
const newTalk = (title) => api('POST', `/api/v1/events/${event.id}/talks`, { title });

/** Asks a question as the asker participant (bearer token, from Node). */
async function ask(talk, body) {
  const r = await fetch(`${koe.base}/api/v1/events/${event.id}/talks/${talk.id}/questions`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${asker}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ body }),
  });
  const text = await r.text();
  assert.equal(r.status, 201, `ask: ${text}`);
  return JSON.parse(text);
}

/**
 * A browser context with a page of koe's own origin (the join page) whose
 * participant cookie is set by joining from the page itself. The page
 * records every request to the SSE endpoint with its Last-Event-ID.
 */
async function participantPage() {
  const context = await browser.newContext();
  contexts.push(context);
  const page = await context.newPage();
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(e.message));
  page.sseRequests = [];
  page.on('request', (req) => {
    if (new URL(req.url()).pathname.endsWith('/sse')) {
      // allHeaders() has the headers as sent (Last-Event-ID is added by
      // the network stack, not among the provisional ones).
      page.sseRequests.push({ url: req.url(), headers: req.allHeaders().catch(() => ({})) });
    }
  });
  await page.goto(`${koe.base}/`);
  await page.locator('#code').waitFor();
  const joined = await page.evaluate(async (code) => {
    const r = await fetch('/api/v1/join', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ code }),
    });
    return { status: r.status };
  }, event.join_code);
  assert.ok(joined.status === 200 || joined.status === 201, `join: ${joined.status}`);
  const cookies = await context.cookies(koe.base);
  assert.ok(cookies.some((c) => c.name === 'koe_p'), 'the join set the participant cookie');
  return page;
}

const sseURL = (talk, cursor) =>
  `/api/v1/events/${event.id}/sse?topic=talk:${talk.id}` + (cursor === undefined ? '' : `&cursor=${encodeURIComponent(cursor)}`);

/** Opens a stock EventSource in the page and logs what it sees. */
function openES(page, name, url) {
  return page.evaluate(({ name, url, types }) => {
    const es = new EventSource(url);
    const log = [];
    window.sse ??= {};
    window.sse[name] = { es, log };
    es.addEventListener('open', () => log.push({ kind: 'open', readyState: es.readyState }));
    es.addEventListener('error', () => log.push({ kind: 'error', readyState: es.readyState }));
    for (const type of types) {
      es.addEventListener(type, (e) => log.push({ kind: 'event', type: e.type, id: e.lastEventId, data: e.data }));
    }
  }, { name, url, types: TYPES });
}

/** The log of the named EventSource, with the data parsed, and its readyState. */
async function state(page, name) {
  const { log, readyState } = await page.evaluate((n) => ({ log: window.sse[n].log, readyState: window.sse[n].es.readyState }), name);
  for (const e of log) if (e.data !== undefined) e.data = JSON.parse(e.data);
  const of = (type) => log.filter((e) => e.kind === 'event' && e.type === type);
  return { log, readyState, of, opens: log.filter((e) => e.kind === 'open'), errors: log.filter((e) => e.kind === 'error') };
}

/** What the named EventSource saw, in short: for failure messages. */
const summary = (s) =>
  (s?.log ?? []).map((e) => (e.kind === 'event' ? `${e.type}#${e.id}${e.type === 'reset' ? `(${e.data.reason})` : ''}` : `${e.kind}(readyState ${e.readyState})`)).join(', ');

/** Polls the named EventSource's state until pred holds; returns that state. */
async function waitES(page, name, what, pred) {
  let s;
  try {
    return await until(what, async () => {
      s = await state(page, name);
      return pred(s) && s;
    });
  } catch (e) {
    throw new Error(`${e.message}; the EventSource saw: ${summary(s)} (readyState ${s?.readyState})`);
  }
}

const closeES = (page, name) => page.evaluate((n) => window.sse[n].es.close(), name);

const cursorRE = /^([^-]+)-(\d+)$/;

/**
 * Shared by the stale-cursor cases: exactly one reset with the given
 * reason whose id is the head, a reconnect by the EventSource itself with
 * Last-Event-ID = that head, then the events of new questions in order,
 * each once, and no second reset within the quiet period.
 */
async function resetThenRecover(page, talk, cursor, reason) {
  await openES(page, 'es', sseURL(talk, cursor));
  const first = await waitES(page, 'es', 'the reset', (s) => s.of('reset').length >= 1);
  const [reset] = first.of('reset');
  assert.equal(first.of('reset').length, 1, 'one reset');
  assert.deepEqual(Object.keys(reset.data).sort(), ['cursor', 'reason', 'topic']);
  assert.equal(reset.data.reason, reason);
  assert.equal(reset.data.topic, `talk:${talk.id}`);
  assert.match(reset.id, cursorRE, 'the reset has an id');
  assert.equal(reset.id, reset.data.cursor, "the reset's id is the head it names");
  assert.notEqual(reset.id, cursor);
  assert.equal(first.of('subscribed').length, 0, 'a reset is not preceded by subscribed');

  // The EventSource reconnects by itself (after its retry delay) and
  // resumes from the reset's id.
  const back = await waitES(page, 'es', 'the reconnect', (s) => s.opens.length >= 2 && s.of('subscribed').length >= 1);
  assert.equal(back.opens.length, 2);
  const between = back.errors;
  assert.equal(between.length, 1, 'one error: the end of the reset stream');
  assert.equal(between[0].readyState, 0, 'the EventSource was reconnecting (CONNECTING), not closed');
  const [sub] = back.of('subscribed');
  assert.equal(sub.id, reset.id, 'subscribed from the head the reset gave');
  assert.equal(sub.data.cursor, reset.id);
  assert.equal(back.readyState, 1, 'OPEN');
  assert.equal(page.sseRequests.length, 2, `two requests: ${page.sseRequests.map((r) => r.url)}`);
  const sent = await Promise.all(page.sseRequests.map(async (r) => (await r.headers)['last-event-id'] ?? null));
  assert.deepEqual(sent, [null, reset.id], 'Last-Event-ID: none at first, the reset id on the reconnect');
  assert.ok(page.sseRequests[1].url.includes(`cursor=${encodeURIComponent(cursor)}`), 'with the stale cursor still in the URL');

  // New questions arrive, each once, in order.
  const q1 = await ask(talk, `First after the reset (${reason})`);
  const q2 = await ask(talk, `Second after the reset (${reason})`);
  const got = await waitES(page, 'es', 'both questions', (s) => s.of('question.created').length >= 2);
  const created = got.of('question.created');
  assert.deepEqual(created.map((e) => e.data.data.id), [q1.id, q2.id], 'in order');
  const [epoch, headSeq] = cursorRE.exec(reset.id).slice(1);
  const seqs = created.map((e) => {
    const [, ep, seq] = cursorRE.exec(e.id);
    assert.equal(ep, epoch, "in the stream's epoch");
    assert.equal(Number(seq), e.data.seq, 'the id is EPOCH-SEQ of the event');
    return Number(seq);
  });
  assert.ok(seqs[0] > Number(headSeq) && seqs[1] > seqs[0], `after the head, increasing: ${headSeq} ${seqs}`);

  // No loop: nothing more over the quiet period.
  await sleep(QUIET_MS);
  const end = await state(page, 'es');
  assert.equal(end.of('reset').length, 1, `no second reset: ${JSON.stringify(end.log)}`);
  assert.equal(end.opens.length, 2, 'no further reconnect');
  assert.equal(end.errors.length, 1);
  assert.equal(end.of('question.created').length, 2, 'each question once');
  assert.equal(end.readyState, 1, 'still OPEN');
  assert.equal(page.sseRequests.length, 2, 'no further request');
  await closeES(page, 'es');
}

describe('a stock EventSource on the SSE endpoint', () => {
  before(async () => {
    koe = await startKoe({ token, rateLimits: 'off' });
    api = apiClient(koe.base, token);
    const now = Date.now();
    event = await api('POST', '/api/v1/events', {
      title: 'EventSource e2e', slug: 'es-e2e', time_zone: 'UTC',
      starts_at: new Date(now - 3600e3).toISOString(), ends_at: new Date(now + 3 * 3600e3).toISOString(),
    });
    const r = await fetch(`${koe.base}/api/v1/join`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ code: event.join_code }),
    });
    assert.ok(r.ok, `asker join: ${r.status}`);
    asker = (await r.json()).token;
    browser = await launch();
  });

  after(async () => {
    for (const c of contexts) {
      for (const p of c.pages()) assert.deepEqual(p.errors, [], 'no script errors in the page');
    }
    await browser?.close();
    await koe?.stop();
  });

  it('a cursor of another epoch: one reset, then it resumes by itself without a loop', async () => {
    const page = await participantPage();
    const talk = await newTalk('Stale epoch');
    await ask(talk, 'Asked before anyone followed');
    await resetThenRecover(page, talk, 'zzzz-5', 'unknown_epoch');
  });

  it('a cursor beyond the head of its epoch: one reset (unknown_position), then it resumes', async () => {
    const page = await participantPage();
    const talk = await newTalk('Ahead of the head');
    await ask(talk, 'One');
    await ask(talk, 'Two');
    // The participant's own list gives the position of its (public) stream.
    const list = await page.evaluate(async (path) => (await fetch(path)).json(),
      `/api/v1/events/${event.id}/talks/${talk.id}/questions`);
    assert.equal(list.stream.topic, `talk:${talk.id}`);
    const [, epoch, seq] = cursorRE.exec(list.stream.cursor);
    assert.ok(Number(seq) >= 2, `the head counts the questions: ${list.stream.cursor}`);
    const ahead = `${epoch}-${Number(seq) + 1000}`;
    await resetThenRecover(page, talk, ahead, 'unknown_position');
  });

  it('a malformed cursor is a 400 that closes the EventSource instead of looping', async () => {
    const page = await participantPage();
    const talk = await newTalk('Malformed');
    const url = sseURL(talk, 'not-a-cursor!');
    const plain = await page.evaluate(async (u) => {
      const r = await fetch(u);
      return { status: r.status, type: r.headers.get('content-type'), body: await r.text() };
    }, url);
    assert.equal(plain.status, 400);
    assert.match(plain.type, /^application\/json/);
    assert.equal(JSON.parse(plain.body).error.code, 'invalid_argument');
    page.sseRequests.length = 0; // only the EventSource's from here

    await openES(page, 'bad', url);
    const s = await waitES(page, 'bad', 'the EventSource to fail', (s) => s.errors.length >= 1 && s.readyState === 2);
    assert.equal(s.opens.length, 0, 'never open');
    assert.equal(s.errors[0].readyState, 2, 'CLOSED in the error event');
    // Longer than the retry delay: it does not come back.
    await sleep(QUIET_MS);
    const end = await state(page, 'bad');
    assert.equal(end.readyState, 2, 'still CLOSED');
    assert.equal(end.errors.length, 1, 'one error');
    assert.equal(end.log.filter((e) => e.kind === 'event').length, 0, 'no events');
    assert.equal(page.sseRequests.length, 1, `one request: ${page.sseRequests.map((r) => r.url)}`);
  });

  it('presence (no id) does not move lastEventId', async () => {
    const page = await participantPage();
    const talk = await newTalk('Presence');
    await openES(page, 'a', sseURL(talk));
    const opened = await waitES(page, 'a', 'subscribed', (s) => s.of('subscribed').length === 1);
    assert.match(opened.of('subscribed')[0].id, cursorRE);
    // A sequenced event first, so that lastEventId is that of a real event.
    const q = await ask(talk, 'Who is here?');
    const seen = await waitES(page, 'a', 'the question', (s) => s.of('question.created').length === 1);
    const [created] = seen.of('question.created');
    assert.equal(created.data.data.id, q.id);
    const earlier = seen.of('presence').length;

    // A second connection on the talk changes the count: presence follows.
    await openES(page, 'b', sseURL(talk));
    const s = await waitES(page, 'a', 'presence with 2 connections',
      (s) => s.of('presence').slice(earlier).some((e) => e.data.data.connections === 2));
    const presence = s.of('presence').slice(earlier).find((e) => e.data.data.connections === 2);
    assert.equal(presence.data.seq, undefined, 'presence has no seq');
    assert.equal(presence.id, created.id, 'lastEventId with presence is that of the previous sequenced event');
    // And the next sequenced event continues from there.
    const q2 = await ask(talk, 'Still here?');
    const next = await waitES(page, 'a', 'the next question', (s) => s.of('question.created').length === 2);
    const later = next.of('question.created')[1];
    assert.equal(later.data.data.id, q2.id);
    assert.equal(Number(cursorRE.exec(later.id)[2]), Number(cursorRE.exec(created.id)[2]) + 1, 'the next seq');
    await closeES(page, 'a');
    await closeES(page, 'b');
  });
});
