// The social feed of an event (docs/architecture.md "Social feed"): the
// posts its sources brought in, kept current by the "feed" topic, and the
// one post the event features on its screen. Every post carries a version
// and an older one never overwrites a newer one, so stream events, API
// answers and snapshots may arrive in any order.
import type { Api } from '../api';
import { parseCursor, type LiveClient } from '../live';
import { typingIn } from './reviews';
import type { EngageAction, ItemStatus, ModerationMode, Post, Source, SourceInput, SourceKind, StreamEvent } from '../types';

/** The feed's tabs: approved shows what may go on the screen; hidden what operators took off it. */
export type FeedFilter = 'approved' | 'pending' | 'rejected' | 'hidden';

export const feedFilters: FeedFilter[] = ['approved', 'pending', 'rejected', 'hidden'];

/** Whether p belongs in tab f. A hidden post is only in "hidden". */
export function inFilter(p: Pick<Post, 'status' | 'hidden'>, f: FeedFilter): boolean {
  if (f === 'hidden') return p.hidden;
  return !p.hidden && (p.status ?? 'approved') === f;
}

/** Whether p may be featured: approved and visible (koe.Post.Public). */
export function isPublic(p: Pick<Post, 'status' | 'hidden'>): boolean {
  return (p.status ?? 'approved') === 'approved' && !p.hidden;
}

/** Newest first: ids grow in the order koe took posts in, which is the order they arrived. */
export function byNewest(a: Pick<Post, 'id'>, b: Pick<Post, 'id'>): number {
  return b.id - a.id;
}

const platformNames: Record<SourceKind, string> = { mastodon: 'Mastodon', bluesky: 'Bluesky', x: 'X', webhook: 'Webhook' };

/** A platform's own name (the same in every language). */
export function platformName(k: SourceKind | string): string {
  return platformNames[k as SourceKind] ?? k;
}

/** What an operator can do back on p's platform (with the source's credential). */
export function engageActions(platform: SourceKind): EngageAction[] {
  switch (platform) {
    case 'mastodon':
      return ['favourite', 'boost'];
    case 'bluesky':
      return ['like', 'repost'];
  }
  return [];
}

/** Up to two letters for an avatar drawn from the name (never the platform's picture: no third-party requests). */
export function initials(name: string, handle: string): string {
  const words = (name || handle.replace(/^@/, '').split('@')[0]).trim().split(/[\s._-]+/).filter(Boolean);
  if (words.length === 0) return '?';
  const latin = (c: string) => /[\p{Script=Latin}\p{N}]/u.test(c);
  const a = [...words[0]];
  // Scripts without capitals or spaces (日本語) read well from their first character alone.
  if (!latin(a[0])) return a[0];
  const b = words.length > 1 ? [...words[1]][0] : '';
  return (b && latin(b) ? a[0] + b : a.slice(0, 2).join('')).toUpperCase();
}

/** "@alice@example.social" style: the handle with one leading @. */
export function atHandle(handle: string): string {
  return handle ? `@${handle.replace(/^@/, '')}` : '';
}

export class PostFeed {
  /** Bumped on every change. */
  rev = 0;
  private byID = new Map<number, Post>();
  private listeners = new Set<() => void>();

  subscribe(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private changed(): void {
    this.rev++;
    for (const fn of [...this.listeners]) fn();
  }

  private put(p: Post): boolean {
    if (!p || typeof p.id !== 'number' || typeof p.version !== 'number') return false;
    const cur = this.byID.get(p.id);
    if (cur && cur.version >= p.version) return false;
    this.byID.set(p.id, p);
    return true;
  }

  /**
   * Takes a snapshot or a page, merged into what is held: posts are never
   * deleted, and one held at a newer version (from the stream or an answer
   * that overtook the read) stays.
   */
  load(posts: Post[]): void {
    for (const p of posts) this.put(p);
    this.changed();
  }

  /** Takes a post from this operator's own request. */
  own(p: Post): void {
    if (this.put(p)) this.changed();
  }

  /** Applies stream events (post.created, post.updated); returns whether anything changed. */
  applyAll(events: StreamEvent[]): boolean {
    let did = false;
    for (const ev of events) {
      if (ev.type === 'post.created' || ev.type === 'post.updated') did = this.put(ev.data as Post) || did;
    }
    if (did) this.changed();
    return did;
  }

  get(id: number): Post | undefined {
    return this.byID.get(id);
  }

  get size(): number {
    return this.byID.size;
  }

  /**
   * The featured post: of those held as featured, the one featured last
   * (featuring one unfeatures the other, but the two updates may reach
   * this page in either order). Null for none.
   */
  featured(): Post | null {
    let best: Post | null = null;
    for (const p of this.byID.values()) {
      if (!p.featured_at || !isPublic(p)) continue;
      if (!best || Date.parse(p.featured_at) > Date.parse(best.featured_at!) || (p.featured_at === best.featured_at && p.id > best.id)) best = p;
    }
    return best;
  }

  /** The posts of tab f, newest first; in "approved" the featured one is pinned on top. */
  list(f: FeedFilter): Post[] {
    const out: Post[] = [];
    for (const p of this.byID.values()) if (inFilter(p, f)) out.push(p);
    out.sort(byNewest);
    if (f !== 'approved') return out;
    const pin = this.featured();
    if (!pin) return out;
    return [pin, ...out.filter((p) => p.id !== pin.id)];
  }

  /** How many posts each tab holds. */
  counts(): Record<FeedFilter, number> {
    const n: Record<FeedFilter, number> = { approved: 0, pending: 0, rejected: 0, hidden: 0 };
    for (const p of this.byID.values()) for (const f of feedFilters) if (inFilter(p, f)) n[f]++;
    return n;
  }

  /** The oldest id held of tab f (for reading the page before it); 0 for none. */
  oldest(f: FeedFilter): number {
    let min = 0;
    for (const p of this.byID.values()) if (inFilter(p, f) && (min === 0 || p.id < min)) min = p.id;
    return min;
  }
}

/**
 * What the page shows of a list while the operator reads further down:
 * the posts up to anchor (the newest id when they scrolled away), so new
 * ones do not push what they read; and how many newer ones wait. A null
 * anchor shows everything. A pinned (featured) post always shows.
 */
export function freeze(list: Post[], anchor: number | null, pinned: number | null = null): { shown: Post[]; waiting: number } {
  if (anchor === null) return { shown: list, waiting: 0 };
  const shown: Post[] = [];
  let waiting = 0;
  for (const p of list) {
    if (p.id <= anchor || p.id === pinned) shown.push(p);
    else waiting++;
  }
  return { shown, waiting };
}

/** The newest id in list, skipping the pinned post (0 for none). */
export function newestID(list: Pick<Post, 'id'>[], pinned: number | null = null): number {
  let max = 0;
  for (const p of list) if (p.id !== pinned && p.id > max) max = p.id;
  return max;
}

type FeedApi = Pick<Api, 'posts'>;

const statuses: ItemStatus[] = ['approved', 'pending', 'rejected'];

/** Most posts a snapshot reads of each status (the API's limit). */
export const pageSize = 100;

/** The earliest of cursors (the reads ran side by side): following from it misses nothing. */
export function earliest(cursors: (string | null | undefined)[]): string | null {
  let best: string | null = null;
  let seq = Infinity;
  for (const c of cursors) {
    const at = c ? parseCursor(c) : null;
    if (at && at.seq < seq) {
      best = c!;
      seq = at.seq;
    }
  }
  return best;
}

/** Reads the newest posts of every status, and where the "feed" topic stood. */
export async function loadPosts(api: FeedApi, eventID: number): Promise<{ posts: Post[]; cursor: string | null }> {
  const lists = await Promise.all(statuses.map((status) => api.posts(eventID, { status, limit: pageSize })));
  return { posts: lists.flatMap((l) => l.posts ?? []), cursor: earliest(lists.map((l) => l.stream?.cursor)) };
}

/** Keeps a PostFeed current through the event's "feed" topic, from the snapshot's cursor. */
export class FeedSession {
  readonly feed = new PostFeed();
  private unsubscribe: (() => void) | null = null;
  private stopped = false;
  private reloading: Promise<void> | null = null;

  constructor(
    private api: FeedApi,
    private live: Pick<LiveClient, 'subscribe' | 'resubscribe'>,
    readonly eventID: number,
  ) {}

  async start(): Promise<void> {
    const snap = await loadPosts(this.api, this.eventID);
    if (this.stopped) return;
    this.feed.load(snap.posts);
    this.unsubscribe = this.live.subscribe('feed', snap.cursor, {
      events: (evs) => this.feed.applyAll(evs),
      reset: () => void this.reload(),
    });
  }

  /** A fresh snapshot, then follow from its cursor (after a reset). */
  reload(): Promise<void> {
    if (!this.reloading) this.reloading = this.reloadOnce().finally(() => (this.reloading = null));
    return this.reloading;
  }

  private async reloadOnce(): Promise<void> {
    for (let attempt = 0; !this.stopped; attempt++) {
      try {
        const snap = await loadPosts(this.api, this.eventID);
        if (this.stopped) return;
        this.feed.load(snap.posts);
        this.live.resubscribe('feed', snap.cursor);
        return;
      } catch {
        await new Promise((r) => setTimeout(r, Math.min(10_000, 1000 * 2 ** attempt)));
      }
    }
  }

  /** Reads the page of tab f older than what is held; returns whether there was any. */
  async older(f: FeedFilter): Promise<boolean> {
    const before = this.feed.oldest(f);
    if (!before) return false;
    const status: ItemStatus = f === 'hidden' ? 'approved' : f;
    const page = await this.api.posts(this.eventID, { status, before, limit: pageSize });
    this.feed.load(page.posts ?? []);
    return (page.posts ?? []).length > 0;
  }

  stop(): void {
    this.stopped = true;
    this.unsubscribe?.();
  }
}

/**
 * The screen's featured post: the snapshot (GET featured) and the
 * post.featured events of the "event" topic. A snapshot read while an
 * event arrived is older than that event and is dropped.
 */
export class FeaturedPost {
  post: Post | null = null;
  private events = 0;
  private listeners = new Set<() => void>();

  subscribe(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private set(p: Post | null): void {
    const same = this.post?.id === p?.id && this.post?.version === p?.version;
    this.post = p;
    if (!same) for (const fn of [...this.listeners]) fn();
  }

  /** Applies the post.featured events among events. */
  applyAll(events: StreamEvent[]): void {
    for (const ev of events) {
      if (ev.type !== 'post.featured') continue;
      this.events++;
      const p = (ev.data as { post?: Post | null } | null)?.post ?? null;
      this.set(p && typeof p.id === 'number' ? p : null);
    }
  }

  /** Reads the snapshot with read, unless an event overtakes it. */
  async refresh(read: () => Promise<{ post: Post | null }>): Promise<void> {
    const seen = this.events;
    const res = await read();
    if (this.events === seen) this.set(res.post ?? null);
  }
}

export type FeedKey = 'next' | 'prev' | 'feature' | 'hide';

const feedKeys: Record<string, FeedKey> = { j: 'next', ArrowDown: 'next', k: 'prev', ArrowUp: 'prev', f: 'feature', h: 'hide' };

/**
 * The feed's action for a key press, or null: none with Ctrl, Meta or
 * Alt held, none while typing in a field. The arrows move between posts
 * only from a post (elsewhere they scroll the page, or move between tabs).
 */
export function feedKey(
  e: { key: string; ctrlKey?: boolean; metaKey?: boolean; altKey?: boolean },
  target: (Parameters<typeof typingIn>[0] & { closest?: (sel: string) => unknown }) | null,
): FeedKey | null {
  if (e.ctrlKey || e.metaKey || e.altKey || typingIn(target)) return null;
  const k = feedKeys[e.key] ?? null;
  if ((e.key === 'ArrowDown' || e.key === 'ArrowUp') && !target?.closest?.('[data-testid="post"]')) return null;
  return k;
}

/** Splits "#pyconjp, python  go" into terms: commas, spaces or new lines between them. */
export function splitTerms(s: string, hashtags = false): string[] {
  const out: string[] = [];
  for (let term of s.split(hashtags ? /[\s,、，]+/ : /[\n,、，]+/)) {
    term = term.trim();
    if (hashtags) term = term.replace(/^[#＃]/, '');
    if (term && !out.includes(term)) out.push(term);
  }
  return out;
}

// The Sources page's form.

/** The form's fields, as text (terms comma-separated). */
export interface Draft {
  kind: SourceKind;
  name: string;
  moderation: '' | ModerationMode;
  instance: string;
  jetstream: string;
  hashtags: string;
  keywords: string;
  handle: string;
  secret: string;
  clearSecret: boolean;
}

export function draftOf(s?: Source): Draft {
  return {
    kind: s?.kind ?? 'mastodon',
    name: s?.name ?? '',
    moderation: s?.moderation ?? '',
    instance: s?.config.instance ?? '',
    jetstream: s?.config.jetstream ?? '',
    hashtags: (s?.config.hashtags ?? []).map((h) => `#${h}`).join(' '),
    keywords: (s?.config.keywords ?? []).join(', '),
    handle: s?.config.handle ?? '',
    secret: '',
    clearSecret: false,
  };
}

/** The request body of a draft: only the fields its kind has. */
export function sourceBody(d: Draft, creating: boolean): SourceInput {
  const config: NonNullable<SourceInput['config']> = { hashtags: [], keywords: [] };
  if (d.kind === 'mastodon') config.instance = d.instance.trim();
  if (d.kind === 'bluesky') {
    config.handle = d.handle.trim().replace(/^@/, '');
    config.jetstream = d.jetstream.trim();
  }
  if (d.kind !== 'webhook') config.hashtags = splitTerms(d.hashtags, true);
  if (d.kind === 'bluesky' || d.kind === 'x') config.keywords = splitTerms(d.keywords);
  const body: SourceInput = { name: d.name.trim(), moderation: d.moderation, config };
  if (creating) {
    body.kind = d.kind;
    body.enabled = true;
  }
  // A webhook's secret is koe's to make; the others' is the organiser's credential.
  if (d.kind !== 'webhook') {
    if (d.secret.trim()) body.secret = d.secret.trim();
    else if (d.clearSecret && !creating) body.secret = '';
  }
  return body;
}
