// Likes, optimistic: the button flips at once, one request per question is
// in flight at a time, and the server's answer ({likes, liked, version})
// replaces the guess. A user who taps again while a request is out gets
// their last wish sent next; an error rolls the guess back.
import type { LikeResult } from '../types';
import type { TalkState } from './questions';

export type SendLike = (questionID: number, liked: boolean) => Promise<LikeResult>;

export class Likes {
  private inflight = new Set<number>();

  constructor(
    private state: TalkState,
    private send: SendLike,
    private onError: (err: unknown, questionID: number) => void,
    private share?: (r: LikeResult) => void,
  ) {}

  /** Flips the like the user sees on question id. */
  toggle(id: number): Promise<void> {
    this.state.setPendingLike(id, !this.state.liked(id));
    return this.inflight.has(id) ? Promise.resolve() : this.run(id);
  }

  private async run(id: number): Promise<void> {
    this.inflight.add(id);
    try {
      for (;;) {
        const want = this.state.pendingLike(id);
        if (want === undefined) return;
        let res: LikeResult;
        try {
          res = await this.send(id, want);
        } catch (err) {
          this.state.clearPendingLike(id);
          this.onError(err, id);
          return;
        }
        this.state.likeResult(res);
        this.share?.(res);
        if (this.state.pendingLike(id) === want) {
          this.state.clearPendingLike(id);
          return;
        }
        // Tapped again meanwhile: send the newest wish.
      }
    } finally {
      this.inflight.delete(id);
    }
  }
}

/**
 * LikeChannel carries a participant's own like results between the tabs of
 * one browser (which share the participant cookie, so they are the same
 * participant): the like counts reach every tab on the talk's stream, but
 * liked_by_me is the viewer's own and the public stream does not say who
 * liked. Each tab posts the answers to its own likes, and applies the
 * others' with TalkState.likedElsewhere. A tab opened later loads
 * liked_by_me from the server.
 */
export class LikeChannel {
  private ch: BroadcastChannel | null;

  /** who names the participant (the API does not show participants their id: their join time). */
  constructor(eventID: number, who: string, onResult: (r: LikeResult) => void) {
    this.ch = typeof BroadcastChannel === 'undefined' ? null : new BroadcastChannel(`koe.likes.${eventID}.${who}`);
    if (this.ch) {
      this.ch.onmessage = (e: MessageEvent) => {
        const r = e.data as LikeResult | null;
        if (r && typeof r.question_id === 'number' && typeof r.liked === 'boolean' && typeof r.version === 'number' && typeof r.likes === 'number') onResult(r);
      };
    }
  }

  /** Tells the other tabs about a like result of this one. */
  post(r: LikeResult): void {
    this.ch?.postMessage(r);
  }

  close(): void {
    this.ch?.close();
    this.ch = null;
  }
}
