// The moderators' queue of one event (docs/architecture.md "States and
// reviews"): a snapshot of the open and the recently decided reviews plus
// the "moderation" stream after its cursor. Every review carries a version
// and an older one never overwrites a newer one, so stream events, API
// answers and snapshots may arrive in any order.
import type { Api } from '../api';
import type { LiveClient } from '../live';
import type { Review, ReviewCounts, StreamEvent } from '../types';

/** Open reviews wait for a decision: the subject waits (pending) or is visible (flagged). */
export function isOpen(r: Pick<Review, 'state'>): boolean {
  return r.state === 'pending' || r.state === 'flagged';
}

/** The open queue's order: oldest first, as the server lists it. */
export function byOldest(a: Review, b: Review): number {
  return Date.parse(a.created_at) - Date.parse(b.created_at) || a.id - b.id;
}

function decidedAt(r: Review): number {
  return r.decision ? Date.parse(r.decision.at) : 0;
}

/** Decided: newest decision first. */
export function byNewestDecision(a: Review, b: Review): number {
  return decidedAt(b) - decidedAt(a) || b.id - a.id;
}

/**
 * The name of whoever else is reviewing r now: a claim that has not run
 * out and is not the viewer's own (myID: the viewer's account id). Null
 * when nobody else is.
 */
export function claimedBy(r: Pick<Review, 'claim'>, myID: number | null, now: number): string | null {
  const c = r.claim;
  if (!c || Date.parse(c.until) <= now) return null;
  if (myID !== null && c.account_id === myID) return null;
  return c.name || '?';
}

/** Seconds left to undo r's decision; 0 when it can no longer be undone. */
export function undoLeft(r: Pick<Review, 'decision'>, now: number): number {
  if (!r.decision?.undo_until) return 0;
  return Math.max(0, Math.ceil((Date.parse(r.decision.undo_until) - now) / 1000));
}

export type Filter = { talkID: number | null };

export class ReviewQueue {
  /** Bumped on every change. */
  rev = 0;
  /** The counts the server gave with the last snapshot of the open queue. */
  serverCounts: ReviewCounts = { pending: 0, flagged: 0, decided_last_minute: 0 };
  /** Whether the open snapshot held every open review (not cut at its limit). */
  complete = true;
  /** Bumped when a ban is made or lifted (ban.created, ban.removed): the ban list is stale. */
  bansRev = 0;
  private byID = new Map<number, Review>();
  private listeners = new Set<() => void>();

  subscribe(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private changed(): void {
    this.rev++;
    for (const fn of [...this.listeners]) fn();
  }

  /**
   * Takes a snapshot. Reviews held at a newer version than the snapshot's
   * (from the stream or an answer that overtook it) are kept.
   */
  load(reviews: Review[], counts?: ReviewCounts, complete = true): void {
    const old = this.byID;
    this.byID = new Map();
    this.takeAll(reviews, old);
    if (counts) this.serverCounts = counts;
    this.complete = complete;
    this.changed();
  }

  /**
   * Takes a snapshot read while following the stream: merged into what is
   * held (a review the stream brought after the read stays).
   */
  merge(reviews: Review[]): void {
    let did = false;
    for (const r of reviews) did = this.put(r) || did;
    if (did) this.changed();
  }

  private takeAll(reviews: Review[], old: Map<number, Review>): void {
    for (const r of reviews) {
      const cur = old.get(r.id);
      this.byID.set(r.id, cur && cur.version > r.version ? cur : r);
    }
  }

  private put(r: Review): boolean {
    const cur = this.byID.get(r.id);
    if (cur && cur.version >= r.version) return false;
    this.byID.set(r.id, r);
    return true;
  }

  /** Takes a review from this moderator's own request. */
  own(r: Review): void {
    if (this.put(r)) this.changed();
  }

  /** Applies one stream event; returns whether anything changed. */
  apply(ev: StreamEvent, notify = true): boolean {
    if (ev.type === 'ban.created' || ev.type === 'ban.removed') {
      this.bansRev++;
      if (notify) this.changed();
      return true;
    }
    if (ev.type !== 'review.created' && ev.type !== 'review.updated') return false;
    const r = ev.data as Review;
    if (!r || typeof r.id !== 'number' || typeof r.version !== 'number') return false;
    const did = this.put(r);
    if (did && notify) this.changed();
    return did;
  }

  applyAll(events: StreamEvent[]): boolean {
    let did = false;
    for (const ev of events) did = this.apply(ev, false) || did;
    if (did) this.changed();
    return did;
  }

  get(id: number): Review | undefined {
    return this.byID.get(id);
  }

  private pick(f: Filter, keep: (r: Review) => boolean): Review[] {
    const out: Review[] = [];
    for (const r of this.byID.values()) if (keep(r) && (!f.talkID || r.talk_id === f.talkID)) out.push(r);
    return out;
  }

  /** The open queue, oldest first. */
  open(f: Filter = { talkID: null }): Review[] {
    return this.pick(f, isOpen).sort(byOldest);
  }

  /** The decided reviews, newest decision first. */
  decided(f: Filter = { talkID: null }): Review[] {
    return this.pick(f, (r) => !isOpen(r)).sort(byNewestDecision);
  }

  /**
   * The counters: pending and flagged from the reviews held (the server's
   * while the snapshot was cut short), decisions in the last minute from
   * their times.
   */
  counts(now: number, f: Filter = { talkID: null }): ReviewCounts {
    let pending = 0;
    let flagged = 0;
    let decided = 0;
    for (const r of this.byID.values()) {
      if (f.talkID && r.talk_id !== f.talkID) continue;
      if (r.state === 'pending') pending++;
      else if (r.state === 'flagged') flagged++;
      else if (r.decision && now - Date.parse(r.decision.at) < 60_000) decided++;
    }
    if (!this.complete && !f.talkID) {
      pending = Math.max(pending, this.serverCounts.pending);
      flagged = Math.max(flagged, this.serverCounts.flagged);
    }
    return { pending, flagged, decided_last_minute: decided };
  }
}

/** The id after (dir 1) or before (dir -1) current in list; the first when none is current. */
export function step(list: Pick<Review, 'id'>[], current: number | null, dir: 1 | -1): number | null {
  if (list.length === 0) return null;
  const i = current === null ? -1 : list.findIndex((r) => r.id === current);
  if (i < 0) return list[0].id;
  return list[Math.min(list.length - 1, Math.max(0, i + dir))].id;
}

/**
 * After the selected review left the queue (decided), the one to select
 * next: the review that followed it in the list before, else the one that
 * preceded it.
 */
export function successor(before: Pick<Review, 'id'>[], after: Pick<Review, 'id'>[], gone: number): number | null {
  const i = before.findIndex((r) => r.id === gone);
  const left = new Set(after.map((r) => r.id));
  for (let j = i + 1; i >= 0 && j < before.length; j++) if (left.has(before[j].id)) return before[j].id;
  for (let j = i - 1; j >= 0; j--) if (left.has(before[j].id)) return before[j].id;
  return after[0]?.id ?? null;
}

// Keyboard.

export type KeyAction = 'next' | 'prev' | 'approve' | 'reject' | 'edit' | 'ban' | 'undo' | 'help' | 'close';

const keys: Record<string, KeyAction> = {
  j: 'next', ArrowDown: 'next', k: 'prev', ArrowUp: 'prev',
  a: 'approve', r: 'reject', e: 'edit', b: 'ban', u: 'undo', '?': 'help', Escape: 'close',
};

/** The shortcuts, for the help overlay: the key shown and what it does. */
export const shortcutList: [string, KeyAction][] = [
  ['J', 'next'], ['K', 'prev'], ['A', 'approve'], ['R', 'reject'], ['E', 'edit'], ['B', 'ban'], ['U', 'undo'], ['?', 'help'], ['Esc', 'close'],
];

const textTypes = new Set(['', 'text', 'search', 'email', 'url', 'tel', 'password', 'number', 'date', 'datetime-local', 'time', 'month', 'week']);

/** Whether keys typed at target are text (an input, a text area, a select): no shortcuts there. */
export function typingIn(target: { tagName?: string; type?: string; isContentEditable?: boolean } | null): boolean {
  if (!target || !target.tagName) return false;
  if (target.isContentEditable) return true;
  const tag = target.tagName.toUpperCase();
  if (tag === 'TEXTAREA' || tag === 'SELECT') return true;
  return tag === 'INPUT' && textTypes.has((target.type ?? '').toLowerCase());
}

/**
 * The console's action for a key press, or null: none with Ctrl, Meta or
 * Alt held (the browser's own shortcuts), none while typing in a field.
 */
export function keyAction(
  e: { key: string; ctrlKey?: boolean; metaKey?: boolean; altKey?: boolean },
  target: Parameters<typeof typingIn>[0],
): KeyAction | null {
  if (e.ctrlKey || e.metaKey || e.altKey) return null;
  if (typingIn(target)) return null;
  return keys[e.key] ?? null;
}

type ReviewApi = Pick<Api, 'reviews'>;

/** Most reviews a snapshot reads of each list. */
const limit = 200;

/** Loads the queue: the open reviews and the latest decided, the cursor of the first read. */
export async function loadReviews(api: ReviewApi, eventID: number) {
  const open = await api.reviews(eventID, { state: 'open', limit });
  const decided = await api.reviews(eventID, { state: 'decided', limit: 100 });
  return {
    reviews: [...open.reviews, ...decided.reviews],
    counts: open.counts,
    complete: open.reviews.length < limit,
    cursor: open.stream.cursor,
  };
}

/** Keeps a ReviewQueue current through the event's "moderation" topic. */
export class ReviewSession {
  readonly queue = new ReviewQueue();
  private unsubscribe: (() => void) | null = null;
  private stopped = false;
  private reloading: Promise<void> | null = null;

  constructor(
    private api: ReviewApi,
    private live: Pick<LiveClient, 'subscribe' | 'resubscribe'>,
    readonly eventID: number,
  ) {}

  async start(): Promise<void> {
    const snap = await loadReviews(this.api, this.eventID);
    if (this.stopped) return;
    this.queue.load(snap.reviews, snap.counts, snap.complete);
    this.unsubscribe = this.live.subscribe('moderation', snap.cursor, {
      events: (evs) => this.queue.applyAll(evs),
      reset: () => void this.reload(),
    });
  }

  /** A fresh snapshot, then follow from its cursor (after a reset, or to catch up). */
  reload(): Promise<void> {
    if (!this.reloading) this.reloading = this.reloadOnce().finally(() => (this.reloading = null));
    return this.reloading;
  }

  private async reloadOnce(): Promise<void> {
    for (let attempt = 0; !this.stopped; attempt++) {
      try {
        const snap = await loadReviews(this.api, this.eventID);
        if (this.stopped) return;
        this.queue.load(snap.reviews, snap.counts, snap.complete);
        this.live.resubscribe('moderation', snap.cursor);
        return;
      } catch {
        await new Promise((r) => setTimeout(r, Math.min(10_000, 1000 * 2 ** attempt)));
      }
    }
  }

  /** Reads the lists again and merges them in, while the stream goes on (after a 409). */
  async refresh(): Promise<void> {
    const snap = await loadReviews(this.api, this.eventID);
    if (!this.stopped) this.queue.merge(snap.reviews);
  }

  stop(): void {
    this.stopped = true;
    this.unsubscribe?.();
  }
}
