import { describe, expect, it } from 'vitest';
import type { Poll, PollResults, PollView, Vote } from '../types';
import { ev } from './fixtures';
import {
  addOption, definesPoll, emptyForm, formOf, formProblems, newPollBody, patchBody, pollActions, PollsState, removeOption, resultsVisible,
} from './polls';

function poll(id: number, over: Partial<Poll> = {}): Poll {
  return {
    id, event_id: 1, talk_id: 1, kind: 'choice', question: `poll ${id}`,
    options: [{ id: '1', label: 'Yes' }, { id: '2', label: 'No' }], multiple: false,
    results_mode: 'live', revealed: false, state: 'open', version: 1,
    created_at: '2026-01-01T10:00:00Z', opened_at: '2026-01-01T10:01:00Z', closed_at: null, ...over,
  };
}

function draft(id: number, over: Partial<Poll> = {}): Poll {
  return poll(id, { state: 'draft', opened_at: null, ...over });
}

function results(pollID: number, version: number, counts: [string, number][] = [['1', 1], ['2', 0]], voters = 1): PollResults {
  return { poll_id: pollID, version, voters, counts: counts.map(([key, count]) => ({ key, count })) };
}

function view(p: Poll, r: PollResults | null = null, my: Vote | null = null): PollView {
  return { ...p, results: r, my_vote: my };
}

function vote(pollID: number, over: Partial<Vote> = {}): Vote {
  return { id: 7, poll_id: pollID, keys: ['1'], text: '', status: 'approved', updated_at: '2026-01-01T10:02:00Z', ...over };
}

describe('PollsState', () => {
  it('loads a snapshot: polls, results and the viewer vote; list is oldest first', () => {
    const s = new PollsState([view(poll(2), results(2, 3), vote(2)), view(poll(1, { state: 'closed', closed_at: '2026-01-01T10:00:30Z' }))]);
    expect(s.list().map((p) => p.id)).toEqual([1, 2]);
    expect(s.results(2)?.version).toBe(3);
    expect(s.myVote(2)?.keys).toEqual(['1']);
    expect(s.myVote(1)).toBeNull();
    // The poll held is a Poll, without the view's fields.
    expect('results' in s.get(2)!).toBe(false);
    expect('my_vote' in s.get(2)!).toBe(false);
  });

  it('keeps a poll only when the version is higher', () => {
    const s = new PollsState([view(poll(1, { version: 5, question: 'new' }))]);
    expect(s.apply(ev('poll.updated', poll(1, { version: 4, question: 'old' })))).toBe(false);
    expect(s.apply(ev('poll.updated', poll(1, { version: 5, question: 'same' })))).toBe(false);
    expect(s.get(1)!.question).toBe('new');
    expect(s.apply(ev('poll.updated', poll(1, { version: 6, state: 'closed' })))).toBe(true);
    expect(s.get(1)!.state).toBe('closed');
  });

  it('adds a created poll and ignores other message types', () => {
    const s = new PollsState();
    const rev = s.rev;
    expect(s.apply(ev('question.created', { id: 1 }))).toBe(false);
    expect(s.rev).toBe(rev);
    expect(s.apply(ev('poll.created', poll(3)))).toBe(true);
    expect(s.current()?.id).toBe(3);
    expect(s.rev).toBeGreaterThan(rev);
  });

  it('keeps results only when newer, and takes results that arrive before their poll', () => {
    const s = new PollsState();
    expect(s.apply(ev('poll.results', results(4, 2, [['1', 2], ['2', 1]], 3)))).toBe(true);
    expect(s.results(4)).toBeNull(); // no poll yet: nothing to show
    expect(s.missingResults()).toEqual([]);
    s.apply(ev('poll.created', poll(4)));
    expect(s.results(4)?.voters).toBe(3);
    expect(s.apply(ev('poll.results', results(4, 1, [['1', 1]], 1)))).toBe(false);
    expect(s.results(4)?.voters).toBe(3);
    expect(s.apply(ev('poll.results', results(4, 5, [['1', 4], ['2', 1]], 5)))).toBe(true);
    expect(s.results(4)?.counts[0]).toEqual({ key: '1', count: 4 });
  });

  it('forgets a deleted poll and does not let an older message bring it back', () => {
    const s = new PollsState([view(poll(1, { version: 2 }), results(1, 3), vote(1))]);
    expect(s.apply(ev('poll.deleted', poll(1, { version: 3 })))).toBe(true);
    expect(s.list()).toEqual([]);
    expect(s.current()).toBeNull();
    expect(s.myVote(1)).toBeNull();
    expect(s.apply(ev('poll.updated', poll(1, { version: 3 })))).toBe(false);
    expect(s.list()).toEqual([]);
    // Deleting what is not held changes nothing.
    expect(s.apply(ev('poll.deleted', poll(9, { version: 1 })))).toBe(false);
  });

  it('current: the open poll, else the latest closed one with visible results, else none', () => {
    const closedEarly = poll(1, { state: 'closed', closed_at: '2026-01-01T10:05:00Z' });
    const closedLate = poll(2, { state: 'closed', closed_at: '2026-01-01T10:09:00Z' });
    const closedHidden = poll(3, { state: 'closed', closed_at: '2026-01-01T10:10:00Z', results_mode: 'hidden' });
    const s = new PollsState([view(closedEarly), view(closedLate), view(closedHidden)]);
    expect(s.current()?.id).toBe(2);
    s.apply(ev('poll.updated', { ...closedHidden, version: 2, revealed: true }));
    expect(s.current()?.id).toBe(3);
    s.apply(ev('poll.updated', poll(1, { version: 2, state: 'open', opened_at: '2026-01-01T10:11:00Z' })));
    expect(s.current()?.id).toBe(1);
    // Two open for a moment (the closing message not yet in): the last opened.
    s.apply(ev('poll.created', poll(5, { opened_at: '2026-01-01T10:12:00Z' })));
    expect(s.current()?.id).toBe(5);
    const none = new PollsState([view(poll(1, { state: 'closed', results_mode: 'hidden' })), view(poll(2, { state: 'draft' }))]);
    expect(none.current()).toBeNull();
  });

  it('shows results to staff always, to others only while visible', () => {
    const hidden = poll(1, { results_mode: 'hidden' });
    const s = new PollsState([view(hidden, results(1, 2))]);
    expect(s.results(1, true)?.version).toBe(2);
    expect(s.results(1)).toBeNull();
    s.apply(ev('poll.updated', { ...hidden, version: 2, revealed: true }));
    expect(s.results(1)?.version).toBe(2);
    // Hidden again: what is held is not shown.
    s.apply(ev('poll.updated', { ...hidden, version: 3, revealed: false }));
    expect(s.results(1)).toBeNull();
    expect(resultsVisible({ state: 'draft', results_mode: 'live', revealed: false })).toBe(false);
  });

  it('tells which visible results are missing (a reveal): to fetch once', () => {
    const hidden = poll(1, { results_mode: 'hidden' });
    const s = new PollsState([view(hidden), view(poll(2, { state: 'draft' }))]);
    expect(s.missingResults()).toEqual([]);
    expect(s.missingResults(true)).toEqual([1]);
    s.apply(ev('poll.updated', { ...hidden, version: 2, revealed: true }));
    expect(s.missingResults()).toEqual([1]);
    s.apply(ev('poll.results', results(1, 4)));
    expect(s.missingResults()).toEqual([]);
  });

  it('sets the viewer vote, and a snapshot does not undo a newer one', () => {
    const s = new PollsState([view(poll(1))]);
    expect(s.setMyVote(1, vote(1, { keys: ['2'], updated_at: '2026-01-01T10:03:00Z' }))).toBe(true);
    expect(s.setMyVote(1, vote(1, { keys: ['2'], updated_at: '2026-01-01T10:03:00Z' }))).toBe(false);
    s.merge([view(poll(1), null, vote(1, { keys: ['1'], updated_at: '2026-01-01T10:02:00Z' }))]);
    expect(s.myVote(1)?.keys).toEqual(['2']);
    s.merge([view(poll(1), null, vote(1, { keys: ['1'], status: 'approved', updated_at: '2026-01-01T10:04:00Z' }))]);
    expect(s.myVote(1)?.keys).toEqual(['1']);
  });

  it('says when a word answer waits for moderation', () => {
    const s = new PollsState([view(poll(1, { kind: 'words', options: [] }))]);
    expect(s.anyPending()).toBe(false);
    s.setMyVote(1, vote(1, { keys: [], text: 'realtime', status: 'pending' }));
    expect(s.anyPending()).toBe(true);
    s.setMyVote(1, vote(1, { keys: ['realtime'], text: 'realtime', status: 'approved', updated_at: '2026-01-01T10:05:00Z' }));
    expect(s.anyPending()).toBe(false);
  });

  it('merges a fresh snapshot by the version rule, dropping polls deleted meanwhile only', () => {
    const s = new PollsState([view(poll(1, { version: 3 })), view(poll(2))]);
    const before = s.known();
    // Arrived by the stream while the snapshot was read: kept although not listed.
    s.apply(ev('poll.created', poll(3)));
    const changed = s.merge([view(poll(1, { version: 2, question: 'stale' }), results(1, 6))], before);
    expect(changed).toBe(true);
    expect(s.list().map((p) => p.id)).toEqual([1, 3]);
    expect(s.get(1)!.question).toBe('poll 1'); // the stale version did not win
    expect(s.results(1)?.version).toBe(6);
    // Nothing new: nothing changes.
    expect(s.merge([view(poll(1, { version: 3 })), view(poll(3))], s.known())).toBe(false);
  });
});

describe('PollsState for staff (the polls panel)', () => {
  it('keeps drafts, lists them in the order they were made, and shows staff every result', () => {
    const s = new PollsState([view(draft(2)), view(poll(1, { results_mode: 'hidden' }), results(1, 3, [['1', 2], ['2', 1]], 3))]);
    expect(s.list().map((p) => [p.id, p.state])).toEqual([[1, 'open'], [2, 'draft']]);
    expect(s.results(1, true)?.voters).toBe(3);
    expect(s.results(1)).toBeNull();
    expect(s.apply(ev('poll.created', draft(3)))).toBe(true);
    expect(s.list().map((p) => p.id)).toEqual([1, 2, 3]);
    // A draft is nobody's current poll, and has no results to fetch.
    expect(s.current()?.id).toBe(1);
    expect(s.missingResults(true)).toEqual([]);
  });

  it('open: the open poll only, never a closed one', () => {
    const s = new PollsState([view(poll(1, { state: 'closed', closed_at: '2026-01-01T10:05:00Z' })), view(draft(2))]);
    expect(s.current()?.id).toBe(1);
    expect(s.open()).toBeNull();
    // Opening another poll: for a moment both are open, the last opened is the one.
    s.putPoll(poll(2, { state: 'open', version: 2, opened_at: '2026-01-01T10:06:00Z' }));
    s.putPoll(poll(1, { state: 'open', version: 2, opened_at: '2026-01-01T10:07:00Z' }));
    expect(s.open()?.id).toBe(1);
    s.apply(ev('poll.updated', poll(2, { state: 'closed', version: 3, opened_at: '2026-01-01T10:06:00Z' })));
    expect(s.open()?.id).toBe(1);
  });

  it('a poll the viewer deleted never comes back, whatever version a late copy has', () => {
    const s = new PollsState([view(draft(8)), view(draft(9))]);
    const rev = s.rev;
    expect(s.deleted(8)).toBe(true);
    expect(s.rev).toBeGreaterThan(rev);
    expect(s.get(8)).toBeUndefined();
    expect(s.apply(ev('poll.updated', draft(8, { version: 7 })))).toBe(false);
    expect(s.apply(ev('poll.deleted', draft(8, { version: 2 })))).toBe(false);
    s.merge([view(draft(8, { version: 9 })), view(draft(9))]);
    expect(s.list().map((p) => p.id)).toEqual([9]);
  });

  it('says when the first snapshot is in, even an empty one', () => {
    const s = new PollsState();
    expect(s.loaded).toBe(false);
    // A poll by the stream first: still not the whole list.
    s.apply(ev('poll.created', draft(1)));
    expect(s.loaded).toBe(false);
    const rev = s.rev;
    expect(s.merge([], [])).toBe(true);
    expect(s.loaded).toBe(true);
    expect(s.rev).toBeGreaterThan(rev);
    expect(s.list().map((p) => p.id)).toEqual([1]);
    expect(new PollsState().merge([])).toBe(true);
    expect(s.merge([], [])).toBe(false);
  });
});

describe('the poll form', () => {
  it('makes a choice poll of trimmed options, and no options for other kinds', () => {
    const f = { ...emptyForm(), question: ' Tabs or spaces? ', options: [' Tabs', 'Spaces '], multiple: true };
    expect(newPollBody(f)).toEqual({ kind: 'choice', question: 'Tabs or spaces?', options: ['Tabs', 'Spaces'], multiple: true, results_mode: 'live' });
    expect(newPollBody({ ...f, kind: 'words', results_mode: 'hidden' })).toEqual({ kind: 'words', question: 'Tabs or spaces?', results_mode: 'hidden' });
  });

  it('keeps 2 to 10 option fields', () => {
    let f = emptyForm();
    expect(removeOption(f, 0).options).toHaveLength(2);
    for (let i = 0; i < 12; i++) f = addOption(f);
    expect(f.options).toHaveLength(10);
    f = { ...f, options: f.options.map((_, i) => `o${i}`) };
    expect(removeOption(f, 3).options).toEqual(['o0', 'o1', 'o2', 'o4', 'o5', 'o6', 'o7', 'o8', 'o9']);
  });

  it('sends only what changed, so the results mode alone may change once votes count', () => {
    const p = draft(1);
    expect(patchBody(p, formOf(p))).toBeNull();
    const mode = patchBody(p, { ...formOf(p), results_mode: 'hidden' })!;
    expect(mode).toEqual({ results_mode: 'hidden' });
    expect(definesPoll(mode)).toBe(false);
    const opts = patchBody(p, { ...formOf(p), options: ['Yes', 'No', 'Maybe'] })!;
    expect(opts).toEqual({ options: ['Yes', 'No', 'Maybe'] });
    expect(definesPoll(opts)).toBe(true);
    expect(patchBody(p, { ...formOf(p), question: 'poll 1 ' })).toBeNull();
    expect(patchBody(p, { ...formOf(p), multiple: true })).toEqual({ multiple: true });
    const r = draft(2, { kind: 'rating', options: [] });
    expect(patchBody(r, { ...formOf(r), question: 'How was it?' })).toEqual({ question: 'How was it?' });
  });

  it('says what is missing before sending', () => {
    expect(formProblems(emptyForm())).toEqual([
      { field: 'question', what: 'empty' },
      { field: 'options', what: 'empty', index: 0 },
      { field: 'options', what: 'empty', index: 1 },
    ]);
    const f = { ...emptyForm(), question: 'x'.repeat(201), options: ['A', ' A', 'y'.repeat(81)] };
    expect(formProblems(f)).toEqual([
      { field: 'question', what: 'too_long' },
      { field: 'options', what: 'twice', index: 1 },
      { field: 'options', what: 'too_long', index: 2 },
    ]);
    // 200 characters of Japanese are 200, not 600 bytes.
    expect(formProblems({ ...emptyForm('rating'), question: 'あ'.repeat(200) })).toEqual([]);
  });
});

describe('what may be done with a poll', () => {
  it('follows its state and results mode', () => {
    expect(pollActions(draft(1))).toEqual({ open: true, close: false, reopen: false, reveal: false, hide: false });
    expect(pollActions(poll(1, { state: 'open' }))).toMatchObject({ open: false, close: true, reveal: false });
    expect(pollActions(poll(1, { state: 'open', results_mode: 'hidden' }))).toMatchObject({ close: true, reveal: true });
    expect(pollActions(poll(1, { state: 'closed', results_mode: 'hidden', revealed: true }))).toMatchObject({ reopen: true, reveal: false, hide: true });
    expect(resultsVisible(poll(1, { state: 'open', results_mode: 'hidden' }))).toBe(false);
    expect(resultsVisible(poll(1, { state: 'closed', results_mode: 'hidden', revealed: true }))).toBe(true);
    expect(resultsVisible(draft(1))).toBe(false);
  });
});
