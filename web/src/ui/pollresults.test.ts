import { describe, expect, it } from 'vitest';
import { cloudOrder, percentOf, ratingMean, wordStep } from './pollresults';

describe('poll results', () => {
  it('gives percents of the voters, whole, 0 without voters', () => {
    expect(percentOf(1, 3)).toBe(33);
    expect(percentOf(2, 3)).toBe(67);
    expect(percentOf(0, 0)).toBe(0);
    // Several answers each: two options both chosen by every voter.
    expect(percentOf(4, 4) + percentOf(4, 4)).toBe(200);
  });

  it('gives a rating mean with one decimal, null without votes', () => {
    const c = (n: number[]) => n.map((count, i) => ({ key: String(i + 1), count }));
    expect(ratingMean(c([0, 0, 0, 0, 0]))).toBeNull();
    expect(ratingMean(c([1, 0, 0, 0, 1]))).toBe(3);
    expect(ratingMean(c([1, 2, 5, 10, 7]))).toBe(3.8);
    expect(ratingMean(c([0, 0, 1, 2, 0]))).toBe(3.7);
  });

  it('sizes words by count, the most counted biggest', () => {
    expect(wordStep(9, 9)).toBe(6);
    expect(wordStep(1, 9)).toBe(1);
    expect(wordStep(5, 9)).toBe(4);
    expect(wordStep(2, 2)).toBe(6);
    expect(wordStep(0, 0)).toBe(1);
  });

  it('puts the most counted word in the middle, the same way every time', () => {
    expect(cloudOrder(['a', 'b', 'c', 'd', 'e'])).toEqual(['e', 'c', 'a', 'b', 'd']);
    expect(cloudOrder(['a'])).toEqual(['a']);
    expect(cloudOrder([])).toEqual([]);
  });
});
