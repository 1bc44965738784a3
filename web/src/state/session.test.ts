import { describe, expect, it } from 'vitest';
import type { Handlers } from '../live';
import type { Question, QuestionList } from '../types';
import { TalkSession } from './session';
import { ev, question, talk } from './fixtures';

function fakeApi(pages: Record<string, QuestionList[]>) {
  const calls: string[] = [];
  return {
    calls,
    api: {
      questions: async (_e: number, _t: number, sort: string, cursor?: string | null) => {
        calls.push(`${sort}:${cursor ?? ''}`);
        return pages[sort][cursor ? Number(cursor) : 0];
      },
      talk: async () => talk({ version: 2 }),
    },
  };
}

const page = (qs: Question[], cursor: string, next: string | null = null): QuestionList => ({
  questions: qs, next_cursor: next, stream: { topic: 'talk:1', cursor },
});

function fakeLive() {
  const subs: { topic: string; cursor: string | null; h: Handlers }[] = [];
  const resubs: { topic: string; cursor: string | null }[] = [];
  return {
    subs,
    resubs,
    live: {
      subscribe: (topic: string, cursor: string | null, h: Handlers) => {
        subs.push({ topic, cursor, h });
        return () => {};
      },
      resubscribe: (topic: string, cursor: string | null) => void resubs.push({ topic, cursor }),
    },
  };
}

describe('talk session', () => {
  it('loads every page of each list and follows from the first cursor', async () => {
    const f = fakeApi({
      top: [page([question(1), question(2)], 'ep-10', '1'), page([question(3)], 'ep-11')],
      answered: [page([question(4, { answered: true })], 'ep-12')],
    });
    const l = fakeLive();
    const s = new TalkSession(f.api as never, l.live as never, 1, 1, false);
    await s.start();
    expect(f.calls).toEqual(['top:', 'top:1', 'answered:']);
    expect(s.state.all()).toHaveLength(4);
    expect(l.subs).toHaveLength(1);
    expect(l.subs[0]).toMatchObject({ topic: 'talk:1', cursor: 'ep-10' });
    // Events after the cursor that the snapshot already reflects are harmless.
    l.subs[0].h.events([ev('question.created', question(3)), ev('question.created', question(5))]);
    expect(s.state.all()).toHaveLength(5);
  });

  it('staff load the hidden list too', async () => {
    const f = fakeApi({ top: [page([], 'ep-1')], answered: [page([], 'ep-2')], hidden: [page([question(9, { hidden: true })], 'ep-3')] });
    const s = new TalkSession(f.api as never, fakeLive().live as never, 1, 1, true);
    await s.start();
    expect(f.calls).toEqual(['top:', 'answered:', 'hidden:']);
    expect(s.state.list('hidden').map((q) => q.id)).toEqual([9]);
  });

  it('on reset reloads the snapshot and resubscribes from its cursor', async () => {
    let n = 0;
    const api = {
      questions: async (_e: number, _t: number, sort: string) => {
        if (sort !== 'top') return page([], 'x-0');
        n++;
        return n === 1 ? page([question(1)], 'old-3') : page([question(1), question(2)], 'new-7');
      },
      talk: async () => talk(),
    };
    const l = fakeLive();
    const s = new TalkSession(api as never, l.live as never, 1, 1, false);
    await s.start();
    expect(s.state.all()).toHaveLength(1);
    expect(l.subs[0].cursor).toBe('old-3');
    l.subs[0].h.reset('unknown_epoch');
    await s.reload(); // joins the reload the reset started
    expect(l.resubs).toEqual([{ topic: 'talk:1', cursor: 'new-7' }]);
    expect(s.state.all().map((q) => q.id).sort()).toEqual([1, 2]);
  });
});

describe('talk session followers', () => {
  it('hands each batch of the talk topic, ephemeral events included, to its followers until they stop', async () => {
    const f = fakeApi({ top: [page([], 'ep-1')], answered: [page([], 'ep-2')] });
    const l = fakeLive();
    const s = new TalkSession(f.api as never, l.live as never, 1, 1, false);
    await s.start();
    const got: string[][] = [];
    const off = s.follow((evs) => got.push(evs.map((e) => e.type)));
    const reactions = { type: 'reactions', time: '', data: { '👏': 2 } };
    l.subs[0].h.events([reactions, ev('question.created', question(1))]);
    expect(got).toEqual([['reactions', 'question.created']]);
    expect(s.state.all()).toHaveLength(1); // the state still gets them
    off();
    l.subs[0].h.events([reactions]);
    expect(got).toHaveLength(1);
  });
});
