import { describe, expect, it } from 'vitest';
import type { Delivery, DeliveryPage, Webhook } from '../types';
import {
  defaultEvents, draftProblems, emptyLog, hookBody, hookDraft, hookHealth, isPrivate, latencyText, mayRedeliver, orderedEvents,
  mergeHooks, prettyJSON, putHook, shortURL, withoutSecret, webhookEvents, withDelivery, withFirstPage, withOlderPage, type DeliveryLog,
} from './webhooks';

function hook(over: Partial<Webhook> = {}): Webhook {
  return {
    id: 1, event_id: 1, url: 'https://hooks.example.com/koe', description: '', events: ['question.created'], enabled: true,
    disabled_reason: '', health: { last_success_at: null, last_error: '', last_error_at: null, backlog: 0 }, version: 1,
    created_at: '2026-01-01T10:00:00Z', updated_at: '2026-01-01T10:00:00Z', ...over,
  };
}

function delivery(id: number, over: Partial<Delivery> = {}): Delivery {
  return {
    id, event_id: 1, target: 'webhook', target_id: 1, key: `k${id}`, type: 'question.created', subject_id: 0, payload: {}, state: 'delivered',
    attempts: 1, last: null, next_at: '2026-01-01T10:00:00Z', created_at: new Date(Date.UTC(2026, 0, 1, 10, id)).toISOString(), delivered_at: null, ...over,
  };
}

const page = (ids: number[], next: number | null, over: Partial<Delivery> = {}): DeliveryPage => ({ deliveries: ids.map((i) => delivery(i, over)), next_before: next });
const ids = (l: DeliveryLog) => l.items.map((d) => d.id);

describe('events', () => {
  it('offers the thirteen of koe.WebhookEvents; review.* are private; defaults are public question events', () => {
    expect(webhookEvents).toHaveLength(13);
    expect(webhookEvents.filter(isPrivate)).toEqual(['review.created', 'review.decided']);
    expect(defaultEvents.some(isPrivate)).toBe(false);
    expect(defaultEvents.every((e) => webhookEvents.includes(e))).toBe(true);
  });

  it('orders a choice as the form does and drops what koe does not know', () => {
    expect(orderedEvents(['review.decided', 'nope', 'question.created', 'question.created'])).toEqual(['question.created', 'review.decided']);
  });
});

describe('health in one word', () => {
  const h = (over: Partial<Webhook['health']>) => ({ last_success_at: null, last_error: '', last_error_at: null, backlog: 0, ...over });
  it('says koe switched it off before anything else', () => {
    expect(hookHealth(hook({ enabled: false, disabled_reason: 'failed for a day' }))).toBe('suspended');
    expect(hookHealth(hook({ enabled: false }))).toBe('off');
  });
  it('compares the latest success with the latest error', () => {
    expect(hookHealth(hook())).toBe('idle');
    expect(hookHealth(hook({ health: h({ last_success_at: '2026-01-01T10:00:00Z' }) }))).toBe('ok');
    expect(hookHealth(hook({ health: h({ last_error_at: '2026-01-01T10:00:00Z', last_error: '500' }) }))).toBe('failing');
    expect(hookHealth(hook({ health: h({ last_success_at: '2026-01-01T10:05:00Z', last_error_at: '2026-01-01T10:00:00Z' }) }))).toBe('ok');
    expect(hookHealth(hook({ health: h({ last_success_at: '2026-01-01T10:00:00Z', last_error_at: '2026-01-01T10:05:00Z' }) }))).toBe('failing');
  });
});

describe('the form', () => {
  it('starts a new webhook with the default events, an existing one with its own', () => {
    expect(hookDraft()).toEqual({ url: '', description: '', events: defaultEvents });
    expect(hookDraft().events).not.toBe(defaultEvents);
    expect(hookDraft(hook({ events: ['review.created', 'question.created'] })).events).toEqual(['question.created', 'review.created']);
  });

  it('finds what the server would refuse', () => {
    expect(draftProblems({ url: '', description: '', events: [] })).toEqual({ url: 'empty', events: 'empty' });
    for (const bad of ['hooks.example.com', 'ftp://example.com/x', 'https://example.com/#frag', 'javascript:alert(1)', 'http://']) {
      expect(draftProblems({ url: bad, description: '', events: ['question.created'] }).url, bad).toBe('format');
    }
    expect(draftProblems({ url: ' http://127.0.0.1:8080/hook?x=1 ', description: '', events: ['post.featured'] })).toEqual({ url: '', events: '' });
  });

  it('sends everything for a new webhook and only what changed for an existing one', () => {
    expect(hookBody({ url: ' https://a.example/h ', description: ' Discord ', events: ['question.answered', 'question.created'] })).toEqual({
      url: 'https://a.example/h', description: 'Discord', events: ['question.created', 'question.answered'], enabled: true,
    });
    const w = hook({ events: ['question.created', 'question.answered'], description: 'x' });
    expect(hookBody(hookDraft(w), w)).toBeNull();
    expect(hookBody({ ...hookDraft(w), events: ['question.answered', 'question.created'] }, w)).toBeNull();
    expect(hookBody({ ...hookDraft(w), events: ['question.created'] }, w)).toEqual({ events: ['question.created'] });
    expect(hookBody({ ...hookDraft(w), url: 'https://b.example/', description: '' }, w)).toEqual({ url: 'https://b.example/', description: '' });
  });

  it('a list read again does not undo a newer answer, and follows deletions', () => {
    const mine = [hook({ id: 1, version: 3, enabled: false }), hook({ id: 2, version: 1 })];
    const read = [hook({ id: 1, version: 2, enabled: true }), hook({ id: 3, version: 1 })];
    const merged = mergeHooks(mine, read);
    expect(merged.map((w) => [w.id, w.version, w.enabled])).toEqual([[1, 3, false], [3, 1, true]]);
    expect(mergeHooks(null, read)).toEqual(read);
  });

  it('keeps no secret', () => {
    const w = withoutSecret({ ...hook(), secret: 'whsec_x' });
    expect('secret' in w).toBe(false);
    expect(w.id).toBe(1);
  });

  it('puts a webhook back in its place', () => {
    const list = [hook({ id: 1 }), hook({ id: 2 })];
    expect(putHook(list, hook({ id: 1, url: 'https://new.example/' })).map((w) => w.url)).toEqual(['https://new.example/', 'https://hooks.example.com/koe']);
    expect(putHook(list, hook({ id: 3 })).map((w) => w.id)).toEqual([1, 2, 3]);
  });
});

describe('the delivery log', () => {
  it('pages back with next_before and never shows one twice', () => {
    let log = withFirstPage(emptyLog, page([10, 9, 8], 8));
    expect(ids(log)).toEqual([10, 9, 8]);
    expect(log.next).toBe(8);
    log = withOlderPage(log, page([8, 7, 6], 6));
    expect(ids(log)).toEqual([10, 9, 8, 7, 6]);
    log = withOlderPage(log, page([5], null));
    expect(log.next).toBeNull();
  });

  it('re-reading the newest page replaces what it covers and keeps the older pages and their cursor', () => {
    let log = withFirstPage(emptyLog, page([10, 9, 8], 8, { state: 'pending' }));
    log = withOlderPage(log, page([7, 6], 6));
    // Two new ones arrived; 10 and 9 were delivered meanwhile.
    log = withFirstPage(log, page([12, 11, 10], 10, { state: 'delivered' }));
    expect(ids(log)).toEqual([12, 11, 10, 9, 8, 7, 6]);
    expect(log.items.find((d) => d.id === 10)!.state).toBe('delivered');
    expect(log.next).toBe(6);
  });

  it('a whole newest page replaces everything: a delivery that left the filter goes', () => {
    const log = withFirstPage(withFirstPage(emptyLog, page([3, 2, 1], null, { state: 'failed' })), page([3, 1], null, { state: 'failed' }));
    expect(ids(log)).toEqual([3, 1]);
    expect(log.next).toBeNull();
  });

  it('an empty newest page empties the log', () => {
    expect(withFirstPage(withFirstPage(emptyLog, page([2, 1], 1)), { deliveries: [], next_before: null })).toEqual(emptyLog);
  });

  it('a redelivered one changes in place; a new ping joins at the top unless the filter excludes it', () => {
    const log = withFirstPage(emptyLog, page([5, 4], null, { state: 'failed' }));
    const again = withDelivery(log, delivery(4, { state: 'pending', attempts: 2 }), 'failed');
    expect(ids(again)).toEqual([5, 4]);
    expect(again.items[1].state).toBe('pending');
    expect(ids(withDelivery(log, delivery(6, { type: 'ping', state: 'pending' }), ''))).toEqual([6, 5, 4]);
    expect(ids(withDelivery(log, delivery(6, { type: 'ping', state: 'pending' }), 'failed'))).toEqual([5, 4]);
  });

  it('offers Redeliver on delivered and failed ones only', () => {
    expect(mayRedeliver({ state: 'failed' })).toBe(true);
    expect(mayRedeliver({ state: 'delivered' })).toBe(true);
    expect(mayRedeliver({ state: 'pending' })).toBe(false);
  });
});

describe('formatting', () => {
  it('latency', () => {
    expect(latencyText(0.4)).toBe('0 ms');
    expect(latencyText(38.6)).toBe('39 ms');
    expect(latencyText(1234)).toBe('1.2 s');
    expect(latencyText(15_000)).toBe('15 s');
    expect(latencyText(Number.NaN)).toBe('');
  });
  it('payloads and URLs', () => {
    expect(prettyJSON({ a: 1 })).toBe('{\n  "a": 1\n}');
    expect(prettyJSON('{"a":1}')).toBe('{\n  "a": 1\n}');
    expect(prettyJSON('not json')).toBe('not json');
    expect(shortURL('https://hooks.example.com/')).toBe('hooks.example.com');
    expect(shortURL('http://127.0.0.1:9000/koe?x=1')).toBe('127.0.0.1:9000/koe?x=1');
    expect(shortURL('not a url')).toBe('not a url');
  });
});
