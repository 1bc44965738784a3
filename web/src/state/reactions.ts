// Reactions (F17), the participant's side: a tap shows at once on the
// phone and is counted here; the taps of each emoji go to the server
// batched, at most one request per emoji per reaction window (250 ms) with
// count = the taps since the last send, at most 10 (the excess of a window
// is dropped quietly). The first tap after a quiet spell goes at once. On
// 429 sending pauses for Retry-After and the page shows a gentle note; a
// tap lost to an error is never the user's problem: nothing is thrown.
import type { Key } from '../i18n';

/** The server's reaction window: one request per emoji per window. */
export const reactionWindowMs = 250;
/** Most taps one request carries (koe.MaxTapsPerRequest). */
export const maxTapsPerSend = 10;
/** Most emoji an event offers (koe.MaxReactions). */
export const maxReactions = 6;
/** The reactions of an event that has not chosen (koe.DefaultReactions). */
export const defaultReactions = ['👏', '🎉', '❤️', '🤔'];
/** koe's palette (koe.ReactionPalette), for an older server whose config does not list it. */
export const fallbackPalette = ['👏', '🎉', '❤️', '😂', '😮', '🤔', '🙏', '👍', '🔥', '💯', '🙌', '👀', '✨', '🚀', '☕', '🍣'];

/** The i18n key of each palette emoji's name (the buttons' aria-labels). */
const names: Record<string, Key> = {
  '👏': 'emojiClap',
  '🎉': 'emojiParty',
  '❤️': 'emojiHeart',
  '😂': 'emojiLaugh',
  '😮': 'emojiWow',
  '🤔': 'emojiThinking',
  '🙏': 'emojiThanks',
  '👍': 'emojiThumbsUp',
  '🔥': 'emojiFire',
  '💯': 'emojiHundred',
  '🙌': 'emojiHooray',
  '👀': 'emojiEyes',
  '✨': 'emojiSparkles',
  '🚀': 'emojiRocket',
  '☕': 'emojiCoffee',
  '🍣': 'emojiSushi',
};

/** The i18n key naming emoji, or null for one koe does not know (then the emoji itself names it). */
export function emojiNameKey(emoji: string): Key | null {
  return names[emoji] ?? null;
}

/** An event's reaction set as the UI shows it: [] for none, the default set when the server left it out. */
export function eventReactions(settings: { reactions?: string[] | null } | null | undefined): string[] {
  const r = settings?.reactions;
  return Array.isArray(r) ? r : defaultReactions;
}

/**
 * Toggles emoji in a reaction set being edited: removes it if chosen,
 * else adds it at the end (in the palette's order) unless the set is full.
 */
export function toggleReaction(chosen: readonly string[], emoji: string, palette: readonly string[]): string[] {
  if (chosen.includes(emoji)) return chosen.filter((e) => e !== emoji);
  if (chosen.length >= maxReactions) return [...chosen];
  const next = [...chosen, emoji];
  const at = (e: string) => {
    const i = palette.indexOf(e);
    return i < 0 ? palette.length : i;
  };
  return next.sort((a, b) => at(a) - at(b));
}

export type Send = (emoji: string, count: number) => Promise<unknown>;

export interface SenderOptions {
  /** Called when sending pauses after a 429 (until: ms since epoch, per now()), and with null when it resumes. */
  onPause?: (until: number | null) => void;
  now?: () => number;
  setTimeout?: (fn: () => void, ms: number) => unknown;
  clearTimeout?: (t: unknown) => void;
}

/** What became of one tap. */
export type TapResult = 'sent' | 'queued' | 'dropped';

/** The seconds a 429 asks to wait, or null for any other error. */
function retryAfter(err: unknown): number | null {
  const e = err as { status?: unknown; retryAfter?: unknown } | null;
  if (!e || e.status !== 429) return null;
  const s = typeof e.retryAfter === 'number' && Number.isFinite(e.retryAfter) ? e.retryAfter : 0;
  return Math.max(1, s);
}

/** Batches one participant's taps on one talk. */
export class ReactionSender {
  /** Taps counted and not yet sent, per emoji. */
  private pending = new Map<string, number>();
  /** When each emoji's last request went. */
  private lastSent = new Map<string, number>();
  private timers = new Map<string, unknown>();
  private resumeTimer: unknown = null;
  private stopped = false;
  /** Until when (per now()) a 429 paused sending; 0 for not paused. */
  pausedUntil = 0;
  /** Taps handed to requests, and taps dropped (over 10 a window, while paused, or after stop). */
  sent = 0;
  dropped = 0;

  private now: () => number;
  private setT: (fn: () => void, ms: number) => unknown;
  private clearT: (t: unknown) => void;

  constructor(
    private send: Send,
    private opts: SenderOptions = {},
  ) {
    this.now = opts.now ?? Date.now;
    this.setT = opts.setTimeout ?? ((fn, ms) => globalThis.setTimeout(fn, ms));
    this.clearT = opts.clearTimeout ?? ((t) => globalThis.clearTimeout(t as number));
  }

  get paused(): boolean {
    return this.pausedUntil > 0;
  }

  /** Counts one tap of emoji. */
  tap(emoji: string): TapResult {
    if (this.stopped || this.paused) {
      this.dropped++;
      return 'dropped';
    }
    const n = this.pending.get(emoji) ?? 0;
    if (n >= maxTapsPerSend) {
      this.dropped++;
      return 'dropped';
    }
    this.pending.set(emoji, n + 1);
    if (this.timers.has(emoji)) return 'queued';
    const last = this.lastSent.get(emoji);
    const wait = last === undefined ? 0 : last + reactionWindowMs - this.now();
    if (wait <= 0) {
      this.flush(emoji);
      return 'sent';
    }
    this.timers.set(
      emoji,
      this.setT(() => {
        this.timers.delete(emoji);
        this.flush(emoji);
      }, wait),
    );
    return 'queued';
  }

  private flush(emoji: string): void {
    const n = this.pending.get(emoji) ?? 0;
    this.pending.delete(emoji);
    if (n === 0) return;
    if (this.stopped || this.paused) {
      this.dropped += n;
      return;
    }
    this.lastSent.set(emoji, this.now());
    this.sent += n;
    let p: Promise<unknown>;
    try {
      p = this.send(emoji, n);
    } catch (err) {
      this.failed(err);
      return;
    }
    p.catch((err: unknown) => this.failed(err));
  }

  private failed(err: unknown): void {
    const secs = retryAfter(err);
    // Any other error (network, reactions just turned off): the tap is lost, quietly.
    if (secs === null || this.stopped) return;
    this.pause(this.now() + secs * 1000);
  }

  private pause(until: number): void {
    if (until <= this.pausedUntil) return;
    this.pausedUntil = until;
    this.dropPending();
    this.resumeTimer = this.setT(() => {
      this.resumeTimer = null;
      this.pausedUntil = 0;
      this.opts.onPause?.(null);
    }, Math.max(0, until - this.now()));
    this.opts.onPause?.(until);
  }

  /** Stops for good: what is pending is dropped, timers are cleared. */
  stop(): void {
    this.stopped = true;
    this.dropPending();
    this.resumeTimer = null;
  }

  /** Drops the taps waiting to be sent, and every timer. */
  private dropPending(): void {
    for (const [emoji, t] of this.timers) {
      this.clearT(t);
      this.dropped += this.pending.get(emoji) ?? 0;
    }
    this.timers.clear();
    this.pending.clear();
    if (this.resumeTimer !== null) this.clearT(this.resumeTimer);
  }
}
