// The participant's reaction bar (F17) on a talk's page: one button per
// emoji of the event's set. A tap answers at once on the phone (a small
// burst floats up from the button; with reduced motion, a count beside
// it) and is sent batched by ReactionSender; a 429 pauses sending with a
// gentle note, and no lost tap ever shows as an error.
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { api } from '../api';
import { t, useLocale } from '../i18n';
import { emojiNameKey, ReactionSender } from '../state/reactions';
import '../styles/reactions.css';

/** The emoji's name in the current language (the emoji itself for one koe does not name). */
export function emojiName(emoji: string): string {
  const k = emojiNameKey(emoji);
  return k ? t(k) : emoji;
}

/** Most particles one button shows at once. */
const maxPops = 8;
/** How long a particle lives (the animation in reactions.css). */
const popMs = 900;
/** The count beside a button lasts this long after the last tap. */
const streakMs = 1200;

interface Pop {
  id: number;
  /** One of the drift classes: where it floats. */
  drift: number;
}

let popSeq = 0;

function ReactionButton({ emoji, onTap }: { emoji: string; onTap: () => void }) {
  const [pops, setPops] = useState<Pop[]>([]);
  const [streak, setStreak] = useState(0);
  const timers = useRef<Set<ReturnType<typeof setTimeout>>>(new Set());
  const streakTimer = useRef<ReturnType<typeof setTimeout> | null>(null);
  useEffect(
    () => () => {
      for (const tm of timers.current) clearTimeout(tm);
      if (streakTimer.current) clearTimeout(streakTimer.current);
    },
    [],
  );
  const tap = () => {
    onTap();
    const id = ++popSeq;
    setPops((p) => [...p.slice(-(maxPops - 1)), { id, drift: id % 5 }]);
    const tm = setTimeout(() => {
      timers.current.delete(tm);
      setPops((p) => p.filter((x) => x.id !== id));
    }, popMs);
    timers.current.add(tm);
    setStreak((n) => n + 1);
    if (streakTimer.current) clearTimeout(streakTimer.current);
    streakTimer.current = setTimeout(() => setStreak(0), streakMs);
  };
  // The count and the particles sit beside the button, not in it: its
  // name is the emoji's name alone (and what a screen reader says).
  return (
    <span class="react-slot" data-slot={emoji}>
      <button type="button" class="react-btn" aria-label={t('reactWith', { name: emojiName(emoji) })} data-emoji={emoji} onClick={tap}>
        <span class="react-emoji" aria-hidden="true">
          {emoji}
        </span>
      </button>
      {streak > 0 && (
        <span class="react-streak" aria-hidden="true" data-testid="react-streak">
          +{streak}
        </span>
      )}
      {pops.map((p) => (
        <span key={p.id} class={`react-pop react-drift-${p.drift}`} aria-hidden="true">
          {emoji}
        </span>
      ))}
    </span>
  );
}

/** The bar for a participant on a talk; nothing when the event's set is empty. */
export function ReactionBar({ eventID, talkID, emoji }: { eventID: number; talkID: number; emoji: string[] }) {
  useLocale();
  const [paused, setPaused] = useState(false);
  const sender = useMemo(
    () => new ReactionSender((e, n) => api.react(eventID, talkID, e, n), { onPause: (until) => setPaused(until !== null) }),
    [eventID, talkID],
  );
  useEffect(() => {
    setPaused(false);
    // For tests and debugging: what the sender did.
    (window as unknown as { koeReactions?: ReactionSender }).koeReactions = sender;
    return () => sender.stop();
  }, [sender]);
  if (emoji.length === 0) return null;
  return (
    <section class="react-bar" aria-label={t('reactionsLabel')} data-testid="reaction-bar">
      <div class="react-buttons">
        {emoji.map((e) => (
          <ReactionButton key={e} emoji={e} onTap={() => sender.tap(e)} />
        ))}
      </div>
      <p class="react-note" role="status" aria-live="polite" data-testid="reaction-note">
        {paused ? t('reactionsSlowDown') : ''}
      </p>
    </section>
  );
}
