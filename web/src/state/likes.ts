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
