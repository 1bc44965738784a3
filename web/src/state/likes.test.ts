import { describe, expect, it } from 'vitest';
import { ApiError } from '../api';
import type { LikeResult } from '../types';
import { LikeChannel, Likes } from './likes';
import { TalkState } from './questions';
import { ev, question, talk } from './fixtures';

/** A fake server whose answers the test releases one by one. */
function fakeServer() {
  const calls: { id: number; liked: boolean; resolve: (r: LikeResult) => void; reject: (e: unknown) => void }[] = [];
  const send = (id: number, liked: boolean) =>
    new Promise<LikeResult>((resolve, reject) => calls.push({ id, liked, resolve, reject }));
  return { calls, send };
}

const tick = () => new Promise((r) => setTimeout(r, 0));

function setup(likes = 3) {
  const s = new TalkState();
  s.load(talk(), [question(1, { likes, version: 4 })]);
  const srv = fakeServer();
  const errors: unknown[] = [];
  const l = new Likes(s, srv.send, (e) => errors.push(e));
  return { s, srv, errors, l };
}

describe('optimistic likes', () => {
  it('shows the like at once and takes the server answer', async () => {
    const { s, srv, l } = setup();
    const p = l.toggle(1);
    expect(s.get(1)).toMatchObject({ likes: 4, liked_by_me: true });
    expect(srv.calls).toHaveLength(1);
    expect(srv.calls[0]).toMatchObject({ id: 1, liked: true });
    // Meanwhile two others liked too: the server says 6.
    srv.calls[0].resolve({ question_id: 1, likes: 6, liked: true, version: 7 });
    await p;
    expect(s.get(1)).toMatchObject({ likes: 6, liked_by_me: true, version: 7 });
    expect(s.pendingLike(1)).toBeUndefined();
  });

  it('rolls back on error and reports it', async () => {
    const { s, srv, l, errors } = setup();
    const p = l.toggle(1);
    expect(s.get(1)!.likes).toBe(4);
    srv.calls[0].reject(new ApiError(429, 'rate_limited', 'slow down', 12));
    await p;
    expect(s.get(1)).toMatchObject({ likes: 3, liked_by_me: false });
    expect(errors).toHaveLength(1);
    expect((errors[0] as ApiError).retryAfter).toBe(12);
  });

  it('rolls back to the newest server count, not the count before the tap', async () => {
    const { s, srv, l } = setup();
    const p = l.toggle(1);
    s.apply(ev('question.likes', { id: 1, likes: 10, version: 9 }));
    expect(s.get(1)!.likes).toBe(11); // others' likes plus ours, optimistically
    srv.calls[0].reject(new ApiError(0, 'network', 'network error'));
    await p;
    expect(s.get(1)).toMatchObject({ likes: 10, liked_by_me: false });
  });

  it('sends one request at a time and the last wish wins', async () => {
    const { s, srv, l } = setup();
    const p = l.toggle(1); // like
    void l.toggle(1); // unlike while the like is in flight
    expect(s.get(1)).toMatchObject({ likes: 3, liked_by_me: false });
    expect(srv.calls).toHaveLength(1);
    srv.calls[0].resolve({ question_id: 1, likes: 4, liked: true, version: 5 });
    await tick();
    expect(srv.calls).toHaveLength(2);
    expect(srv.calls[1]).toMatchObject({ liked: false });
    expect(s.get(1)).toMatchObject({ likes: 3, liked_by_me: false }); // still shows the wish
    srv.calls[1].resolve({ question_id: 1, likes: 3, liked: false, version: 6 });
    await p;
    expect(s.get(1)).toMatchObject({ likes: 3, liked_by_me: false, version: 6 });
    expect(srv.calls).toHaveLength(2);
  });

  it('does not let a stale answer lower a newer count', async () => {
    const { s, srv, l } = setup();
    const p = l.toggle(1);
    s.apply(ev('question.likes', { id: 1, likes: 8, version: 12 }));
    srv.calls[0].resolve({ question_id: 1, likes: 4, liked: true, version: 5 });
    await p;
    expect(s.get(1)).toMatchObject({ likes: 8, liked_by_me: true });
  });

  it('unlikes a question liked before', async () => {
    const s = new TalkState();
    s.load(talk(), [question(1, { likes: 2, liked_by_me: true, version: 3 })]);
    const srv = fakeServer();
    const l = new Likes(s, srv.send, () => {});
    const p = l.toggle(1);
    expect(s.get(1)).toMatchObject({ likes: 1, liked_by_me: false });
    srv.calls[0].resolve({ question_id: 1, likes: 1, liked: false, version: 4 });
    await p;
    expect(s.get(1)).toMatchObject({ likes: 1, liked_by_me: false });
  });
});

describe('likes across tabs', () => {
  const until = async (ok: () => boolean) => {
    for (let i = 0; i < 100 && !ok(); i++) await new Promise((r) => setTimeout(r, 5));
    expect(ok()).toBe(true);
  };

  it("presses the button in the participant's other tab, and follows an unlike", async () => {
    const tab = () => {
      const s = new TalkState();
      s.load(talk(), [question(1, { likes: 3, version: 4 })]);
      const ch = new LikeChannel(1, 'p7', (r) => s.likedElsewhere(r));
      const srv = fakeServer();
      return { s, ch, srv, l: new Likes(s, srv.send, () => {}, (r) => ch.post(r)) };
    };
    const a = tab();
    const b = tab();
    const stranger = new TalkState(); // another participant's tab in the same browser
    stranger.load(talk(), [question(1, { likes: 3, version: 4 })]);
    const other = new LikeChannel(1, 'p8', (r) => stranger.likedElsewhere(r));
    try {
      const p = a.l.toggle(1);
      a.srv.calls[0].resolve({ question_id: 1, likes: 4, liked: true, version: 5 });
      await p;
      await until(() => b.s.liked(1));
      expect(b.s.get(1)).toMatchObject({ likes: 4, liked_by_me: true, version: 5 });
      const q = a.l.toggle(1);
      a.srv.calls[1].resolve({ question_id: 1, likes: 3, liked: false, version: 6 });
      await q;
      await until(() => !b.s.liked(1));
      expect(b.s.get(1)).toMatchObject({ likes: 3, liked_by_me: false });
      // A stale answer (version 5) does not undo the newer state.
      b.s.likedElsewhere({ question_id: 1, likes: 4, liked: true, version: 5 });
      expect(b.s.liked(1)).toBe(false);
      expect(stranger.liked(1)).toBe(false);
    } finally {
      a.ch.close();
      b.ch.close();
      other.close();
    }
  });
});
