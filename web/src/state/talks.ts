// The programme of an event: which talk is live, what comes next.
import type { KoeEvent, StreamEvent, Talk } from '../types';

export type Phase = 'live' | 'upcoming' | 'past' | 'unscheduled';

/** A talk without an end is taken to last an hour. */
const defaultLength = 60 * 60 * 1000;

export function phase(t: Talk, now: number): Phase {
  if (!t.starts_at) return 'unscheduled';
  const start = Date.parse(t.starts_at);
  const end = t.ends_at ? Date.parse(t.ends_at) : start + defaultLength;
  if (now < start) return 'upcoming';
  if (now < end) return 'live';
  return 'past';
}

const rank: Record<Phase, number> = { live: 0, upcoming: 1, unscheduled: 2, past: 3 };

/** Live talks first, then upcoming (soonest first), unscheduled, past (latest first). */
export function orderTalks(talks: Talk[], now: number): Talk[] {
  return [...talks].sort((a, b) => {
    const pa = phase(a, now);
    const pb = phase(b, now);
    if (pa !== pb) return rank[pa] - rank[pb];
    const sa = a.starts_at ? Date.parse(a.starts_at) : 0;
    const sb = b.starts_at ? Date.parse(b.starts_at) : 0;
    if (pa === 'past') return sb - sa || b.id - a.id;
    return sa - sb || a.id - b.id;
  });
}

/** The talk to open by default: the live one, else the next, else any. */
export function pickTalk(talks: Talk[], now: number): Talk | undefined {
  return orderTalks(talks, now)[0];
}

/** An event's talks, kept current by the "event" topic. */
export class Programme {
  event: KoeEvent | null = null;
  talks = new Map<number, Talk>();
  rev = 0;
  private listeners = new Set<() => void>();

  subscribe(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private changed(): void {
    this.rev++;
    for (const fn of [...this.listeners]) fn();
  }

  load(event: KoeEvent | null, talks: Talk[]): void {
    if (event) this.event = event;
    this.talks = new Map(talks.map((t) => [t.id, t]));
    this.changed();
  }

  putTalk(t: Talk): boolean {
    const cur = this.talks.get(t.id);
    if (cur && cur.version >= t.version) return false;
    this.talks.set(t.id, t);
    return true;
  }

  putEvent(e: KoeEvent): boolean {
    if (this.event && (this.event.id !== e.id || this.event.version >= e.version)) return false;
    this.event = e;
    return true;
  }

  /** Own staff answers (create/update) go through the same version check. */
  own(x: { talk?: Talk; event?: KoeEvent }): void {
    let did = false;
    if (x.talk) did = this.putTalk(x.talk) || did;
    if (x.event) did = this.putEvent(x.event) || did;
    if (did) this.changed();
  }

  applyAll(events: StreamEvent[]): void {
    let did = false;
    for (const ev of events) {
      if (ev.type === 'talk.created' || ev.type === 'talk.updated') did = this.putTalk(ev.data as Talk) || did;
      else if (ev.type === 'event.updated') did = this.putEvent(ev.data as KoeEvent) || did;
      // An import took the talk out (data: the talk as it was).
      else if (ev.type === 'talk.deleted') did = this.talks.delete((ev.data as Talk | null)?.id ?? 0) || did;
    }
    if (did) this.changed();
  }

  ordered(now: number): Talk[] {
    return orderTalks([...this.talks.values()], now);
  }
}
