import { describe, expect, it } from 'vitest';
import { ApiError } from '../api';
import {
  defaultReactions, emojiNameKey, eventReactions, fallbackPalette, maxReactions, ReactionSender, toggleReaction,
} from './reactions';
import { en } from '../i18n/en';
import { ja } from '../i18n/ja';

/** A clock and timers the test moves by hand. */
function fakeClock() {
  let now = 1_000_000;
  let seq = 0;
  const timers = new Map<number, { at: number; fn: () => void }>();
  return {
    now: () => now,
    setTimeout: (fn: () => void, ms: number) => {
      const id = ++seq;
      timers.set(id, { at: now + ms, fn });
      return id;
    },
    clearTimeout: (id: unknown) => void timers.delete(id as number),
    /** Moves time on by ms, running the timers that fall due, in order. */
    advance(ms: number) {
      const end = now + ms;
      for (;;) {
        const due = [...timers.entries()].filter(([, t]) => t.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
        if (!due) break;
        timers.delete(due[0]);
        now = due[1].at;
        due[1].fn();
      }
      now = end;
    },
    pending: () => timers.size,
  };
}

/** A fake server: records each request; fail makes the next ones fail with err. */
function fakeServer() {
  const calls: { emoji: string; count: number }[] = [];
  let fail: unknown = null;
  return {
    calls,
    failWith(e: unknown) {
      fail = e;
    },
    send: (emoji: string, count: number) => {
      calls.push({ emoji, count });
      return fail ? Promise.reject(fail) : Promise.resolve();
    },
  };
}

const flush = () => new Promise((r) => setTimeout(r, 0));

function setup() {
  const clock = fakeClock();
  const srv = fakeServer();
  const pauses: (number | null)[] = [];
  const s = new ReactionSender(srv.send, { ...clock, onPause: (u) => pauses.push(u) });
  return { clock, srv, s, pauses };
}

describe('ReactionSender', () => {
  it('sends the first tap at once', () => {
    const { srv, s } = setup();
    expect(s.tap('👏')).toBe('sent');
    expect(srv.calls).toEqual([{ emoji: '👏', count: 1 }]);
  });

  it('sends the taps of the rest of the window together, once per 250 ms per emoji', () => {
    const { clock, srv, s } = setup();
    s.tap('👏');
    clock.advance(50);
    expect(s.tap('👏')).toBe('queued');
    s.tap('👏');
    s.tap('👏');
    expect(srv.calls).toHaveLength(1);
    clock.advance(199);
    expect(srv.calls).toHaveLength(1); // 249 ms after the first send: not yet
    clock.advance(1);
    expect(srv.calls).toEqual([
      { emoji: '👏', count: 1 },
      { emoji: '👏', count: 3 },
    ]);
    // And the next window's taps wait for 250 ms after that send.
    s.tap('👏');
    clock.advance(249);
    expect(srv.calls).toHaveLength(2);
    clock.advance(1);
    expect(srv.calls[2]).toEqual({ emoji: '👏', count: 1 });
  });

  it('keeps each emoji to its own window', () => {
    const { clock, srv, s } = setup();
    s.tap('👏');
    s.tap('🎉');
    s.tap('👏');
    s.tap('🎉');
    s.tap('🎉');
    expect(srv.calls).toEqual([
      { emoji: '👏', count: 1 },
      { emoji: '🎉', count: 1 },
    ]);
    clock.advance(250);
    expect(srv.calls.slice(2)).toEqual([
      { emoji: '👏', count: 1 },
      { emoji: '🎉', count: 2 },
    ]);
  });

  it('sends at once again after a quiet window', () => {
    const { clock, srv, s } = setup();
    s.tap('❤️');
    clock.advance(1000);
    expect(s.tap('❤️')).toBe('sent');
    expect(srv.calls).toHaveLength(2);
    expect(clock.pending()).toBe(0);
  });

  it('sends at most 10 taps a window and drops the rest quietly', () => {
    const { clock, srv, s } = setup();
    s.tap('🔥'); // sent alone at once
    const results = Array.from({ length: 15 }, () => s.tap('🔥'));
    expect(results.filter((r) => r === 'dropped')).toHaveLength(5);
    clock.advance(250);
    expect(srv.calls).toEqual([
      { emoji: '🔥', count: 1 },
      { emoji: '🔥', count: 10 },
    ]);
    expect(s.sent).toBe(11);
    expect(s.dropped).toBe(5);
  });

  it('pauses for Retry-After on 429, says so, drops taps meanwhile and resumes', async () => {
    const { clock, srv, s, pauses } = setup();
    srv.failWith(new ApiError(429, 'rate_limited', 'slow down', 3));
    s.tap('👏');
    await flush();
    expect(s.paused).toBe(true);
    expect(pauses).toEqual([clock.now() + 3000]);
    expect(s.tap('👏')).toBe('dropped');
    expect(s.tap('🎉')).toBe('dropped');
    expect(srv.calls).toHaveLength(1);
    srv.failWith(null);
    clock.advance(2999);
    expect(s.paused).toBe(true);
    clock.advance(1);
    expect(s.paused).toBe(false);
    expect(pauses).toEqual([expect.any(Number), null]);
    expect(s.tap('👏')).toBe('sent');
    expect(srv.calls).toHaveLength(2);
  });

  it('a 429 drops the taps waiting for their window too', async () => {
    const { clock, srv, s } = setup();
    srv.failWith(new ApiError(429, 'rate_limited', 'slow down', 1));
    s.tap('👏');
    s.tap('👏'); // waits for the window
    await flush();
    clock.advance(250);
    expect(srv.calls).toHaveLength(1);
    expect(s.dropped).toBe(1);
  });

  it('pauses at least a second when Retry-After is missing', async () => {
    const { srv, s, pauses, clock } = setup();
    srv.failWith(new ApiError(429, 'rate_limited', 'slow down', 0));
    s.tap('👏');
    await flush();
    expect(pauses[0]).toBe(clock.now() + 1000);
  });

  it('never throws or pauses for other errors: the tap is lost quietly', async () => {
    const { clock, srv, s, pauses } = setup();
    srv.failWith(new ApiError(0, 'network', 'network error'));
    expect(() => s.tap('👏')).not.toThrow();
    await flush();
    srv.failWith(new ApiError(400, 'invalid_argument', 'no such emoji'));
    clock.advance(250);
    s.tap('👏');
    await flush();
    expect(s.paused).toBe(false);
    expect(pauses).toEqual([]);
    // A send function that throws synchronously does not escape either.
    const bad = new ReactionSender(() => {
      throw new Error('boom');
    });
    expect(bad.tap('👏')).toBe('sent');
  });

  it('stop drops what waits and clears its timers', () => {
    const { clock, srv, s } = setup();
    s.tap('👏');
    s.tap('👏');
    s.stop();
    expect(clock.pending()).toBe(0);
    clock.advance(1000);
    expect(srv.calls).toHaveLength(1);
    expect(s.tap('👏')).toBe('dropped');
  });
});

describe('reaction sets', () => {
  it('shows the default set when the server left the setting out, none for []', () => {
    expect(eventReactions({})).toEqual(defaultReactions);
    expect(eventReactions(null)).toEqual(defaultReactions);
    expect(eventReactions({ reactions: [] })).toEqual([]);
    expect(eventReactions({ reactions: ['🍣'] })).toEqual(['🍣']);
  });

  it('toggles emoji in palette order, at most 6', () => {
    const p = fallbackPalette;
    expect(toggleReaction(['🤔'], '👏', p)).toEqual(['👏', '🤔']);
    expect(toggleReaction(['👏', '🤔'], '👏', p)).toEqual(['🤔']);
    const full = p.slice(0, maxReactions);
    expect(toggleReaction(full, '🍣', p)).toEqual(full);
    expect(toggleReaction(full, p[0], p)).toEqual(full.slice(1));
  });

  it('names every palette emoji in English and Japanese', () => {
    for (const e of fallbackPalette) {
      const k = emojiNameKey(e);
      expect(k, e).not.toBeNull();
      expect(typeof en[k!]).toBe('string');
      expect(ja[k!]).toBeTruthy();
      expect(ja[k!]).not.toBe(en[k!]);
    }
    expect(emojiNameKey('🦄')).toBeNull();
  });
});
