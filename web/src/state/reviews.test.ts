import { describe, expect, it } from 'vitest';
import type { Review, ReviewList } from '../types';
import { ev, question } from './fixtures';
import { TalkState, view } from './questions';
import { claimedBy, keyAction, ReviewQueue, ReviewSession, step, successor, typingIn, undoLeft } from './reviews';

function review(id: number, over: Partial<Review> = {}): Review {
  return {
    id, event_id: 1, talk_id: 1, kind: 'question', subject_id: id, question_id: id, body: `text ${id}`, author_name: '',
    state: 'pending', reasons: [{ kind: 'mode', name: 'pre' }], score: null, claim: null, decision: null, banned: false,
    version: 1, created_at: new Date(Date.UTC(2026, 0, 1, 10, id)).toISOString(), ...over,
  };
}

const t0 = Date.UTC(2026, 0, 1, 12, 0, 0);
const iso = (ms: number) => new Date(ms).toISOString();
const decided = (id: number, decision: 'approve' | 'reject', at: number, over: Partial<Review> = {}) =>
  review(id, {
    state: decision === 'approve' ? 'approved' : 'rejected', version: 2,
    decision: { decision: decision === 'approve' ? 'approved' : 'rejected', account_id: 1, by: 'Aiko', at: iso(at), undo_until: iso(at + 30_000) }, ...over,
  });

describe('the queue merges by version', () => {
  it('lists open reviews oldest first and decided ones newest decision first', () => {
    const q = new ReviewQueue();
    q.load([review(3), review(1), review(2, { state: 'flagged' }), decided(4, 'approve', t0 - 5000), decided(5, 'reject', t0 - 1000)]);
    expect(q.open().map((r) => r.id)).toEqual([1, 2, 3]);
    expect(q.decided().map((r) => r.id)).toEqual([5, 4]);
  });

  it('takes a newer version from the stream and ignores older or equal ones', () => {
    const q = new ReviewQueue();
    q.load([review(1, { version: 3, body: 'v3' })]);
    expect(q.apply(ev('review.updated', review(1, { version: 2, body: 'v2' })))).toBe(false);
    expect(q.apply(ev('review.updated', review(1, { version: 3, body: 'v3 again' })))).toBe(false);
    expect(q.get(1)!.body).toBe('v3');
    expect(q.apply(ev('review.updated', decided(1, 'approve', t0, { version: 4 })))).toBe(true);
    expect(q.open()).toEqual([]);
    expect(q.decided().map((r) => r.id)).toEqual([1]);
  });

  it('adds created reviews and ignores other event types', () => {
    const q = new ReviewQueue();
    q.load([]);
    expect(q.apply(ev('review.created', review(7)))).toBe(true);
    expect(q.apply(ev('question.created', question(8)))).toBe(false);
    expect(q.open().map((r) => r.id)).toEqual([7]);
    expect(q.apply(ev('ban.created', { id: 1 }))).toBe(true);
    expect(q.bansRev).toBe(1);
  });

  it('keeps what it holds at a newer version than a snapshot read before it', () => {
    const q = new ReviewQueue();
    q.load([review(1)]);
    q.own(decided(1, 'approve', t0, { version: 5 }));
    q.load([review(1, { version: 1 }), review(2)]);
    expect(q.get(1)!.state).toBe('approved');
    expect(q.open().map((r) => r.id)).toEqual([2]);
  });

  it('a merge keeps reviews the snapshot does not have', () => {
    const q = new ReviewQueue();
    q.load([review(1)]);
    q.apply(ev('review.created', review(9)));
    q.merge([decided(1, 'reject', t0)]);
    expect(q.get(9)).toBeDefined();
    expect(q.get(1)!.state).toBe('rejected');
  });

  it('counts pending, flagged and decisions of the last minute, per talk too', () => {
    const q = new ReviewQueue();
    q.load([
      review(1), review(2, { talk_id: 2 }), review(3, { state: 'flagged' }),
      decided(4, 'approve', t0 - 10_000), decided(5, 'reject', t0 - 59_000), decided(6, 'approve', t0 - 61_000),
    ]);
    expect(q.counts(t0)).toEqual({ pending: 2, flagged: 1, decided_last_minute: 2 });
    expect(q.counts(t0, { talkID: 2 })).toEqual({ pending: 1, flagged: 0, decided_last_minute: 0 });
    expect(q.open({ talkID: 2 }).map((r) => r.id)).toEqual([2]);
  });

  it('trusts the server counts when the snapshot was cut at its limit', () => {
    const q = new ReviewQueue();
    q.load([review(1)], { pending: 250, flagged: 3, decided_last_minute: 0 }, false);
    expect(q.counts(t0).pending).toBe(250);
    q.load([review(1)], { pending: 250, flagged: 3, decided_last_minute: 0 }, true);
    expect(q.counts(t0).pending).toBe(1);
  });
});

describe('claims and undo', () => {
  const claim = (account_id: number, until: number) => ({ claim: { account_id, name: 'Kenji', until: iso(until) } });

  it('shows another moderator\'s claim until it runs out, never one\'s own', () => {
    expect(claimedBy(review(1, claim(2, t0 + 30_000)), 1, t0)).toBe('Kenji');
    expect(claimedBy(review(1, claim(2, t0 + 30_000)), 1, t0 + 30_000)).toBeNull();
    expect(claimedBy(review(1, claim(1, t0 + 30_000)), 1, t0)).toBeNull();
    expect(claimedBy(review(1), 1, t0)).toBeNull();
  });

  it('counts the undo window down in whole seconds', () => {
    const r = decided(1, 'approve', t0);
    expect(undoLeft(r, t0)).toBe(30);
    expect(undoLeft(r, t0 + 29_001)).toBe(1);
    expect(undoLeft(r, t0 + 30_000)).toBe(0);
    expect(undoLeft(review(2), t0)).toBe(0);
  });
});

describe('selection', () => {
  const list = [review(1), review(2), review(3)];
  it('steps through the list, starting at the first, stopping at the ends', () => {
    expect(step(list, null, 1)).toBe(1);
    expect(step(list, 1, 1)).toBe(2);
    expect(step(list, 3, 1)).toBe(3);
    expect(step(list, 1, -1)).toBe(1);
    expect(step([], null, 1)).toBeNull();
  });

  it('after a decision moves to the item that followed, else the one before', () => {
    expect(successor(list, [review(1), review(3)], 2)).toBe(3);
    expect(successor(list, [review(1), review(2)], 3)).toBe(2);
    expect(successor(list, [], 3)).toBeNull();
  });
});

describe('the keyboard map', () => {
  const body = { tagName: 'BODY' };
  it('maps the console keys', () => {
    expect(['j', 'k', 'a', 'r', 'e', 'b', 'u', '?', 'Escape'].map((key) => keyAction({ key }, body))).toEqual([
      'next', 'prev', 'approve', 'reject', 'edit', 'ban', 'undo', 'help', 'close',
    ]);
    expect(keyAction({ key: 'x' }, body)).toBeNull();
  });

  it('is off while typing in fields and with modifier keys', () => {
    expect(keyAction({ key: 'a' }, { tagName: 'TEXTAREA' })).toBeNull();
    expect(keyAction({ key: 'a' }, { tagName: 'INPUT', type: 'text' })).toBeNull();
    expect(keyAction({ key: 'a' }, { tagName: 'SELECT' })).toBeNull();
    expect(keyAction({ key: 'a' }, { tagName: 'DIV', isContentEditable: true })).toBeNull();
    expect(keyAction({ key: 'a', ctrlKey: true }, body)).toBeNull();
    expect(keyAction({ key: 'r', metaKey: true }, body)).toBeNull();
    // A checkbox or a button takes no text: the keys work there.
    expect(keyAction({ key: 'a' }, { tagName: 'INPUT', type: 'checkbox' })).toBe('approve');
    expect(keyAction({ key: 'j' }, { tagName: 'BUTTON' })).toBe('next');
    expect(typingIn(null)).toBe(false);
  });
});

describe('the session follows the moderation topic', () => {
  function fakeLive() {
    const subs: { topic: string; cursor: string | null; h: { events: (e: ReturnType<typeof ev>[]) => void; reset: (r: string) => void } }[] = [];
    const resubs: [string, string | null][] = [];
    return {
      subs, resubs,
      subscribe(topic: string, cursor: string | null, h: (typeof subs)[number]['h']) {
        subs.push({ topic, cursor, h });
        return () => {};
      },
      resubscribe(topic: string, cursor: string | null) {
        resubs.push([topic, cursor]);
      },
    };
  }

  it('subscribes from the first read\'s cursor and reloads on reset', async () => {
    let n = 0;
    const reads: string[] = [];
    const api = {
      reviews: async (_e: number, q: { state: string }): Promise<ReviewList> => {
        reads.push(q.state);
        n++;
        return {
          reviews: q.state === 'open' ? [review(n)] : [],
          counts: { pending: 1, flagged: 0, decided_last_minute: 0 },
          stream: { topic: 'moderation', cursor: `e-${n}` },
        };
      },
    };
    const live = fakeLive();
    const s = new ReviewSession(api, live, 1);
    await s.start();
    expect(reads).toEqual(['open', 'decided']);
    expect(live.subs[0].topic).toBe('moderation');
    expect(live.subs[0].cursor).toBe('e-1');
    live.subs[0].h.events([ev('review.created', review(50))]);
    expect(s.queue.get(50)).toBeDefined();
    live.subs[0].h.reset('unknown_epoch');
    await s.reload();
    expect(live.resubs).toEqual([['moderation', 'e-3']]);
    expect(s.queue.open().map((r) => r.id)).toEqual([3]);
  });
});

describe('the asker\'s own questions under moderation', () => {
  it('lists one\'s own pending and rejected questions first, to the asker only, and counts none of them', () => {
    const s = new TalkState();
    s.load({ id: 1, event_id: 1, title: '', speaker: '', track: '', starts_at: null, ends_at: null, qa_open: true, highlighted_question_id: 0, version: 1, created_at: '', updated_at: '' }, [
      question(1, { likes: 5 }),
      question(2, { mine: true, status: 'pending' }),
      question(3, { mine: true, status: 'rejected' }),
      question(4, { status: 'pending' }), // not the viewer's: never listed
    ]);
    expect(s.list('top').map((q) => q.id)).toEqual([3, 2, 1]);
    expect(s.list('answered')).toEqual([]);
    expect(s.counts().top).toBe(1);
    expect(s.ownPending().map((q) => q.id)).toEqual([2]);
    // Approved on the public stream: listed as any other.
    s.apply(ev('question.updated', question(2, { status: 'approved', version: 2 })));
    expect(s.get(2)!.mine).toBe(true);
    expect(view(s.all(), 'top').map((q) => q.id)).toEqual([3, 1, 2]);
    expect(s.ownPending()).toEqual([]);
  });

  it('does not show a pending question on the screen as highlighted', () => {
    const s = new TalkState();
    s.load({ id: 1, event_id: 1, title: '', speaker: '', track: '', starts_at: null, ends_at: null, qa_open: true, highlighted_question_id: 2, version: 1, created_at: '', updated_at: '' }, [
      question(2, { mine: true, status: 'pending' }),
    ]);
    expect(s.highlighted()).toBeUndefined();
  });
});

describe('replies under moderation', () => {
  it('an approved reply reaches a loaded thread, and its author\'s waiting copy is replaced', () => {
    const s = new TalkState();
    s.load({ id: 1, event_id: 1, title: '', speaker: '', track: '', starts_at: null, ends_at: null, qa_open: true, highlighted_question_id: 0, version: 1, created_at: '', updated_at: '' }, [question(1)]);
    const reply = (id: number, status: 'approved' | 'pending') => ({ id, event_id: 1, talk_id: 1, question_id: 1, staff: false, author_name: '', body: `reply ${id}`, status, created_at: '' });
    expect(s.apply(ev('reply.updated', reply(5, 'approved')))).toBe(false); // thread not loaded: nothing to show
    s.setReplies(1, [reply(2, 'approved')]);
    s.addReply(reply(3, 'pending'));
    expect(s.apply(ev('reply.updated', reply(3, 'approved')))).toBe(true);
    expect(s.apply(ev('reply.updated', reply(4, 'approved')))).toBe(true);
    expect(s.apply(ev('reply.updated', reply(4, 'approved')))).toBe(false);
    expect(s.repliesOf(1)!.map((r) => [r.id, r.status])).toEqual([[2, 'approved'], [3, 'approved'], [4, 'approved']]);
  });
});
