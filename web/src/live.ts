// The real-time connection (docs/architecture.md): one WebSocket per page,
// several topics on it, each followed from a cursor. On a drop the client
// reconnects with backoff and resubscribes from the last cursor it saw, so
// nothing is missed and nothing is applied twice; on "reset" the page
// reloads its snapshot and subscribes again from the snapshot's cursor.
import type { StreamEvent } from './types';
import { getViewerKey } from './api';

export type Status = 'connecting' | 'live' | 'reconnecting';

export interface Handlers {
  /** Consecutive new events, in order, each delivered once. */
  events(events: StreamEvent[]): void;
  /**
   * The subscription is over (server restarted, client too far behind, or
   * a gap was seen): reload the snapshot and call resubscribe() with its
   * cursor.
   */
  reset(reason: string): void;
  /** An error the server sent about this topic (e.g. not_found). */
  error?(code: string, message: string): void;
}

interface Sub {
  topic: string;
  cursor: string | null;
  /** False between a reset and the resubscribe that follows it. */
  active: boolean;
  h: Handlers;
}

/** The parts of WebSocket this client uses, so tests can fake it. */
export interface SocketLike {
  readyState: number;
  onopen: ((ev: unknown) => void) | null;
  onclose: ((ev: unknown) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

export interface Options {
  socket?: (url: string) => SocketLike;
  setTimeout?: (fn: () => void, ms: number) => unknown;
  clearTimeout?: (t: unknown) => void;
  random?: () => number;
  /** Window-like target for online/offline/visibility events; null for none. */
  win?: Pick<Window, 'addEventListener' | 'removeEventListener'> | null;
}

const OPEN = 1;

export function parseCursor(c: string): { epoch: string; seq: number } | null {
  const i = c.lastIndexOf('-');
  if (i <= 0) return null;
  const seq = Number(c.slice(i + 1));
  return Number.isSafeInteger(seq) && seq >= 0 ? { epoch: c.slice(0, i), seq } : null;
}

/** Backoff before reconnect attempt n (0-based): 0.5 s doubling to 10 s, ±20 %. */
export function backoff(n: number, random: () => number): number {
  const base = Math.min(10_000, 500 * 2 ** n);
  return Math.round(base * (0.8 + 0.4 * random()));
}

export class LiveClient {
  status: Status = 'connecting';
  private subs = new Map<string, Sub>();
  private ws: SocketLike | null = null;
  private attempts = 0;
  private timer: unknown = null;
  private stopped = true;
  private statusListeners = new Set<(s: Status) => void>();
  private o: Required<Omit<Options, 'win'>> & { win: Options['win'] };

  constructor(private url: string, opts: Options = {}) {
    this.o = {
      socket: opts.socket ?? ((u) => new WebSocket(u) as unknown as SocketLike),
      setTimeout: opts.setTimeout ?? ((fn, ms) => globalThis.setTimeout(fn, ms)),
      clearTimeout: opts.clearTimeout ?? ((t) => globalThis.clearTimeout(t as number)),
      random: opts.random ?? Math.random,
      win: opts.win === undefined ? (typeof window === 'undefined' ? null : window) : opts.win,
    };
  }

  /**
   * The URL of an event's WebSocket on this page's origin; key, a screen
   * link's secret, goes in the query (a WebSocket handshake carries no
   * Authorization header).
   */
  static urlFor(eventID: number, loc: Pick<Location, 'protocol' | 'host'> = location, key = getViewerKey()): string {
    const url = `${loc.protocol === 'https:' ? 'wss' : 'ws'}://${loc.host}/api/v1/events/${eventID}/live`;
    return key ? `${url}?key=${encodeURIComponent(key)}` : url;
  }

  onStatus(fn: (s: Status) => void): () => void {
    this.statusListeners.add(fn);
    return () => this.statusListeners.delete(fn);
  }

  private setStatus(s: Status): void {
    if (this.status === s) return;
    this.status = s;
    for (const fn of [...this.statusListeners]) fn(s);
  }

  /** Follows topic from cursor (from a snapshot's stream.cursor). */
  subscribe(topic: string, cursor: string | null, h: Handlers): () => void {
    const sub: Sub = { topic, cursor, active: true, h };
    this.subs.set(topic, sub);
    this.sendSubscribe(sub);
    return () => {
      if (this.subs.get(topic) !== sub) return;
      this.subs.delete(topic);
      this.send({ type: 'unsubscribe', topic });
    };
  }

  /** Follows topic again after a reset, from a new snapshot's cursor. */
  resubscribe(topic: string, cursor: string | null): void {
    const sub = this.subs.get(topic);
    if (!sub) return;
    sub.cursor = cursor;
    sub.active = true;
    this.sendSubscribe(sub);
  }

  cursor(topic: string): string | null {
    return this.subs.get(topic)?.cursor ?? null;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.o.win?.addEventListener('online', this.onOnline);
    this.o.win?.addEventListener('offline', this.onOffline);
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    this.o.win?.removeEventListener('online', this.onOnline);
    this.o.win?.removeEventListener('offline', this.onOffline);
    if (this.timer !== null) this.o.clearTimeout(this.timer);
    this.timer = null;
    this.abandon();
  }

  /** Drops the connection and reconnects as after a network failure. */
  drop(): void {
    this.ws?.close(4000, 'client drop');
  }

  private onOnline = (): void => {
    // The network is back: do not wait for the backoff.
    if (this.stopped || (this.ws && this.ws.readyState === OPEN)) return;
    this.abandon();
    if (this.timer !== null) this.o.clearTimeout(this.timer);
    this.timer = null;
    this.attempts = 0;
    this.connect();
  };

  private onOffline = (): void => {
    // A socket can linger for minutes without noticing the network is
    // gone; give it up now and say so.
    if (this.stopped) return;
    this.abandon();
    this.setStatus('reconnecting');
    this.scheduleReconnect();
  };

  /** Forgets the current socket without waiting for its close handshake. */
  private abandon(): void {
    const ws = this.ws;
    this.ws = null;
    if (!ws) return;
    ws.onclose = ws.onmessage = ws.onerror = ws.onopen = null;
    try {
      ws.close(4001, 'offline');
    } catch {
      // already closed
    }
  }

  private connect(): void {
    this.timer = null;
    if (this.stopped) return;
    if (this.status !== 'connecting') this.setStatus('reconnecting');
    let ws: SocketLike;
    try {
      ws = this.o.socket(this.url);
    } catch {
      this.scheduleReconnect();
      return;
    }
    this.ws = ws;
    ws.onopen = () => {
      if (this.ws !== ws) return;
      this.attempts = 0;
      this.setStatus('live');
      for (const sub of this.subs.values()) this.sendSubscribe(sub);
    };
    ws.onmessage = (ev) => {
      if (this.ws !== ws || typeof ev.data !== 'string') return;
      let msg: ServerMessage;
      try {
        msg = JSON.parse(ev.data) as ServerMessage;
      } catch {
        return;
      }
      this.handle(msg);
    };
    ws.onerror = () => {};
    ws.onclose = () => {
      if (this.ws !== ws) return;
      this.ws = null;
      if (this.stopped) return;
      this.setStatus('reconnecting');
      this.scheduleReconnect();
    };
  }

  private scheduleReconnect(): void {
    if (this.stopped || this.timer !== null) return;
    const delay = backoff(this.attempts++, this.o.random);
    this.timer = this.o.setTimeout(() => this.connect(), delay);
  }

  private send(m: object): void {
    if (this.ws && this.ws.readyState === OPEN) this.ws.send(JSON.stringify(m));
  }

  private sendSubscribe(sub: Sub): void {
    if (!sub.active) return;
    const m: { type: string; topic: string; cursor?: string } = { type: 'subscribe', topic: sub.topic };
    if (sub.cursor) m.cursor = sub.cursor;
    this.send(m);
  }

  private handle(m: ServerMessage): void {
    const sub = m.topic ? this.subs.get(m.topic) : undefined;
    switch (m.type) {
      case 'subscribed':
        if (sub && sub.active && m.cursor) sub.cursor = m.cursor;
        break;
      case 'events':
        if (sub && sub.active && m.events) this.deliver(sub, m.epoch ?? '', m.events);
        break;
      case 'reset':
        if (sub) this.resetSub(sub, m.reason ?? 'reset');
        break;
      case 'error':
        // Errors are not tied to a topic on the wire; tell every handler.
        for (const s of this.subs.values()) s.h.error?.(m.error?.code ?? 'error', m.error?.message ?? '');
        break;
    }
  }

  private resetSub(sub: Sub, reason: string): void {
    sub.active = false;
    sub.cursor = null;
    // Stop the server's side too (a gap found by the client).
    if (reason === 'gap') this.send({ type: 'unsubscribe', topic: sub.topic });
    sub.h.reset(reason);
  }

  private deliver(sub: Sub, epoch: string, events: StreamEvent[]): void {
    const cur = sub.cursor ? parseCursor(sub.cursor) : null;
    if (cur && cur.epoch !== epoch) {
      this.resetSub(sub, 'unknown_epoch');
      return;
    }
    let last = cur ? cur.seq : -1;
    const fresh: StreamEvent[] = [];
    for (const ev of events) {
      if (ev.seq === undefined) {
        fresh.push(ev); // ephemeral: no place in the sequence
        continue;
      }
      if (last >= 0 && ev.seq <= last) continue; // seen already
      if (last >= 0 && ev.seq !== last + 1) {
        if (fresh.length) sub.h.events(fresh);
        sub.cursor = `${epoch}-${last}`;
        this.resetSub(sub, 'gap');
        return;
      }
      fresh.push(ev);
      last = ev.seq;
    }
    if (last >= 0) sub.cursor = `${epoch}-${last}`;
    if (fresh.length) sub.h.events(fresh);
  }
}

interface ServerMessage {
  type: 'subscribed' | 'events' | 'reset' | 'error';
  topic?: string;
  cursor?: string;
  epoch?: string;
  reason?: string;
  events?: StreamEvent[];
  error?: { code: string; message: string };
}
