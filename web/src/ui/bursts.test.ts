import { describe, expect, it } from 'vitest';
import { addCounts, maxParticles, particlesFor, planBurst, reactionCounts } from './bursts';
import type { StreamEvent } from '../types';

const rx = (data: unknown): StreamEvent => ({ type: 'reactions', time: '2026-12-02T18:00:00Z', data });

/** A fixed sequence, so that plans are the same each run. */
function seq() {
  let i = 0;
  return () => ((i++ * 0.618034) % 1);
}

describe('reaction counts from the stream', () => {
  it('adds up the messages of every replica in a batch and ignores other events', () => {
    const c = reactionCounts([
      rx({ '👏': 3, '🎉': 1 }),
      { seq: 4, type: 'question.created', time: '', data: { '👏': 100 } },
      { type: 'presence', time: '', data: { connections: 3 } },
      rx({ '👏': 2 }),
    ]);
    expect(c).toEqual({ '👏': 5, '🎉': 1 });
  });

  it('drops what is not a positive count', () => {
    expect(reactionCounts([rx({ '👏': -1, '🎉': 'x', '❤️': 0, '🤔': 2.7 }), rx(null), rx('👏')])).toEqual({ '🤔': 2 });
  });

  it('adds totals', () => {
    expect(addCounts({ '👏': 1 }, { '👏': 2, '🎉': 1 })).toEqual({ '👏': 3, '🎉': 1 });
  });
});

describe('burst plans', () => {
  it('launches one particle a tap for a few taps, then grows slowly', () => {
    expect([0, 1, 2, 3, 4].map(particlesFor)).toEqual([0, 1, 2, 3, 4]);
    expect(particlesFor(8)).toBe(6);
    expect(particlesFor(100)).toBe(12);
    expect(particlesFor(100000)).toBe(12);
    for (let n = 1; n < 500; n++) expect(particlesFor(n + 1)).toBeGreaterThanOrEqual(particlesFor(n));
  });

  it('never launches more than the free slots, and keeps each emoji while there is room', () => {
    const counts = { '👏': 500, '🎉': 300, '❤️': 2, '🤔': 1 };
    const all = planBurst(counts, maxParticles, seq());
    expect(all.length).toBe(12 + 12 + 2 + 1);
    const few = planBurst(counts, 5, seq());
    expect(few.length).toBe(5);
    expect(new Set(few.map((p) => p.emoji))).toEqual(new Set(['👏', '🎉', '❤️', '🤔']));
    const two = planBurst(counts, 2, seq());
    expect(two.map((p) => p.emoji)).toEqual(['👏', '🎉']); // the biggest counts first
    expect(planBurst(counts, 0, seq())).toEqual([]);
    expect(planBurst({}, 40, seq())).toEqual([]);
  });

  it('draws a particle bigger, and tags it, when it stands for many taps', () => {
    const one = planBurst({ '👏': 1 }, 40, seq());
    expect(one).toHaveLength(1);
    expect(one[0].scale).toBe(1);
    expect(one[0].tag).toBe('');
    const many = planBurst({ '👏': 400 }, 40, seq());
    expect(many[0].scale).toBeGreaterThan(1.5);
    expect(many[0].scale).toBeLessThanOrEqual(1.8);
    expect(many[0].tag).toBe('×400');
    expect(many.slice(1).every((p) => p.tag === '')).toBe(true);
  });

  it('keeps particles inside the box and their timing bounded', () => {
    for (const p of planBurst({ '👏': 50, '🔥': 9 }, 40)) {
      expect(p.x).toBeGreaterThanOrEqual(0.08);
      expect(p.x).toBeLessThanOrEqual(0.92);
      expect(Math.abs(p.drift)).toBeLessThanOrEqual(1);
      expect(p.duration).toBeGreaterThanOrEqual(3200);
      expect(p.duration).toBeLessThanOrEqual(4600);
      expect(p.delay).toBeGreaterThanOrEqual(0);
      expect(p.delay).toBeLessThan(1000);
    }
  });
});
