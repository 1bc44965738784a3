import { describe, expect, it } from 'vitest';
import { orderTalks, phase, pickTalk, Programme } from './talks';
import { ev, talk } from './fixtures';

const now = Date.parse('2026-05-01T12:00:00Z');
const at = (h: number, m = 0) => new Date(Date.UTC(2026, 4, 1, h, m)).toISOString();

describe('talks', () => {
  const past = talk({ id: 1, title: 'past', starts_at: at(9), ends_at: at(10) });
  const live = talk({ id: 2, title: 'live', starts_at: at(11, 30), ends_at: at(12, 30) });
  const next = talk({ id: 3, title: 'next', starts_at: at(13) });
  const later = talk({ id: 4, title: 'later', starts_at: at(15) });
  const tbd = talk({ id: 5, title: 'tbd' });
  const earlier = talk({ id: 6, title: 'earlier', starts_at: at(8), ends_at: at(8, 30) });

  it('knows the phase of a talk', () => {
    expect(phase(live, now)).toBe('live');
    expect(phase(past, now)).toBe('past');
    expect(phase(next, now)).toBe('upcoming');
    expect(phase(tbd, now)).toBe('unscheduled');
    // without an end, a talk lasts an hour
    expect(phase(talk({ starts_at: at(11, 15) }), now)).toBe('live');
    expect(phase(talk({ starts_at: at(10, 30) }), now)).toBe('past');
  });

  it('orders live, upcoming, unscheduled, past (latest first)', () => {
    expect(orderTalks([earlier, later, tbd, past, next, live], now).map((t) => t.title)).toEqual([
      'live', 'next', 'later', 'tbd', 'past', 'earlier',
    ]);
    expect(pickTalk([past, next, live], now)!.id).toBe(2);
    expect(pickTalk([past, next], now)!.id).toBe(3);
    expect(pickTalk([], now)).toBeUndefined();
  });

  it('keeps the programme current by version', () => {
    const p = new Programme();
    p.load(null, [talk({ id: 1, version: 2, title: 'a' })]);
    p.applyAll([ev('talk.updated', talk({ id: 1, version: 1, title: 'stale' })), ev('talk.created', talk({ id: 2, title: 'new' }))]);
    expect(p.talks.get(1)!.title).toBe('a');
    expect(p.talks.get(2)!.title).toBe('new');
    p.applyAll([ev('talk.updated', talk({ id: 1, version: 3, qa_open: false }))]);
    expect(p.talks.get(1)!.qa_open).toBe(false);
  });

  it('drops a talk on talk.deleted, and tells its listeners', () => {
    const p = new Programme();
    p.load(null, [talk({ id: 1, title: 'a' }), talk({ id: 2, title: 'b' })]);
    let told = 0;
    p.subscribe(() => told++);
    p.applyAll([ev('talk.deleted', talk({ id: 2, title: 'b' }))]);
    expect([...p.talks.keys()]).toEqual([1]);
    expect(told).toBe(1);
    // One it does not have (or no data): nothing changes, nobody is told.
    p.applyAll([ev('talk.deleted', talk({ id: 9 })), ev('talk.deleted', null)]);
    expect([...p.talks.keys()]).toEqual([1]);
    expect(told).toBe(1);
  });
});
