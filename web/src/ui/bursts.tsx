/**
 * Reaction bursts (F17, F18, F19): the emoji participants tap, floating up
 * on the presenter screen and the OBS overlay.
 *
 * Usage (Screen.tsx, Overlay.tsx):
 *
 *     const { session } = useTalkSession(live, eventID, talkID, staff);
 *     <div class="my-box">  // position and size it: the bursts fill it
 *       <ReactionBursts session={session} emoji={event?.settings.reactions} />
 *     </div>
 *
 * Props (ReactionBurstsProps):
 * - `session`: the talk's TalkSession (useTalkSession's `session`), or
 *   anything with `follow(fn)` that hands over each batch of the talk
 *   topic's stream events, plus its `eventID` and `talkID`. The LiveClient
 *   keeps one subscription per topic, so the bursts ride on the session's
 *   subscription instead of opening their own. null renders nothing.
 * - `emoji`: the event's settings.reactions: the order of the static
 *   counts; `[]` (reactions off) renders nothing. Omitted: every emoji
 *   that arrives, in order of arrival.
 * - `max`: most particles on screen at once (default 40).
 * - `class`: extra classes on the root element.
 * - `reducedMotion`: forces the static counts (default: follows the
 *   `prefers-reduced-motion` media query, live).
 *
 * The root fills its positioned parent (position: absolute; inset: 0),
 * lets clicks through and is transparent. Each `reactions` message
 * (`{"👏": 12}`, one per 250 ms window per server replica) launches
 * particles: one per tap up to 4, then growing with the logarithm of the
 * count, larger when one particle stands for many taps, with a "×n" tag on
 * a big one; never more than `max` in flight. With reduced motion, a row
 * of static counts per emoji shows the talk's totals (read once, then
 * added up from the stream) instead. The animated particles are
 * decorative (aria-hidden); the counts row is labelled.
 *
 * CSS: web/src/styles/bursts.css. Sizes follow `--burst-size` (default
 * 4.5rem, set it on the parent to scale) and colours `--burst-tag-bg` /
 * `--burst-tag-text` (default the accent).
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { api } from '../api';
import { t } from '../i18n';
import type { ReactionCounts, StreamEvent } from '../types';
import '../styles/bursts.css';

/** What ReactionBursts reads the talk's stream through: a TalkSession. */
export interface ReactionFeed {
  readonly eventID: number;
  readonly talkID: number;
  follow(fn: (evs: StreamEvent[]) => void): () => void;
}

export interface ReactionBurstsProps {
  session: ReactionFeed | null;
  emoji?: string[];
  max?: number;
  class?: string;
  reducedMotion?: boolean;
}

/** Default most particles in flight at once. */
export const maxParticles = 40;

/** The taps of every `reactions` message in a batch of stream events, added up (one message per replica). */
export function reactionCounts(evs: StreamEvent[]): ReactionCounts {
  const out: ReactionCounts = {};
  for (const ev of evs) {
    if (ev.type !== 'reactions' || !ev.data || typeof ev.data !== 'object') continue;
    for (const [emoji, n] of Object.entries(ev.data as Record<string, unknown>)) {
      if (typeof n === 'number' && Number.isFinite(n) && n > 0) out[emoji] = (out[emoji] ?? 0) + Math.floor(n);
    }
  }
  return out;
}

/** Adds counts b into a (a new object). */
export function addCounts(a: ReactionCounts, b: ReactionCounts): ReactionCounts {
  const out = { ...a };
  for (const [k, n] of Object.entries(b)) out[k] = (out[k] ?? 0) + n;
  return out;
}

/** How many particles count taps of one emoji want: one a tap up to 4, then logarithmic, at most 12. */
export function particlesFor(count: number): number {
  if (!(count > 0)) return 0;
  if (count <= 4) return Math.floor(count);
  return Math.min(12, 4 + Math.ceil(Math.log2(count / 4) * 2));
}

export interface Particle {
  emoji: string;
  /** Where it starts across the box, 0 (left) to 1 (right). */
  x: number;
  /** Sideways drift while it rises, -1 to 1 (of the drift width). */
  drift: number;
  /** Size relative to --burst-size, 1 to 1.8: bigger when it stands for more taps. */
  scale: number;
  /** How long it rises, ms. */
  duration: number;
  /** How long after the message it starts, ms. */
  delay: number;
  /** "×n" on the first particle of an emoji with many taps, else "". */
  tag: string;
}

/**
 * The particles one message's counts launch when free more may fly: each
 * emoji gets particlesFor(count); when that is more than free, one each
 * first (the biggest counts first) and the rest shared out in proportion.
 */
export function planBurst(counts: ReactionCounts, free: number, random: () => number = Math.random): Particle[] {
  const entries = Object.entries(counts)
    .filter(([, n]) => n > 0)
    .sort((a, b) => b[1] - a[1]);
  if (free <= 0 || entries.length === 0) return [];
  const want = entries.map(([, n]) => particlesFor(n));
  const total = want.reduce((s, k) => s + k, 0);
  let give = want;
  if (total > free) {
    // One each first, biggest counts first; the rest shared in proportion
    // to what each wants beyond that, rounded down, then one more each
    // (biggest first) while room is left.
    give = want.map((_, i) => (i < free ? 1 : 0));
    const room = free - give.reduce((s, k) => s + k, 0);
    const beyond = want.map((k, i) => k - give[i]);
    const rest = beyond.reduce((s, k) => s + k, 0);
    if (room > 0 && rest > 0) {
      const share = beyond.map((k) => Math.floor((k * room) / rest));
      let left = room - share.reduce((s, k) => s + k, 0);
      for (let i = 0; i < share.length && left > 0; i++) {
        if (share[i] < beyond[i]) {
          share[i]++;
          left--;
        }
      }
      give = give.map((k, i) => k + share[i]);
    }
  }
  const out: Particle[] = [];
  entries.forEach(([emoji, n], i) => {
    const k = give[i];
    const per = n / Math.max(1, k);
    const scale = Math.min(1.8, 1 + 0.25 * Math.log2(Math.max(1, per)));
    for (let j = 0; j < k; j++) {
      out.push({
        emoji,
        x: 0.08 + random() * 0.84,
        drift: random() * 2 - 1,
        scale: j === 0 ? scale : Math.max(1, scale * (0.8 + random() * 0.2)),
        duration: Math.round(3200 + random() * 1400),
        delay: Math.round((j / Math.max(1, k)) * 800 + random() * 150),
        tag: j === 0 && n >= 10 ? `×${n}` : '',
      });
    }
  });
  return out;
}

function usePrefersReducedMotion(): boolean {
  const query = '(prefers-reduced-motion: reduce)';
  const [reduce, setReduce] = useState(() => typeof matchMedia === 'function' && matchMedia(query).matches);
  useEffect(() => {
    if (typeof matchMedia !== 'function') return;
    const mq = matchMedia(query);
    const on = () => setReduce(mq.matches);
    mq.addEventListener('change', on);
    return () => mq.removeEventListener('change', on);
  }, []);
  return reduce;
}

export function ReactionBursts({ session, emoji, max = maxParticles, class: cls = '', reducedMotion }: ReactionBurstsProps) {
  const prefers = usePrefersReducedMotion();
  const still = reducedMotion ?? prefers;
  const off = emoji !== undefined && emoji.length === 0;
  if (!session || off) return null;
  return still ? (
    <StaticCounts key={`${session.eventID}/${session.talkID}`} session={session} emoji={emoji} cls={cls} />
  ) : (
    <Particles key={`${session.eventID}/${session.talkID}`} session={session} emoji={emoji} max={max} cls={cls} />
  );
}

function Particles({ session, emoji, max, cls }: { session: ReactionFeed; emoji?: string[]; max: number; cls: string }) {
  const box = useRef<HTMLDivElement>(null);
  const allowed = emoji ? emoji.join('\n') : null;
  useEffect(() => {
    const root = box.current;
    if (!root) return;
    const ok = allowed === null ? null : new Set(allowed.split('\n'));
    const timers = new Set<ReturnType<typeof setTimeout>>();
    let flying = 0;
    const launch = (counts: ReactionCounts) => {
      const shown: ReactionCounts = {};
      for (const [e, n] of Object.entries(counts)) if (!ok || ok.has(e)) shown[e] = n;
      const rise = Math.max(120, root.clientHeight);
      const width = root.clientWidth;
      for (const p of planBurst(shown, max - flying)) {
        const el = document.createElement('span');
        el.className = p.tag ? 'burst burst-tagged' : 'burst';
        el.setAttribute('aria-hidden', 'true');
        el.dataset.emoji = p.emoji;
        const glyph = document.createElement('span');
        glyph.className = 'burst-glyph';
        glyph.textContent = p.emoji;
        el.appendChild(glyph);
        if (p.tag) {
          const tag = document.createElement('span');
          tag.className = 'burst-tag';
          tag.textContent = p.tag;
          el.appendChild(tag);
        }
        // Through the CSSOM: the CSP forbids style attributes, not this.
        el.style.setProperty('--s', p.scale.toFixed(2));
        el.style.setProperty('--dur', `${p.duration}ms`);
        el.style.setProperty('--delay', `${p.delay}ms`);
        el.style.setProperty('--rise', `${rise}px`);
        root.appendChild(el);
        // Its centre kept far enough from the edges that it is not cut.
        const drift = Math.round(p.drift * Math.min(80, width * 0.1));
        const half = el.offsetWidth / 2 + Math.abs(drift);
        const x = half * 2 >= width ? width / 2 : Math.min(width - half, Math.max(half, p.x * width));
        el.style.setProperty('--x', `${Math.round(x)}px`);
        el.style.setProperty('--drift', `${drift}px`);
        flying++;
        root.dataset.flying = String(flying);
        const timer = setTimeout(() => {
          timers.delete(timer);
          el.remove();
          flying--;
          root.dataset.flying = String(flying);
        }, p.delay + p.duration + 50);
        timers.add(timer);
      }
      const total = Object.values(shown).reduce((s, n) => s + n, 0);
      if (total > 0) root.dataset.taps = String(Number(root.dataset.taps ?? 0) + total);
    };
    const unfollow = session.follow((evs) => {
      const c = reactionCounts(evs);
      if (Object.keys(c).length) launch(c);
    });
    return () => {
      unfollow();
      for (const timer of timers) clearTimeout(timer);
      root.replaceChildren();
    };
  }, [session, max, allowed]);
  return <div ref={box} class={`bursts ${cls}`} data-testid="reaction-bursts" aria-hidden="true" />;
}

function StaticCounts({ session, emoji, cls }: { session: ReactionFeed; emoji?: string[]; cls: string }) {
  const [counts, setCounts] = useState<ReactionCounts>({});
  useEffect(() => {
    let live: ReactionCounts = {};
    let loaded: ReactionCounts | null = null;
    let stopped = false;
    const show = () => setCounts(loaded ? addCounts(loaded, live) : live);
    const unfollow = session.follow((evs) => {
      const c = reactionCounts(evs);
      if (!Object.keys(c).length) return;
      live = addCounts(live, c);
      show();
    });
    // The totals so far (written by the server once a second, so a tap of
    // the last second may be counted twice or not at all), then the stream.
    api.reactionTotals(session.eventID, session.talkID).then(
      (r) => {
        if (stopped) return;
        loaded = r.counts ?? {};
        show();
      },
      () => {},
    );
    return () => {
      stopped = true;
      unfollow();
    };
  }, [session]);
  const order = emoji ?? Object.keys(counts);
  const extra = Object.keys(counts).filter((e) => !order.includes(e) && !emoji);
  const shown = [...order, ...extra];
  if (shown.length === 0) return null;
  return (
    <ul class={`bursts bursts-static ${cls}`} data-testid="reaction-counts" aria-label={t('burstsLabel')}>
      {shown.map((e) => (
        <li key={e} class="bursts-count" data-emoji={e} data-n={counts[e] ?? 0}>
          <span class="bursts-count-emoji" aria-hidden="true">
            {e}
          </span>
          <span class="bursts-count-n">
            <span class="sr-only">{e} </span>
            {(counts[e] ?? 0).toLocaleString()}
          </span>
        </li>
      ))}
    </ul>
  );
}
