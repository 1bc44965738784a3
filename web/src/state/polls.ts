// The polls of one talk (F20; docs/architecture.md "Polls"), as one viewer
// sees them: a snapshot (GET …/polls, PollView[]) plus the talk stream's
// poll.created / poll.updated / poll.deleted (data: a Poll) and the
// ephemeral poll.results (data: PollResults). Every poll and every result
// carries a version and an older one never replaces a newer one, so
// messages may arrive in any order relative to the snapshot (results even
// before their poll). Staff hold drafts too, and see every poll's results
// (the staff panel, pages/PollsPanel.tsx, whose form helpers are at the
// end). The rules (one open poll per talk, a definition locked once votes
// count) are the server's: this only keeps what it says. Pure: no
// requests, no timers.
import { countChars } from './text';
import type { NewPoll, Poll, PollKind, PollPatch, PollResults, PollResultsMode, PollView, StreamEvent, Vote } from '../types';

/** Whether the audience sees a poll's results: live ones, or hidden ones staff revealed. */
export function resultsVisible(p: Pick<Poll, 'state' | 'results_mode' | 'revealed'>): boolean {
  return p.state !== 'draft' && (p.results_mode === 'live' || p.revealed);
}

function time(s: string | null | undefined): number {
  const n = s ? Date.parse(s) : NaN;
  return Number.isFinite(n) ? n : 0;
}

function stripView(v: PollView | Poll): Poll {
  const { results: _r, my_vote: _m, ...p } = v as PollView;
  return p;
}

export class PollsState {
  private polls = new Map<number, Poll>();
  /** Results by poll id; may be held before the poll itself arrives. */
  private res = new Map<number, PollResults>();
  private votes = new Map<number, Vote>();
  /** Polls deleted, by the version of their deletion: an older message does not bring one back. */
  private gone = new Map<number, number>();
  /** Bumped on every change: a cheap key for memoised views. */
  rev = 0;
  /** Whether a snapshot has been merged (until then the list is only what the stream brought). */
  loaded = false;

  constructor(views: PollView[] = []) {
    for (const v of views) this.takeView(v);
  }

  /** Takes a poll if it is newer than the one held (and than its deletion). */
  putPoll(p: Poll): boolean {
    const cur = this.polls.get(p.id);
    if (cur && cur.version >= p.version) return false;
    const del = this.gone.get(p.id);
    if (del !== undefined && del >= p.version) return false;
    this.polls.set(p.id, stripView(p));
    return this.bump();
  }

  /** Takes results if they are newer than the ones held. */
  putResults(r: PollResults): boolean {
    const cur = this.res.get(r.poll_id);
    if (cur && cur.version >= r.version) return false;
    this.res.set(r.poll_id, r);
    return this.bump();
  }

  /** Forgets a poll deleted at version (its results and the viewer's vote with it). */
  remove(id: number, version: number): boolean {
    const del = this.gone.get(id);
    if (del === undefined || version > del) this.gone.set(id, version);
    const had = this.polls.has(id) || this.res.has(id) || this.votes.has(id);
    this.polls.delete(id);
    this.res.delete(id);
    this.votes.delete(id);
    return had ? this.bump() : false;
  }

  /** Forgets a poll the viewer deleted (their DELETE was answered): no later copy brings it back. */
  deleted(id: number): boolean {
    return this.remove(id, Infinity);
  }

  /** The viewer's vote, from their own PUT …/vote (or a snapshot). */
  setMyVote(pollID: number, v: Vote | null): boolean {
    const cur = this.votes.get(pollID) ?? null;
    if (v === null) {
      if (!cur) return false;
      this.votes.delete(pollID);
      return this.bump();
    }
    if (cur && cur.id === v.id && cur.status === v.status && cur.updated_at === v.updated_at && cur.text === v.text) return false;
    this.votes.set(pollID, v);
    return this.bump();
  }

  private takeView(v: PollView): boolean {
    let did = this.putPoll(v);
    if (v.results) did = this.putResults(v.results) || did;
    if (v.my_vote) {
      const cur = this.votes.get(v.id);
      // The later of the snapshot's and the one held (a vote in flight may be newer).
      if (!cur || time(v.my_vote.updated_at) >= time(cur.updated_at)) did = this.setMyVote(v.id, v.my_vote) || did;
    }
    return did;
  }

  /** The ids of the polls held now: give them to merge() of a snapshot read after this call. */
  known(): number[] {
    return [...this.polls.keys()];
  }

  /**
   * Takes a fresh snapshot (after the questions' list, or after a resume
   * that lost history) by the version rule. A poll of knownBefore (held
   * before the snapshot was read) that the snapshot no longer lists was
   * deleted meanwhile; a poll that arrived by the stream since is kept.
   */
  merge(views: PollView[], knownBefore: number[] = []): boolean {
    let did = false;
    if (!this.loaded) {
      this.loaded = true;
      did = this.bump();
    }
    const listed = new Set<number>();
    for (const v of views) {
      listed.add(v.id);
      did = this.takeView(v) || did;
    }
    for (const id of knownBefore) {
      const p = this.polls.get(id);
      if (p && !listed.has(id)) did = this.remove(id, p.version) || did;
    }
    return did;
  }

  /** Applies one stream message; returns whether anything changed. Other types are ignored. */
  apply(ev: StreamEvent): boolean {
    switch (ev.type) {
      case 'poll.created':
      case 'poll.updated':
        return this.putPoll(ev.data as Poll);
      case 'poll.deleted': {
        const p = ev.data as Poll;
        return this.remove(p.id, p.version);
      }
      case 'poll.results':
        return this.putResults(ev.data as PollResults);
    }
    return false;
  }

  applyAll(evs: StreamEvent[]): boolean {
    let did = false;
    for (const ev of evs) did = this.apply(ev) || did;
    return did;
  }

  get(id: number): Poll | undefined {
    return this.polls.get(id);
  }

  /** The talk's polls, oldest first. */
  list(): Poll[] {
    return [...this.polls.values()].sort((a, b) => a.id - b.id);
  }

  /**
   * The poll to show: the open one (the last opened, should two be held
   * for a moment), else the most recently closed one whose results the
   * audience sees, else null.
   */
  current(): Poll | null {
    let closed: Poll | null = null;
    for (const p of this.polls.values()) {
      if (p.state === 'closed' && resultsVisible(p)) {
        if (!closed || time(p.closed_at) > time(closed.closed_at) || (time(p.closed_at) === time(closed.closed_at) && p.id > closed.id)) closed = p;
      }
    }
    return this.open() ?? closed;
  }

  /** The open poll (the server keeps at most one; the last opened, should two be held for a moment), else null. */
  open(): Poll | null {
    let open: Poll | null = null;
    for (const p of this.polls.values()) {
      if (p.state !== 'open') continue;
      if (!open || time(p.opened_at) > time(open.opened_at) || (time(p.opened_at) === time(open.opened_at) && p.id > open.id)) open = p;
    }
    return open;
  }

  /**
   * A poll's results as the viewer may see them: staff always, everyone
   * else only while they are visible (so results held from before staff
   * hid them again are not shown); null for none held.
   */
  results(pollID: number, staff = false): PollResults | null {
    const p = this.polls.get(pollID);
    const r = this.res.get(pollID) ?? null;
    if (!p || !r) return null;
    return staff || resultsVisible(p) ? r : null;
  }

  myVote(pollID: number): Vote | null {
    return this.votes.get(pollID) ?? null;
  }

  /**
   * The polls whose results the viewer may see but holds none of (a
   * poll.updated just revealed them): fetch these once.
   */
  missingResults(staff = false): number[] {
    const out: number[] = [];
    for (const p of this.polls.values()) {
      if (p.state === 'draft' || this.res.has(p.id)) continue;
      if (staff || resultsVisible(p)) out.push(p.id);
    }
    return out;
  }

  /** Whether the viewer's word answer to any poll waits for moderation. */
  anyPending(): boolean {
    for (const [id, v] of this.votes) if (v.status === 'pending' && this.polls.get(id)?.state === 'open') return true;
    return false;
  }

  private bump(): true {
    this.rev++;
    return true;
  }
}

// The staff's new-poll and edit form.

/** Limits the server keeps (poll.go); the form uses them for counters and bounds. */
export const pollLimits = { question: 200, option: 80, minOptions: 2, maxOptions: 10 } as const;

export interface PollForm {
  kind: PollKind;
  question: string;
  /** The option fields as typed (choice). */
  options: string[];
  multiple: boolean;
  results_mode: PollResultsMode;
}

export function emptyForm(kind: PollKind = 'choice'): PollForm {
  return { kind, question: '', options: ['', ''], multiple: false, results_mode: 'live' };
}

/** The form for editing p. */
export function formOf(p: Poll): PollForm {
  return {
    kind: p.kind,
    question: p.question,
    options: p.kind === 'choice' ? p.options.map((o) => o.label) : ['', ''],
    multiple: p.multiple,
    results_mode: p.results_mode,
  };
}

export function addOption(f: PollForm): PollForm {
  return f.options.length >= pollLimits.maxOptions ? f : { ...f, options: [...f.options, ''] };
}

export function removeOption(f: PollForm, i: number): PollForm {
  return f.options.length <= pollLimits.minOptions ? f : { ...f, options: f.options.filter((_, j) => j !== i) };
}

function labels(f: PollForm): string[] {
  return f.options.map((o) => o.trim());
}

/** The body of POST …/polls for the form. */
export function newPollBody(f: PollForm): NewPoll {
  const body: NewPoll = { kind: f.kind, question: f.question.trim(), results_mode: f.results_mode };
  if (f.kind === 'choice') {
    body.options = labels(f);
    body.multiple = f.multiple;
  }
  return body;
}

/**
 * The body of PATCH …/polls/{id} that turns p into the form: only what
 * changed, so that a change of the results mode alone still goes through
 * once votes count (the definition — question, options, multiple — is
 * locked then, and the server answers 409 for it). Null when nothing changed.
 */
export function patchBody(p: Poll, f: PollForm): PollPatch | null {
  const body: PollPatch = {};
  const q = f.question.trim();
  if (q !== p.question) body.question = q;
  if (p.kind === 'choice') {
    const ls = labels(f);
    if (ls.length !== p.options.length || ls.some((l, i) => l !== p.options[i].label)) body.options = ls;
    if (f.multiple !== p.multiple) body.multiple = f.multiple;
  }
  if (f.results_mode !== p.results_mode) body.results_mode = f.results_mode;
  return Object.keys(body).length ? body : null;
}

/** Whether a patch changes the poll's definition (what votes lock). */
export function definesPoll(b: PollPatch): boolean {
  return b.question !== undefined || b.options !== undefined || b.multiple !== undefined;
}

export type FormProblem =
  | { field: 'question'; what: 'empty' | 'too_long' }
  | { field: 'options'; what: 'empty' | 'too_long' | 'twice'; index: number };

/**
 * What keeps the form from being sent, to say beside its field before the
 * server would: an empty question or option, one too long, one given
 * twice. The server checks again (and more: invisible characters…).
 */
export function formProblems(f: PollForm): FormProblem[] {
  const out: FormProblem[] = [];
  const q = f.question.trim();
  if (!q) out.push({ field: 'question', what: 'empty' });
  else if (countChars(q) > pollLimits.question) out.push({ field: 'question', what: 'too_long' });
  if (f.kind === 'choice') {
    const seen = new Set<string>();
    labels(f).forEach((l, index) => {
      if (!l) out.push({ field: 'options', what: 'empty', index });
      else if (countChars(l) > pollLimits.option) out.push({ field: 'options', what: 'too_long', index });
      else if (seen.has(l)) out.push({ field: 'options', what: 'twice', index });
      seen.add(l);
    });
  }
  return out;
}

/** The actions the server allows a poll in its state (the buttons shown). */
export function pollActions(p: Poll): { open: boolean; close: boolean; reopen: boolean; reveal: boolean; hide: boolean } {
  return {
    open: p.state === 'draft',
    close: p.state === 'open',
    reopen: p.state === 'closed',
    reveal: p.results_mode === 'hidden' && !p.revealed && p.state !== 'draft',
    hide: p.results_mode === 'hidden' && p.revealed,
  };
}
