// The client's model of one talk's Q&A: a snapshot plus the real-time
// events after its cursor (docs/architecture.md, "Consistency between
// snapshot and stream"). Every record carries a version and an older
// version never overwrites a newer one, so events may arrive in any order
// relative to the snapshot and to API answers and the state still never
// goes backwards. Likes are also shown optimistically (see likes.ts).
import type { LikeResult, LikesUpdate, Presence, Question, Reply, StreamEvent, Talk } from '../types';

export type Tab = 'top' | 'recent' | 'answered' | 'hidden';

/** Top: unanswered by likes, ties oldest first (the server's order). */
export function byTop(a: Question, b: Question): number {
  return b.likes - a.likes || a.id - b.id;
}

/** Recent: newest first. Ids grow with time. */
export function byRecent(a: Question, b: Question): number {
  return b.id - a.id;
}

/** Answered: most recently answered first. */
export function byAnswered(a: Question, b: Question): number {
  const ta = a.answered_at ? Date.parse(a.answered_at) : 0;
  const tb = b.answered_at ? Date.parse(b.answered_at) : 0;
  return tb - ta || b.id - a.id;
}

/** Whether a question is public: approved (a server without moderation sends no status). */
export function approved(q: Pick<Question, 'status'>): boolean {
  return !q.status || q.status === 'approved';
}

/**
 * The questions a tab lists, in its order. A question waiting for review or
 * rejected is listed only to its asker (the server sends it to nobody
 * else), first in Top and Recent, where the asker looks for it.
 */
export function view(questions: Iterable<Question>, tab: Tab, exclude = 0): Question[] {
  const out: Question[] = [];
  const own: Question[] = [];
  for (const q of questions) {
    if (q.id === exclude) continue;
    if (!approved(q)) {
      if (q.mine && !q.hidden && (tab === 'top' || tab === 'recent')) own.push(q);
      continue;
    }
    const keep =
      tab === 'hidden' ? q.hidden : tab === 'answered' ? q.answered && !q.hidden : !q.answered && !q.hidden;
    if (keep) out.push(q);
  }
  return [...own.sort(byRecent), ...out.sort(tab === 'top' ? byTop : tab === 'answered' ? byAnswered : byRecent)];
}

export class TalkState {
  talk: Talk | null = null;
  /** Connections following the talk (presence events); null until told. */
  presence: number | null = null;
  /** Bumped on every change: a cheap key for memoised views. */
  rev = 0;

  private base = new Map<number, Question>();
  /** The version at which each question's like count was last set. */
  private likesVersion = new Map<number, number>();
  /** Questions removed from the public stream, by the version of removal. */
  private removed = new Map<number, number>();
  /** Optimistic like state the user asked for and the server has not confirmed. */
  private pending = new Map<number, boolean>();
  private replies = new Map<number, Reply[]>();
  private listeners = new Set<() => void>();

  subscribe(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private changed(): void {
    this.rev++;
    for (const fn of [...this.listeners]) fn();
  }

  /** Replaces everything with a fresh snapshot (first load or after a reset). */
  load(talk: Talk, questions: Question[]): void {
    this.talk = talk;
    this.base.clear();
    this.likesVersion.clear();
    this.removed.clear();
    this.replies.clear();
    for (const q of questions) this.put(q);
    // Optimistic likes outlive a reload: their requests are still in flight.
    this.changed();
  }

  private put(q: Question): void {
    this.base.set(q.id, q);
    this.likesVersion.set(q.id, q.version);
  }

  /**
   * Takes a question's full state if it is newer than what is held. Fields
   * that depend on who looks (mine, liked_by_me) are kept from what is held
   * unless `own` says the question came from this viewer's own request.
   */
  upsert(q: Question, own = false): boolean {
    const cur = this.base.get(q.id);
    const gone = this.removed.get(q.id);
    if (!cur && gone !== undefined && q.version <= gone) return false;
    if (cur && q.version <= cur.version) {
      if (own && (q.mine !== cur.mine || q.liked_by_me !== cur.liked_by_me)) {
        this.base.set(q.id, { ...cur, mine: cur.mine || q.mine, liked_by_me: q.liked_by_me });
        return true;
      }
      return false;
    }
    const next: Question = { ...q };
    if (cur) {
      if (!own) {
        next.mine = cur.mine;
        next.liked_by_me = cur.liked_by_me;
      } else {
        next.mine = cur.mine || q.mine;
      }
      // A newer like count may already have arrived (question.likes).
      if ((this.likesVersion.get(q.id) ?? 0) >= q.version) next.likes = cur.likes;
    }
    this.removed.delete(q.id);
    this.base.set(q.id, next);
    this.likesVersion.set(q.id, Math.max(this.likesVersion.get(q.id) ?? 0, q.version));
    return true;
  }

  private setLikes(id: number, likes: number, version: number): boolean {
    const cur = this.base.get(id);
    if (!cur) return false; // unknown (e.g. hidden from us): nothing to count
    if (version <= (this.likesVersion.get(id) ?? 0)) return false;
    this.likesVersion.set(id, version);
    this.base.set(id, { ...cur, likes, version: Math.max(cur.version, version) });
    return true;
  }

  private remove(id: number, version: number): boolean {
    const cur = this.base.get(id);
    if (cur && cur.version > version) return false;
    this.removed.set(id, Math.max(version, this.removed.get(id) ?? 0));
    if (!cur) return false;
    this.base.delete(id);
    return true;
  }

  private setTalk(t: Talk): boolean {
    if (this.talk && (t.id !== this.talk.id || t.version <= this.talk.version)) return false;
    this.talk = t;
    return true;
  }

  /** Applies one stream event; returns whether anything changed. */
  apply(ev: StreamEvent, notify = true): boolean {
    let did = false;
    switch (ev.type) {
      case 'question.created':
        // A question already held (from the snapshot or our own POST) is ignored.
        did = !this.base.has((ev.data as Question).id) && this.upsert(ev.data as Question);
        break;
      case 'question.updated':
        did = this.upsert(ev.data as Question);
        break;
      case 'question.removed': {
        const d = ev.data as { id: number; version?: number };
        did = this.remove(d.id, d.version ?? Number.MAX_SAFE_INTEGER);
        break;
      }
      case 'question.likes': {
        const d = ev.data as LikesUpdate;
        did = this.setLikes(d.id, d.likes, d.version);
        break;
      }
      case 'reply.created':
        did = this.addReply(ev.data as Reply, false);
        break;
      case 'reply.updated':
        // A reply approved by a moderator: new to the others, no longer
        // waiting for its author.
        did = this.updateReply(ev.data as Reply);
        break;
      case 'talk.updated':
        did = this.setTalk(ev.data as Talk);
        break;
      case 'presence':
        did = this.presence !== (ev.data as Presence).connections;
        this.presence = (ev.data as Presence).connections;
        break;
      default:
        return false; // types this client does not know yet
    }
    if (did && notify) this.changed();
    return did;
  }

  /** Applies a batch, notifying once. */
  applyAll(events: StreamEvent[]): boolean {
    let did = false;
    for (const ev of events) did = this.apply(ev, false) || did;
    if (did) this.changed();
    return did;
  }

  /** Takes a question from this viewer's own request (ask, staff edit). */
  own(q: Question): void {
    if (this.upsert(q, true)) this.changed();
  }

  /** Takes a talk from a staff request's answer. */
  ownTalk(t: Talk): void {
    if (this.setTalk(t)) this.changed();
  }

  // Optimistic likes.

  /** The like state shown for id: the pending wish, else the server's. */
  liked(id: number): boolean {
    return this.pending.get(id) ?? this.base.get(id)?.liked_by_me ?? false;
  }

  pendingLike(id: number): boolean | undefined {
    return this.pending.get(id);
  }

  setPendingLike(id: number, liked: boolean): void {
    this.pending.set(id, liked);
    this.changed();
  }

  clearPendingLike(id: number): void {
    if (this.pending.delete(id)) this.changed();
  }

  /** The server's answer to a like or unlike. */
  likeResult(r: LikeResult): void {
    const cur = this.base.get(r.question_id);
    if (!cur) return;
    if (cur.liked_by_me !== r.liked) this.base.set(r.question_id, { ...cur, liked_by_me: r.liked });
    this.setLikes(r.question_id, r.likes, r.version);
    this.changed();
  }

  /**
   * The viewer's own like or unlike made in another tab (LikeChannel): taken
   * unless this tab already knows a newer state of the question.
   */
  likedElsewhere(r: LikeResult): void {
    const cur = this.base.get(r.question_id);
    if (!cur || r.version < (this.likesVersion.get(r.question_id) ?? 0)) return;
    this.likeResult(r);
  }

  // Replies.

  repliesOf(id: number): Reply[] | undefined {
    return this.replies.get(id);
  }

  setReplies(id: number, list: Reply[]): void {
    const have = this.replies.get(id) ?? [];
    const byID = new Map<number, Reply>();
    for (const r of [...list, ...have]) byID.set(r.id, r);
    this.replies.set(id, [...byID.values()].sort((a, b) => a.id - b.id));
    this.changed();
  }

  /** Adds a reply to a thread that is loaded; `own` adds it even if not. */
  addReply(r: Reply, own = true): boolean {
    const list = this.replies.get(r.question_id);
    if (!list) {
      if (!own) return false;
      this.replies.set(r.question_id, [r]);
    } else if (list.some((x) => x.id === r.id)) {
      return false;
    } else {
      this.replies.set(r.question_id, [...list, r].sort((a, b) => a.id - b.id));
    }
    if (own) this.changed();
    return true;
  }

  /** Takes a reply's new state (a moderator's decision) into a thread that is loaded. */
  updateReply(r: Reply): boolean {
    const list = this.replies.get(r.question_id);
    if (!list) return false;
    const i = list.findIndex((x) => x.id === r.id);
    if (i >= 0 && list[i].status === r.status && list[i].body === r.body) return false;
    const next = i >= 0 ? list.map((x, j) => (j === i ? { ...r } : x)) : [...list, r].sort((a, b) => a.id - b.id);
    this.replies.set(r.question_id, next);
    return true;
  }

  // Views.

  /** A question as shown: server state with the optimistic like applied. */
  get(id: number): Question | undefined {
    const q = this.base.get(id);
    if (!q) return undefined;
    const want = this.pending.get(id);
    if (want === undefined || want === q.liked_by_me) return q;
    return { ...q, liked_by_me: want, likes: Math.max(0, q.likes + (want ? 1 : -1)) };
  }

  all(): Question[] {
    return [...this.base.keys()].map((id) => this.get(id)!);
  }

  list(tab: Tab, exclude = 0): Question[] {
    return view(this.all(), tab, exclude);
  }

  counts(): Record<Tab, number> {
    const c = { top: 0, recent: 0, answered: 0, hidden: 0 };
    for (const q of this.base.values()) {
      if (!approved(q)) continue;
      if (q.hidden) c.hidden++;
      else if (q.answered) c.answered++;
      else c.top++;
    }
    c.recent = c.top;
    return c;
  }

  /** The highlighted question, if it is known and visible to this viewer. */
  highlighted(): Question | undefined {
    const id = this.talk?.highlighted_question_id ?? 0;
    const q = id ? this.get(id) : undefined;
    return q && approved(q) ? q : undefined;
  }

  /** The viewer's own questions that wait for review. */
  ownPending(): Question[] {
    return [...this.base.values()].filter((q) => q.mine && q.status === 'pending');
  }

  has(id: number): boolean {
    return this.base.has(id);
  }
}
