import { describe, expect, it } from 'vitest';
import { TalkState, view } from './questions';
import { ev, question, talk } from './fixtures';

function loaded(...qs: ReturnType<typeof question>[]) {
  const s = new TalkState();
  s.load(talk(), qs);
  return s;
}

describe('applying deltas', () => {
  it('adds a created question and ignores one it already has', () => {
    const s = loaded(question(1, { body: 'from snapshot', version: 3 }));
    expect(s.apply(ev('question.created', question(2)))).toBe(true);
    expect(s.apply(ev('question.created', question(1, { body: 'stale copy', version: 1 })))).toBe(false);
    expect(s.get(1)!.body).toBe('from snapshot');
    expect(s.all().map((q) => q.id).sort()).toEqual([1, 2]);
  });

  it('takes newer updates and ignores stale or equal versions', () => {
    const s = loaded(question(1, { body: 'v2', version: 2 }));
    expect(s.apply(ev('question.updated', question(1, { body: 'v1', version: 1 })))).toBe(false);
    expect(s.apply(ev('question.updated', question(1, { body: 'v2 again', version: 2 })))).toBe(false);
    expect(s.get(1)!.body).toBe('v2');
    expect(s.apply(ev('question.updated', question(1, { body: 'v3', answered: true, answered_at: '2026-01-01T11:00:00Z', version: 3 })))).toBe(true);
    expect(s.get(1)!.body).toBe('v3');
    expect(s.list('answered').map((q) => q.id)).toEqual([1]);
    expect(s.list('top')).toEqual([]);
  });

  it('adds an update for an unknown id (full state), but ignores likes for one', () => {
    const s = loaded();
    expect(s.apply(ev('question.likes', { id: 9, likes: 4, version: 5 }))).toBe(false);
    expect(s.has(9)).toBe(false);
    expect(s.apply(ev('question.updated', question(9, { version: 2 })))).toBe(true);
    expect(s.has(9)).toBe(true);
  });

  it('applies like counts by version, in either order with updates', () => {
    const s = loaded(question(1, { likes: 1, version: 2 }));
    expect(s.apply(ev('question.likes', { id: 1, likes: 3, version: 4 }))).toBe(true);
    expect(s.apply(ev('question.likes', { id: 1, likes: 2, version: 3 }))).toBe(false); // stale
    expect(s.get(1)!.likes).toBe(3);
    // An edit at version 3 was published after the like at version 4: it
    // carries an older like count, but its other fields are news.
    expect(s.apply(ev('question.updated', question(1, { likes: 2, body: 'edited', version: 3 })))).toBe(false);
    // and a genuinely newer update wins entirely
    expect(s.apply(ev('question.updated', question(1, { likes: 3, answered: true, version: 5 })))).toBe(true);
    expect(s.get(1)).toMatchObject({ likes: 3, answered: true, version: 5 });
  });

  it('keeps the newer like count when an update overtakes by version but not by likes', () => {
    const s = loaded(question(1, { likes: 0, version: 1 }));
    s.apply(ev('question.likes', { id: 1, likes: 5, version: 6 }));
    // version 7 changes the body; its likes field (5) is consistent
    s.apply(ev('question.updated', question(1, { likes: 5, body: 'b', version: 7 })));
    expect(s.get(1)).toMatchObject({ likes: 5, body: 'b', version: 7 });
  });

  it('removes a hidden question and does not bring it back with stale events', () => {
    const s = loaded(question(1, { version: 2 }), question(2));
    expect(s.apply(ev('question.removed', { id: 1, version: 3 }))).toBe(true);
    expect(s.has(1)).toBe(false);
    expect(s.apply(ev('question.updated', question(1, { version: 2 })))).toBe(false);
    expect(s.apply(ev('question.likes', { id: 1, likes: 9, version: 3 }))).toBe(false);
    expect(s.has(1)).toBe(false);
    // unhidden later: a newer version brings it back
    expect(s.apply(ev('question.updated', question(1, { version: 4 })))).toBe(true);
    expect(s.has(1)).toBe(true);
  });

  it('ignores a removal older than what it holds, and unknown event types', () => {
    const s = loaded(question(1, { version: 5 }));
    expect(s.apply(ev('question.removed', { id: 1, version: 4 }))).toBe(false);
    expect(s.has(1)).toBe(true);
    expect(s.apply(ev('poll.opened', { id: 1 }))).toBe(false);
  });

  it('keeps viewer-relative fields (mine, liked) through broadcast updates', () => {
    const s = loaded(question(1, { mine: true, liked_by_me: true, likes: 1 }));
    s.apply(ev('question.updated', question(1, { mine: false, liked_by_me: false, likes: 1, body: 'x', version: 2 })));
    expect(s.get(1)).toMatchObject({ mine: true, liked_by_me: true, body: 'x' });
  });

  it('marks a question mine whether its event or the POST answer comes first', () => {
    const a = loaded();
    a.apply(ev('question.created', question(5, { mine: false })));
    a.own(question(5, { mine: true }));
    expect(a.get(5)!.mine).toBe(true);
    const b = loaded();
    b.own(question(5, { mine: true }));
    b.apply(ev('question.created', question(5, { mine: false })));
    expect(b.get(5)!.mine).toBe(true);
  });

  it('follows talk updates by version: highlight and Q&A open', () => {
    const s = loaded(question(1), question(2));
    s.apply(ev('talk.updated', talk({ highlighted_question_id: 2, version: 3 })));
    expect(s.highlighted()!.id).toBe(2);
    s.apply(ev('talk.updated', talk({ highlighted_question_id: 1, version: 2 }))); // stale
    expect(s.highlighted()!.id).toBe(2);
    s.apply(ev('talk.updated', talk({ highlighted_question_id: 0, qa_open: false, version: 4 })));
    expect(s.highlighted()).toBeUndefined();
    expect(s.talk!.qa_open).toBe(false);
    expect(s.apply(ev('talk.updated', talk({ id: 2, version: 9 })))).toBe(false); // another talk
  });

  it('records presence', () => {
    const s = loaded();
    expect(s.apply(ev('presence', { connections: 3 }))).toBe(true);
    expect(s.presence).toBe(3);
    expect(s.apply(ev('presence', { connections: 3 }))).toBe(false);
  });

  it('appends replies to loaded threads once', () => {
    const s = loaded(question(1));
    const r = { id: 10, event_id: 1, talk_id: 1, question_id: 1, staff: true, author_name: 'Aiko', body: 'yes', created_at: '2026-01-01T10:00:00Z' };
    expect(s.apply(ev('reply.created', r))).toBe(false); // thread not loaded: nothing to append to
    s.setReplies(1, []);
    expect(s.apply(ev('reply.created', r))).toBe(true);
    expect(s.apply(ev('reply.created', r))).toBe(false);
    s.setReplies(1, [r, { ...r, id: 11 }]);
    expect(s.repliesOf(1)!.map((x) => x.id)).toEqual([10, 11]);
  });

  it('notifies subscribers once per batch', () => {
    const s = loaded();
    let n = 0;
    s.subscribe(() => n++);
    s.applyAll([ev('question.created', question(1)), ev('question.created', question(2)), ev('question.created', question(1))]);
    expect(n).toBe(1);
    s.applyAll([ev('question.created', question(1))]);
    expect(n).toBe(1);
  });

  it('a reload replaces the state (after a reset)', () => {
    const s = loaded(question(1), question(2));
    s.apply(ev('question.removed', { id: 2, version: 2 }));
    s.load(talk({ version: 5 }), [question(3)]);
    expect(s.all().map((q) => q.id)).toEqual([3]);
    expect(s.talk!.version).toBe(5);
  });
});

describe('ordering', () => {
  const qs = [
    question(1, { likes: 2 }),
    question(2, { likes: 5 }),
    question(3, { likes: 2 }),
    question(4, { likes: 9, answered: true, answered_at: '2026-01-01T12:00:00Z' }),
    question(5, { likes: 0, answered: true, answered_at: '2026-01-01T12:30:00Z' }),
    question(6, { likes: 7, hidden: true }),
    question(7, { likes: 0 }),
  ];

  it('Top: unanswered by likes, ties oldest first', () => {
    expect(view(qs, 'top').map((q) => q.id)).toEqual([2, 1, 3, 7]);
  });

  it('Recent: unanswered newest first', () => {
    expect(view(qs, 'recent').map((q) => q.id)).toEqual([7, 3, 2, 1]);
  });

  it('Answered: most recently answered first', () => {
    expect(view(qs, 'answered').map((q) => q.id)).toEqual([5, 4]);
  });

  it('Hidden: only hidden; the highlighted question can be left out', () => {
    expect(view(qs, 'hidden').map((q) => q.id)).toEqual([6]);
    expect(view(qs, 'top', 2).map((q) => q.id)).toEqual([1, 3, 7]);
  });

  it('counts per tab', () => {
    const s = loaded(...qs);
    expect(s.counts()).toEqual({ top: 4, recent: 4, answered: 2, hidden: 1 });
  });

  it('reorders Top when likes arrive', () => {
    const s = loaded(...qs);
    s.apply(ev('question.likes', { id: 7, likes: 6, version: 2 }));
    expect(s.list('top').map((q) => q.id)).toEqual([7, 2, 1, 3]);
  });
});
