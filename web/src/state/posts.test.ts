import { describe, expect, it } from 'vitest';
import type { Post, PostList, Source, StreamEvent } from '../types';
import { ev } from './fixtures';
import { draftOf, earliest, engageActions, feedKey, sourceBody, FeaturedPost, FeedSession, freeze, initials, inFilter, newestID, PostFeed, splitTerms } from './posts';

function post(id: number, over: Partial<Post> = {}): Post {
  return {
    id, event_id: 1, source_id: 1, platform: 'mastodon', external_id: `https://m.example/s/${id}`, author_handle: `user${id}@m.example`,
    author_name: `User ${id}`, author_avatar: 'https://m.example/a.png', text: `post ${id}`, lang: 'en',
    posted_at: new Date(Date.UTC(2026, 0, 1, 10, id)).toISOString(), url: `https://m.example/@u/${id}`, media: [], status: 'approved',
    hidden: false, featured_at: null, reasons: null, score: null, engaged: [], version: 1,
    created_at: new Date(Date.UTC(2026, 0, 1, 10, id)).toISOString(), ...over,
  };
}

const ids = (ps: Post[]) => ps.map((p) => p.id);

describe('the feed merges by version', () => {
  it('keeps the newest version whatever the order of stream, answers and snapshots', () => {
    const f = new PostFeed();
    f.load([post(1, { version: 3, text: 'v3' })]);
    expect(f.applyAll([ev('post.updated', post(1, { version: 2, text: 'v2' }))])).toBe(false);
    expect(f.applyAll([ev('post.updated', post(1, { version: 3, text: 'v3 again' }))])).toBe(false);
    expect(f.get(1)!.text).toBe('v3');
    f.own(post(1, { version: 4, hidden: true }));
    expect(f.get(1)!.hidden).toBe(true);
    // A snapshot read before the answer does not undo it.
    f.load([post(1, { version: 3 }), post(2)]);
    expect(f.get(1)!.version).toBe(4);
    expect(ids(f.list('approved'))).toEqual([2]);
  });

  it('adds created posts, ignores other types and malformed data', () => {
    const f = new PostFeed();
    f.load([]);
    const evs: StreamEvent[] = [ev('post.created', post(5)), ev('question.created', { id: 6, version: 1 }), ev('post.created', { text: 'no id' })];
    expect(f.applyAll(evs)).toBe(true);
    expect(f.size).toBe(1);
    expect(f.applyAll([ev('post.created', null)])).toBe(false);
  });

  it('keeps what a later snapshot does not hold (posts are never deleted)', () => {
    const f = new PostFeed();
    f.load([post(1), post(2)]);
    f.applyAll([ev('post.created', post(9))]);
    f.load([post(2, { status: 'rejected', version: 2 }), post(3)]);
    expect(ids(f.list('approved'))).toEqual([9, 3, 1]);
    expect(ids(f.list('rejected'))).toEqual([2]);
  });
});

describe('order and filters', () => {
  it('lists newest first by arrival (id), not by the platform time', () => {
    const f = new PostFeed();
    f.load([post(2, { posted_at: '2026-01-01T12:00:00Z' }), post(7, { posted_at: '2025-12-31T00:00:00Z' }), post(4)]);
    expect(ids(f.list('approved'))).toEqual([7, 4, 2]);
  });

  it('sorts posts into approved, pending, rejected and hidden', () => {
    const f = new PostFeed();
    f.load([post(1), post(2, { status: 'pending' }), post(3, { status: 'rejected' }), post(4, { hidden: true }), post(5)]);
    expect(ids(f.list('approved'))).toEqual([5, 1]);
    expect(ids(f.list('pending'))).toEqual([2]);
    expect(ids(f.list('rejected'))).toEqual([3]);
    expect(ids(f.list('hidden'))).toEqual([4]);
    expect(f.counts()).toEqual({ approved: 2, pending: 1, rejected: 1, hidden: 1 });
    expect(inFilter(post(6, { hidden: true, status: 'approved' }), 'approved')).toBe(false);
    expect(f.oldest('approved')).toBe(1);
    expect(f.oldest('hidden')).toBe(4);
  });

  it('a post moves tabs when its status changes', () => {
    const f = new PostFeed();
    f.load([post(1, { status: 'pending' })]);
    f.applyAll([ev('post.updated', post(1, { status: 'approved', version: 2 }))]);
    expect(ids(f.list('pending'))).toEqual([]);
    expect(ids(f.list('approved'))).toEqual([1]);
  });
});

describe('the featured pin', () => {
  it('pins the featured post on top of approved', () => {
    const f = new PostFeed();
    f.load([post(1, { featured_at: '2026-01-01T11:00:00Z' }), post(2), post(3)]);
    expect(f.featured()!.id).toBe(1);
    expect(ids(f.list('approved'))).toEqual([1, 3, 2]);
    expect(ids(f.list('hidden'))).toEqual([]);
  });

  it('shows one pin while both updates of a switch are in flight', () => {
    const f = new PostFeed();
    f.load([post(1, { featured_at: '2026-01-01T11:00:00Z' }), post(2)]);
    // The answer featuring 2 comes before the update unfeaturing 1.
    f.own(post(2, { featured_at: '2026-01-01T11:05:00Z', version: 2 }));
    expect(f.featured()!.id).toBe(2);
    expect(ids(f.list('approved'))).toEqual([2, 1]);
    f.applyAll([ev('post.updated', post(1, { featured_at: null, version: 2 }))]);
    expect(f.featured()!.id).toBe(2);
    f.own(post(2, { featured_at: null, version: 3 }));
    expect(f.featured()).toBeNull();
    expect(ids(f.list('approved'))).toEqual([2, 1]);
  });

  it('never pins a hidden post', () => {
    const f = new PostFeed();
    f.load([post(1, { featured_at: '2026-01-01T11:00:00Z', hidden: true }), post(2)]);
    expect(f.featured()).toBeNull();
  });
});

describe('the frozen list while reading further down', () => {
  it('holds new posts back and counts them, but keeps the pin', () => {
    const list = [post(9), post(8), post(5), post(3)];
    expect(freeze(list, null)).toEqual({ shown: list, waiting: 0 });
    const { shown, waiting } = freeze(list, 5);
    expect(ids(shown)).toEqual([5, 3]);
    expect(waiting).toBe(2);
    const pinned = [post(8), post(9), post(5)];
    expect(ids(freeze(pinned, 5, 8).shown)).toEqual([8, 5]);
    expect(newestID(pinned, 9)).toBe(8);
    expect(newestID([], null)).toBe(0);
  });
});

describe('helpers', () => {
  it('offers the platform engage actions', () => {
    expect(engageActions('mastodon')).toEqual(['favourite', 'boost']);
    expect(engageActions('bluesky')).toEqual(['like', 'repost']);
    expect(engageActions('x')).toEqual([]);
    expect(engageActions('webhook')).toEqual([]);
  });

  it('draws initials from the name, else the handle', () => {
    expect(initials('Aiko Tanaka', '')).toBe('AT');
    expect(initials('', '@kenji@m.example')).toBe('KE');
    expect(initials('田中 愛子', '')).toBe('田');
    expect(initials('', '')).toBe('?');
  });

  it('splits hashtags and keywords', () => {
    expect(splitTerms('#PyConJP, python  #go #go', true)).toEqual(['PyConJP', 'python', 'go']);
    expect(splitTerms('type hints, 型ヒント、asyncio\n', false)).toEqual(['type hints', '型ヒント', 'asyncio']);
    expect(splitTerms('  ', true)).toEqual([]);
  });
});

describe('the screen featured post', () => {
  it('takes snapshots and events, and drops a snapshot an event overtook', async () => {
    const f = new FeaturedPost();
    let n = 0;
    f.subscribe(() => n++);
    await f.refresh(async () => ({ post: post(1) }));
    expect(f.post!.id).toBe(1);
    let answer!: (v: { post: Post | null }) => void;
    const slow = f.refresh(() => new Promise((r) => (answer = r)));
    f.applyAll([ev('post.featured', { post: post(2) })]);
    answer({ post: post(1) });
    await slow;
    expect(f.post!.id).toBe(2);
    f.applyAll([ev('talk.updated', {}), ev('post.featured', { post: null })]);
    expect(f.post).toBeNull();
    expect(n).toBe(3);
  });
});

describe('the feed session', () => {
  it('reads every status, follows from the earliest cursor, and reloads on reset', async () => {
    const calls: string[] = [];
    let handlers: { events: (e: StreamEvent[]) => void; reset: (r: string) => void } | null = null;
    const live = {
      subscribe: (topic: string, cursor: string | null, h: typeof handlers) => {
        calls.push(`subscribe ${topic} ${cursor}`);
        handlers = h;
        return () => calls.push('unsubscribe');
      },
      resubscribe: (topic: string, cursor: string | null) => void calls.push(`resubscribe ${topic} ${cursor}`),
    };
    let data: Record<string, Post[]> = { approved: [post(1)], pending: [post(2, { status: 'pending' })], rejected: [] };
    let cursors: Record<string, string> = { approved: 'e-7', pending: 'e-5', rejected: 'e-6' };
    const api = {
      posts: async (_e: number, q: { status: string; before?: number }): Promise<PostList> => {
        calls.push(`posts ${q.status}${q.before ? ` before ${q.before}` : ''}`);
        return { posts: q.before ? [] : data[q.status], stream: { topic: 'feed', cursor: cursors[q.status] } };
      },
    };
    const s = new FeedSession(api as never, live as never, 1);
    await s.start();
    expect(calls).toEqual(['posts approved', 'posts pending', 'posts rejected', 'subscribe feed e-5']);
    expect(ids(s.feed.list('approved'))).toEqual([1]);
    handlers!.events([ev('post.created', post(3))]);
    expect(ids(s.feed.list('approved'))).toEqual([3, 1]);
    data = { approved: [post(4)], pending: [], rejected: [] };
    cursors = { approved: 'f-2', pending: 'f-2', rejected: 'f-1' };
    handlers!.reset('unknown_epoch');
    await s.reload();
    expect(calls).toContain('resubscribe feed f-1');
    expect(ids(s.feed.list('approved'))).toEqual([4, 3, 1]);
    expect(await s.older('approved')).toBe(false);
    expect(calls).toContain('posts approved before 1');
    s.stop();
    expect(calls.at(-1)).toBe('unsubscribe');
  });

  it('picks the earliest cursor', () => {
    expect(earliest(['e-9', 'e-10', 'e-3'])).toBe('e-3');
    expect(earliest([undefined, null, 'bad', 'x-1'])).toBe('x-1');
    expect(earliest([])).toBeNull();
  });
});

describe('the source form', () => {
  const source = (over: Partial<Source> = {}): Source => ({
    id: 3, event_id: 1, kind: 'bluesky', name: 'Bluesky', enabled: true, moderation: 'pre',
    config: { instance: '', jetstream: '', hashtags: ['pyconjp'], keywords: ['type hints'], handle: 'koe.bsky.social', secret_set: true },
    health: { state: 'streaming', last_post_at: null, last_error: '', last_error_at: null, lag_seconds: 0, rate_limit: null, posts: 0, updated_at: '' },
    version: 1, created_at: '', updated_at: '', ...over,
  });

  it('sends only the fields of the kind, terms split, a new source enabled', () => {
    const d = { ...draftOf(), kind: 'mastodon' as const, name: ' Mastodon ', instance: ' https://m.example ', hashtags: '#PyConJP pycon2026', keywords: 'ignored', handle: 'x' };
    expect(sourceBody(d, true)).toEqual({
      kind: 'mastodon', enabled: true, name: 'Mastodon', moderation: '',
      config: { instance: 'https://m.example', hashtags: ['PyConJP', 'pycon2026'], keywords: [] },
    });
    const hook = sourceBody({ ...draftOf(), kind: 'webhook', name: 'Relay', hashtags: '#a', secret: 'typed' }, true);
    expect(hook).toEqual({ kind: 'webhook', enabled: true, name: 'Relay', moderation: '', config: { hashtags: [], keywords: [] } });
  });

  it('keeps the credential unless replaced or removed, when editing', () => {
    const d = draftOf(source());
    expect(d.hashtags).toBe('#pyconjp');
    expect(d.keywords).toBe('type hints');
    const kept = sourceBody(d, false);
    expect(kept).not.toHaveProperty('secret');
    expect(kept).not.toHaveProperty('kind');
    expect(kept.config).toEqual({ handle: 'koe.bsky.social', jetstream: '', hashtags: ['pyconjp'], keywords: ['type hints'] });
    expect(sourceBody({ ...d, secret: ' app-pass ' }, false).secret).toBe('app-pass');
    expect(sourceBody({ ...d, clearSecret: true }, false).secret).toBe('');
    expect(sourceBody({ ...d, handle: '@someone.bsky.social' }, false).config!.handle).toBe('someone.bsky.social');
  });
});

describe('the feed keys', () => {
  const onPost = { tagName: 'LI', closest: (sel: string) => (sel.includes('post') ? {} : null) };
  const onPage = { tagName: 'BODY', closest: () => null };
  it('moves, features and hides, but not while typing or with modifiers', () => {
    expect(feedKey({ key: 'j' }, onPage)).toBe('next');
    expect(feedKey({ key: 'k' }, onPost)).toBe('prev');
    expect(feedKey({ key: 'f' }, onPost)).toBe('feature');
    expect(feedKey({ key: 'h' }, onPost)).toBe('hide');
    expect(feedKey({ key: 'ArrowDown' }, onPost)).toBe('next');
    expect(feedKey({ key: 'ArrowDown' }, onPage)).toBeNull();
    expect(feedKey({ key: 'f', ctrlKey: true }, onPost)).toBeNull();
    expect(feedKey({ key: 'j' }, { tagName: 'INPUT', type: 'text' })).toBeNull();
    expect(feedKey({ key: 'x' }, onPost)).toBeNull();
  });
});
