import { describe, expect, it } from 'vitest';
import { backoff, LiveClient, parseCursor, type SocketLike } from './live';
import type { StreamEvent } from './types';

class FakeSocket implements SocketLike {
  readyState = 0;
  sent: Record<string, unknown>[] = [];
  onopen: ((ev: unknown) => void) | null = null;
  onclose: ((ev: unknown) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  closed = false;
  send(d: string) {
    this.sent.push(JSON.parse(d));
  }
  close() {
    this.closed = true;
    this.readyState = 3;
  }
  open() {
    this.readyState = 1;
    this.onopen?.({});
  }
  drop() {
    this.readyState = 3;
    this.onclose?.({});
  }
  recv(m: object) {
    this.onmessage?.({ data: JSON.stringify(m) });
  }
}

function harness() {
  const sockets: FakeSocket[] = [];
  const timers: { fn: () => void; ms: number }[] = [];
  const listeners: Record<string, () => void> = {};
  const client = new LiveClient('ws://x/live', {
    socket: () => {
      const s = new FakeSocket();
      sockets.push(s);
      return s;
    },
    setTimeout: (fn, ms) => timers.push({ fn, ms }),
    clearTimeout: () => {},
    random: () => 0.5,
    win: {
      addEventListener: (t: string, fn: () => void) => (listeners[t] = fn),
      removeEventListener: () => {},
    } as never,
  });
  const got: StreamEvent[] = [];
  const resets: string[] = [];
  return { client, sockets, timers, listeners, got, resets };
}

const e = (seq: number, type = 'question.created'): StreamEvent => ({ seq, type, time: '', data: { id: seq } });

describe('live client', () => {
  it('subscribes from the snapshot cursor once connected', () => {
    const h = harness();
    h.client.subscribe('talk:1', 'ep-5', { events: (x) => h.got.push(...x), reset: (r) => h.resets.push(r) });
    h.client.start();
    expect(h.client.status).toBe('connecting');
    h.sockets[0].open();
    expect(h.client.status).toBe('live');
    expect(h.sockets[0].sent).toEqual([{ type: 'subscribe', topic: 'talk:1', cursor: 'ep-5' }]);
  });

  it('delivers events in order, drops duplicates and advances the cursor', () => {
    const h = harness();
    h.client.subscribe('talk:1', 'ep-5', { events: (x) => h.got.push(...x), reset: (r) => h.resets.push(r) });
    h.client.start();
    h.sockets[0].open();
    h.sockets[0].recv({ type: 'subscribed', topic: 'talk:1', cursor: 'ep-5' });
    h.sockets[0].recv({ type: 'events', topic: 'talk:1', epoch: 'ep', events: [e(4), e(5), e(6), e(7)] });
    h.sockets[0].recv({ type: 'events', topic: 'talk:1', epoch: 'ep', events: [e(7), e(8)] });
    expect(h.got.map((x) => x.seq)).toEqual([6, 7, 8]);
    expect(h.client.cursor('talk:1')).toBe('ep-8');
  });

  it('delivers ephemeral events (no seq) without moving the cursor or seeing a gap', () => {
    const h = harness();
    h.client.subscribe('talk:1', 'ep-5', { events: (x) => h.got.push(...x), reset: (r) => h.resets.push(r) });
    h.client.start();
    h.sockets[0].open();
    const presence: StreamEvent = { type: 'presence', time: '', data: { connections: 3 } };
    h.sockets[0].recv({ type: 'events', topic: 'talk:1', epoch: 'ep', events: [e(6), presence, e(7)] });
    h.sockets[0].recv({ type: 'events', topic: 'talk:1', epoch: 'ep', events: [presence] });
    expect(h.got.map((x) => x.type)).toEqual(['question.created', 'presence', 'question.created', 'presence']);
    expect(h.resets).toEqual([]);
    expect(h.client.cursor('talk:1')).toBe('ep-7');
  });

  it('resumes after a drop from the last cursor, without loss or duplicates', () => {
    const h = harness();
    h.client.subscribe('talk:1', 'ep-0', { events: (x) => h.got.push(...x), reset: (r) => h.resets.push(r) });
    h.client.start();
    h.sockets[0].open();
    h.sockets[0].recv({ type: 'events', topic: 'talk:1', epoch: 'ep', events: [e(1), e(2)] });
    h.sockets[0].drop();
    expect(h.client.status).toBe('reconnecting');
    expect(h.timers).toHaveLength(1);
    expect(h.timers[0].ms).toBe(500);
    h.timers[0].fn();
    h.sockets[1].open();
    expect(h.sockets[1].sent).toEqual([{ type: 'subscribe', topic: 'talk:1', cursor: 'ep-2' }]);
    // The server replays what was missed; an overlap is harmless.
    h.sockets[1].recv({ type: 'events', topic: 'talk:1', epoch: 'ep', events: [e(2), e(3), e(4)] });
    expect(h.got.map((x) => x.seq)).toEqual([1, 2, 3, 4]);
    expect(h.client.status).toBe('live');
  });

  it('backs off exponentially up to 10 s and starts over after success', () => {
    expect([0, 1, 2, 3, 4, 5, 9].map((n) => backoff(n, () => 0.5))).toEqual([500, 1000, 2000, 4000, 8000, 10000, 10000]);
    expect(backoff(0, () => 0)).toBe(400);
    expect(backoff(0, () => 1)).toBe(600);
    const h = harness();
    h.client.start();
    h.sockets[0].drop();
    h.timers[0].fn();
    h.sockets[1].drop();
    expect(h.timers[1].ms).toBe(1000);
    h.timers[1].fn();
    h.sockets[2].open();
    h.sockets[2].drop();
    expect(h.timers[2].ms).toBe(500);
  });

  it('on reset stops following until resubscribed from a new snapshot', () => {
    const h = harness();
    h.client.subscribe('talk:1', 'old-9', { events: (x) => h.got.push(...x), reset: (r) => h.resets.push(r) });
    h.client.start();
    h.sockets[0].open();
    h.sockets[0].recv({ type: 'reset', topic: 'talk:1', reason: 'unknown_epoch' });
    expect(h.resets).toEqual(['unknown_epoch']);
    // Nothing is applied between the reset and the resubscribe.
    h.sockets[0].recv({ type: 'events', topic: 'talk:1', epoch: 'new', events: [e(1)] });
    expect(h.got).toEqual([]);
    h.client.resubscribe('talk:1', 'new-3');
    expect(h.sockets[0].sent.at(-1)).toEqual({ type: 'subscribe', topic: 'talk:1', cursor: 'new-3' });
    h.sockets[0].recv({ type: 'events', topic: 'talk:1', epoch: 'new', events: [e(4)] });
    expect(h.got.map((x) => x.seq)).toEqual([4]);
  });

  it('treats a gap or a foreign epoch as a reset', () => {
    const h = harness();
    h.client.subscribe('talk:1', 'ep-1', { events: (x) => h.got.push(...x), reset: (r) => h.resets.push(r) });
    h.client.subscribe('event', 'ep2-1', { events: () => {}, reset: (r) => h.resets.push('event:' + r) });
    h.client.start();
    h.sockets[0].open();
    h.sockets[0].recv({ type: 'events', topic: 'talk:1', epoch: 'ep', events: [e(2), e(4)] });
    expect(h.got.map((x) => x.seq)).toEqual([2]);
    expect(h.resets).toEqual(['gap']);
    expect(h.sockets[0].sent.at(-1)).toEqual({ type: 'unsubscribe', topic: 'talk:1' });
    h.sockets[0].recv({ type: 'events', topic: 'event', epoch: 'other', events: [e(2)] });
    expect(h.resets).toEqual(['gap', 'event:unknown_epoch']);
  });

  it('while reset, a reconnect does not resubscribe with a stale cursor', () => {
    const h = harness();
    h.client.subscribe('talk:1', 'ep-1', { events: () => {}, reset: (r) => h.resets.push(r) });
    h.client.start();
    h.sockets[0].open();
    h.sockets[0].recv({ type: 'reset', topic: 'talk:1', reason: 'too_far_behind' });
    h.sockets[0].drop();
    h.timers[0].fn();
    h.sockets[1].open();
    expect(h.sockets[1].sent).toEqual([]);
    h.client.resubscribe('talk:1', 'ep-50');
    expect(h.sockets[1].sent).toEqual([{ type: 'subscribe', topic: 'talk:1', cursor: 'ep-50' }]);
  });

  it('gives up a socket when the browser goes offline and reconnects when online', () => {
    const h = harness();
    h.client.subscribe('talk:1', 'ep-1', { events: () => {}, reset: () => {} });
    h.client.start();
    h.sockets[0].open();
    h.listeners.offline();
    expect(h.client.status).toBe('reconnecting');
    expect(h.sockets[0].closed).toBe(true);
    h.listeners.online();
    expect(h.sockets).toHaveLength(2);
    h.sockets[1].open();
    expect(h.sockets[1].sent).toEqual([{ type: 'subscribe', topic: 'talk:1', cursor: 'ep-1' }]);
  });

  it('unsubscribes and stops cleanly', () => {
    const h = harness();
    const off = h.client.subscribe('talk:1', 'ep-1', { events: () => {}, reset: () => {} });
    h.client.start();
    h.sockets[0].open();
    off();
    expect(h.sockets[0].sent.at(-1)).toEqual({ type: 'unsubscribe', topic: 'talk:1' });
    h.client.stop();
    expect(h.sockets[0].closed).toBe(true);
    expect(h.timers).toHaveLength(0);
  });

  it('parses cursors', () => {
    expect(parseCursor('k3f9a-120')).toEqual({ epoch: 'k3f9a', seq: 120 });
    expect(parseCursor('nodash')).toBeNull();
    expect(parseCursor('-1')).toBeNull();
  });

  it('builds the WebSocket URL from the page origin', () => {
    expect(LiveClient.urlFor(3, { protocol: 'https:', host: 'koe.example' })).toBe('wss://koe.example/api/v1/events/3/live');
    expect(LiveClient.urlFor(3, { protocol: 'http:', host: '127.0.0.1:8080' })).toBe('ws://127.0.0.1:8080/api/v1/events/3/live');
  });
});
