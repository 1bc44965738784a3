// Keeps a TalkState (or a Programme) current: load the snapshot, follow the
// stream from the snapshot's cursor, and on reset load again and follow
// from the new cursor.
import type { Api, Sort } from '../api';
import type { LiveClient } from '../live';
import type { Question, StreamEvent } from '../types';
import { TalkState } from './questions';
import { Programme } from './talks';

/** Most questions one talk's snapshot loads (200 a page). */
const maxQuestions = 2000;

type SnapshotApi = Pick<Api, 'questions' | 'talk'>;

/**
 * Loads a talk's questions: every page of each list, plus the talk. The
 * first list's cursor is read by the server before any of the lists, so
 * following the stream from it misses nothing.
 */
export async function loadTalk(api: SnapshotApi, eventID: number, talkID: number, staff: boolean) {
  const sorts: Sort[] = staff ? ['top', 'answered', 'hidden'] : ['top', 'answered'];
  let cursor: string | null = null;
  const questions: Question[] = [];
  for (const sort of sorts) {
    let page: string | null = null;
    do {
      const res = await api.questions(eventID, talkID, sort, page);
      if (cursor === null) cursor = res.stream.cursor;
      questions.push(...res.questions);
      page = res.next_cursor;
    } while (page && questions.length < maxQuestions);
  }
  const talk = await api.talk(eventID, talkID);
  return { talk, questions, cursor };
}

export class TalkSession {
  readonly state = new TalkState();
  private unsubscribe: (() => void) | null = null;
  private stopped = false;
  private reloading: Promise<void> | null = null;
  /** Others that read the talk's topic too (one subscription per topic): each batch of its events, ephemeral ones (reactions) included, and each fresh snapshot after a reset (reloaded: what they keep of the talk may have missed events). */
  private followers = new Map<(evs: StreamEvent[]) => void, (() => void) | undefined>();

  follow(fn: (evs: StreamEvent[]) => void, reloaded?: () => void): () => void {
    this.followers.set(fn, reloaded);
    return () => this.followers.delete(fn);
  }

  constructor(
    private api: SnapshotApi,
    private live: Pick<LiveClient, 'subscribe' | 'resubscribe'>,
    readonly eventID: number,
    readonly talkID: number,
    private staff: boolean,
    private onError: (err: unknown) => void = () => {},
  ) {}

  get topic(): string {
    return `talk:${this.talkID}`;
  }

  /** Loads the snapshot and starts following the talk. */
  async start(): Promise<void> {
    const snap = await loadTalk(this.api, this.eventID, this.talkID, this.staff);
    if (this.stopped) return;
    this.state.load(snap.talk, snap.questions);
    this.unsubscribe = this.live.subscribe(this.topic, snap.cursor, {
      events: (evs) => {
        this.state.applyAll(evs);
        for (const f of [...this.followers.keys()]) f(evs);
      },
      reset: () => void this.reload(),
      error: (code) => {
        if (code === 'not_found') this.onError(new Error('not_found'));
      },
    });
  }

  /** After a reset: a fresh snapshot, then follow from its cursor. */
  reload(): Promise<void> {
    if (!this.reloading) {
      this.reloading = this.reloadOnce().finally(() => (this.reloading = null));
    }
    return this.reloading;
  }

  private async reloadOnce(): Promise<void> {
    for (let attempt = 0; !this.stopped; attempt++) {
      try {
        const snap = await loadTalk(this.api, this.eventID, this.talkID, this.staff);
        if (this.stopped) return;
        this.state.load(snap.talk, snap.questions);
        this.live.resubscribe(this.topic, snap.cursor);
        for (const r of [...this.followers.values()]) r?.();
        return;
      } catch (err) {
        this.onError(err);
        await new Promise((r) => setTimeout(r, Math.min(10_000, 1000 * 2 ** attempt)));
      }
    }
  }

  stop(): void {
    this.stopped = true;
    this.unsubscribe?.();
  }
}


type ProgrammeApi = Pick<Api, 'talks' | 'event'>;

/** Keeps an event and its talks current through the "event" topic. */
export class ProgrammeSession {
  readonly programme = new Programme();
  private unsubscribe: (() => void) | null = null;
  private stopped = false;
  /** Others that read the "event" topic too (one subscription per topic): its events, and each fresh snapshot after a reset. */
  private followers = new Set<{ events(evs: StreamEvent[]): void; reloaded(): void }>();

  follow(f: { events(evs: StreamEvent[]): void; reloaded(): void }): () => void {
    this.followers.add(f);
    return () => this.followers.delete(f);
  }

  constructor(
    private api: ProgrammeApi,
    private live: Pick<LiveClient, 'subscribe' | 'resubscribe'>,
    readonly eventID: number,
  ) {}

  private async snapshot() {
    const list = await this.api.talks(this.eventID);
    const event = await this.api.event(this.eventID);
    return { list, event };
  }

  async start(): Promise<void> {
    const { list, event } = await this.snapshot();
    if (this.stopped) return;
    this.programme.load(event, list.talks);
    this.unsubscribe = this.live.subscribe('event', list.stream.cursor, {
      events: (evs) => {
        this.programme.applyAll(evs);
        for (const f of [...this.followers]) f.events(evs);
      },
      reset: () => void this.reload(),
    });
  }

  private async reload(): Promise<void> {
    for (let attempt = 0; !this.stopped; attempt++) {
      try {
        const { list, event } = await this.snapshot();
        if (this.stopped) return;
        this.programme.load(event, list.talks);
        this.live.resubscribe('event', list.stream.cursor);
        for (const f of [...this.followers]) f.reloaded();
        return;
      } catch {
        await new Promise((r) => setTimeout(r, Math.min(10_000, 1000 * 2 ** attempt)));
      }
    }
  }

  stop(): void {
    this.stopped = true;
    this.unsubscribe?.();
  }
}
