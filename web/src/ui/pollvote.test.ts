import { describe, expect, it } from 'vitest';
import { ApiError, NETWORK } from '../api';
import { setLocale } from '../i18n';
import type { Poll, Vote } from '../types';
import { voteErrorText, voteText } from './pollvote';

const poll = (over: Partial<Poll>): Poll => ({
  id: 1, event_id: 1, talk_id: 1, kind: 'choice', question: 'q', options: [{ id: '1', label: 'Go' }, { id: '2', label: 'Rust' }, { id: '3', label: 'Zig' }],
  multiple: true, results_mode: 'live', revealed: false, state: 'open', version: 1, created_at: '', opened_at: null, closed_at: null, ...over,
});
const vote = (over: Partial<Vote>): Vote => ({ id: 1, poll_id: 1, keys: [], text: '', status: 'approved', updated_at: '', ...over });

describe('poll votes in words', () => {
  it('names the options chosen in the poll order, the rating, or the answer', () => {
    setLocale('en');
    expect(voteText(poll({}), vote({ keys: ['3', '1'] }))).toBe('Go, Zig');
    setLocale('ja');
    expect(voteText(poll({}), vote({ keys: ['3', '1'] }))).toBe('Go、Zig');
    expect(voteText(poll({ kind: 'rating', options: [] }), vote({ keys: ['4'] }))).toBe('★4');
    expect(voteText(poll({ kind: 'words', options: [] }), vote({ keys: ['リアルタイム'], text: 'リアルタイム通信' }))).toBe('リアルタイム通信');
  });

  it('explains a refused answer, a closed poll and too many votes', () => {
    setLocale('en');
    expect(voteErrorText(new ApiError(400, 'invalid_argument', 'refused', 0, { field: 'text', reason: 'refused' }))).toMatch(/can’t be accepted/);
    expect(voteErrorText(new ApiError(409, 'conflict', 'poll is not open'))).toMatch(/just closed/);
    expect(voteErrorText(new ApiError(429, 'rate_limited', 'slow down', 7))).toMatch(/7 s/);
    setLocale('ja');
    expect(voteErrorText(new ApiError(429, 'rate_limited', 'slow down', 0))).toMatch(/10 秒/);
    expect(voteErrorText(new ApiError(0, NETWORK, ''))).not.toBe('');
    setLocale('en');
  });
});
