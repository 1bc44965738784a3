import { describe, expect, it } from 'vitest';
import {
  barRects, coarserStep, cumulative, dayKey, fillSlots, floorTo, linePath, linear, minuteMs, niceTicks, peakOf, spanOf, timeTicks, toPoints, tzOffset,
} from './charts';

const at = (iso: string) => Date.parse(iso);
const min5 = 5 * minuteMs;

describe('series on time slots', () => {
  it('reads buckets, oldest first, and skips unreadable ones', () => {
    const pts = toPoints([
      { at: '2026-12-03T10:10:00Z', count: 2 },
      { at: 'not a time', count: 5 },
      { at: '2026-12-03T10:00:00Z', count: 1 },
      { at: '2026-12-03T10:05:00Z', count: -1 },
      { at: '2026-12-03T10:20:00Z', count: Number.NaN },
    ]);
    expect(pts).toEqual([
      { t: at('2026-12-03T10:00:00Z'), v: 1 },
      { t: at('2026-12-03T10:10:00Z'), v: 2 },
    ]);
  });

  it('fills the intervals nobody joined in with 0', () => {
    const pts = toPoints([
      { at: '2026-12-03T10:00:00Z', count: 3 },
      { at: '2026-12-03T10:15:00Z', count: 1 },
    ]);
    const s = fillSlots(pts, min5, pts[0].t, pts[1].t);
    expect(s.map((p) => p.v)).toEqual([3, 0, 0, 1]);
    expect(s.map((p) => new Date(p.t).toISOString().slice(11, 16))).toEqual(['10:00', '10:05', '10:10', '10:15']);
  });

  it('fills a connections series per minute with 0 where nobody was connected, and merges with the largest', () => {
    const pts = toPoints([
      { at: '2026-12-03T10:00:00Z', count: 4 },
      { at: '2026-12-03T10:01:00Z', count: 9 },
      { at: '2026-12-03T10:04:00Z', count: 2 },
    ]);
    expect(fillSlots(pts, minuteMs, pts[0].t, pts[2].t, 'max').map((p) => p.v)).toEqual([4, 9, 0, 0, 2]);
    // Coarser slots of 5 minutes keep the minute's peak, not the sum.
    expect(fillSlots(pts, min5, pts[0].t, pts[2].t, 'max').map((p) => p.v)).toEqual([9]);
    expect(fillSlots(pts, min5, pts[0].t, pts[2].t, 'sum').map((p) => p.v)).toEqual([15]);
  });

  it('leaves out points outside the range and draws nothing for a range backwards or a bad step', () => {
    const pts = [{ t: at('2026-12-03T09:00:00Z'), v: 7 }, { t: at('2026-12-03T10:00:00Z'), v: 1 }];
    expect(fillSlots(pts, min5, at('2026-12-03T10:00:00Z'), at('2026-12-03T10:05:00Z')).map((p) => p.v)).toEqual([1, 0]);
    expect(fillSlots(pts, min5, 10, 0)).toEqual([]);
    expect(fillSlots(pts, 0, 0, 10)).toEqual([]);
    expect(fillSlots(pts, min5, Number.NaN, 10)).toEqual([]);
  });

  it('aligns slots on the epoch like the server', () => {
    expect(floorTo(at('2026-12-03T10:07:30Z'), min5)).toBe(at('2026-12-03T10:05:00Z'));
    expect(floorTo(at('2026-12-03T10:07:30Z'), 60 * minuteMs)).toBe(at('2026-12-03T10:00:00Z'));
  });

  it('adds up a running total and finds the first peak', () => {
    const s = [{ t: 0, v: 2 }, { t: 1, v: 0 }, { t: 2, v: 5 }, { t: 3, v: 5 }];
    expect(cumulative(s).map((p) => p.v)).toEqual([2, 2, 7, 12]);
    expect(peakOf(s)).toEqual({ t: 2, v: 5 });
    expect(peakOf([{ t: 0, v: 0 }])).toBeNull();
    expect(peakOf([])).toBeNull();
  });

  it('spans several series, null when all are empty', () => {
    expect(spanOf([{ t: 5, v: 1 }], [], [{ t: 2, v: 0 }, { t: 9, v: 1 }])).toEqual({ from: 2, to: 9 });
    expect(spanOf([], [])).toBeNull();
  });

  it('coarsens a long span to nice multiples of the step', () => {
    const hour = 60 * minuteMs;
    expect(coarserStep(min5, 2 * hour, 60)).toBe(min5); // 25 slots fit
    expect(coarserStep(min5, 24 * hour, 60)).toBe(30 * minuteMs); // 49 slots of 30 minutes
    expect(coarserStep(minuteMs, 3 * hour, 120)).toBe(2 * minuteMs);
    expect(coarserStep(15 * minuteMs, 7 * 24 * hour, 100)).toBe(2 * hour);
    // A step no nice length is a multiple of: a plain multiple.
    expect(coarserStep(7 * minuteMs, 7 * 24 * hour, 100) % (7 * minuteMs)).toBe(0);
    expect(Math.floor((7 * 24 * hour) / coarserStep(7 * minuteMs, 7 * 24 * hour, 100)) + 1).toBeLessThanOrEqual(100);
  });
});

describe('axes', () => {
  it('gives whole, round count ticks from 0 to at or above the largest', () => {
    expect(niceTicks(3)).toEqual([0, 1, 2, 3]);
    expect(niceTicks(7)).toEqual([0, 2, 4, 6, 8]);
    expect(niceTicks(1)).toEqual([0, 1]);
    expect(niceTicks(100)).toEqual([0, 25, 50, 75, 100]);
    expect(niceTicks(101)).toEqual([0, 50, 100, 150]);
    expect(niceTicks(1234)).toEqual([0, 500, 1000, 1500]);
    expect(niceTicks(0)).toEqual([0, 1]);
    expect(niceTicks(Number.NaN)).toEqual([0, 1]);
    for (const max of [1, 2, 9, 13, 47, 999, 12345]) {
      const ticks = niceTicks(max);
      expect(ticks[0]).toBe(0);
      expect(ticks[ticks.length - 1]).toBeGreaterThanOrEqual(max);
      expect(ticks.every((v) => Number.isInteger(v))).toBe(true);
      expect(ticks.length).toBeLessThanOrEqual(7);
    }
  });

  it('maps linearly, an empty domain to its start', () => {
    const x = linear(10, 20, 0, 100);
    expect(x(10)).toBe(0);
    expect(x(15)).toBe(50);
    expect(x(20)).toBe(100);
    const y = linear(0, 4, 200, 0);
    expect(y(1)).toBe(150);
    expect(linear(5, 5, 3, 9)(5)).toBe(3);
  });

  it('knows time zones’ offsets, 0 for an unknown one', () => {
    expect(tzOffset(at('2026-12-03T10:00:00Z'), 'Asia/Tokyo')).toBe(9 * 60 * minuteMs);
    expect(tzOffset(at('2026-12-03T10:00:00Z'), 'Asia/Kolkata')).toBe(330 * minuteMs);
    expect(tzOffset(at('2026-07-01T10:00:00Z'), 'Europe/Berlin')).toBe(2 * 60 * minuteMs);
    expect(tzOffset(at('2026-12-01T10:00:00Z'), 'Europe/Berlin')).toBe(60 * minuteMs);
    expect(tzOffset(at('2026-12-03T10:00:00Z'), 'Not/AZone')).toBe(0);
    expect(dayKey(at('2026-12-03T16:00:00Z'), 'Asia/Tokyo')).toBe('2026-12-04');
  });

  it('puts time ticks on round times of the event’s clock', () => {
    // 19:00–21:00 in Tokyo: every 30 minutes at most 5 ticks.
    const ticks = timeTicks(at('2026-12-03T10:00:00Z'), at('2026-12-03T12:00:00Z'), 'Asia/Tokyo', 5);
    expect(ticks.map((t) => new Date(t).toISOString().slice(11, 16))).toEqual(['10:00', '10:30', '11:00', '11:30', '12:00']);
    // India is 5:30 ahead: its round hours are on the half hour in UTC.
    const india = timeTicks(at('2026-12-03T10:10:00Z'), at('2026-12-03T14:10:00Z'), 'Asia/Kolkata', 5);
    expect(india.map((t) => new Date(t).toISOString().slice(11, 16))).toEqual(['10:30', '11:30', '12:30', '13:30']);
    expect(india.map((t) => (t + tzOffset(t, 'Asia/Kolkata')) % (60 * minuteMs))).toEqual([0, 0, 0, 0]);
    for (const [from, to, max] of [
      ['2026-12-03T10:03:00Z', '2026-12-03T10:17:00Z', 6],
      ['2026-12-01T00:00:00Z', '2026-12-05T00:00:00Z', 6],
      ['2026-12-03T10:00:00Z', '2026-12-03T10:00:00Z', 4],
    ] as const) {
      const tk = timeTicks(at(from), at(to), 'Europe/Berlin', max);
      expect(tk.length).toBeLessThanOrEqual(max);
      expect(tk.every((t) => t >= at(from) && t <= at(to))).toBe(true);
      expect([...tk].sort((a, b) => a - b)).toEqual(tk);
    }
    expect(timeTicks(10, 0, 'UTC')).toEqual([]);
  });
});

describe('geometry', () => {
  const x = linear(0, 4, 0, 400); // slots of 1, 100 px each
  const y = linear(0, 10, 200, 0);

  it('draws a bar per non-zero slot, up from the baseline, with a gap', () => {
    const rects = barRects([{ t: 0, v: 5 }, { t: 1, v: 0 }, { t: 2, v: 10 }], 1, x, y, 2);
    expect(rects).toEqual([
      { x: 1, y: 100, w: 98, h: 100 },
      { x: 201, y: 0, w: 98, h: 200 },
    ]);
  });

  it('keeps a bar at least 1 px wide when the slots are narrow', () => {
    const nx = linear(0, 1000, 0, 100); // 0.1 px a slot
    const [r] = barRects([{ t: 3, v: 1 }], 1, nx, y, 2);
    expect(r.w).toBe(1);
    expect(r.h).toBe(20);
  });

  it('draws a line through the points, at the given place in each slot', () => {
    expect(linePath([{ t: 0, v: 0 }, { t: 1, v: 5 }, { t: 2, v: 10 }], x, y)).toBe('M0,200L100,100L200,0');
    expect(linePath([{ t: 0, v: 5 }], x, y, 1)).toBe('M100,100');
    expect(linePath([], x, y)).toBe('');
  });
});
