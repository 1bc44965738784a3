// A poll's results (F20), for the phone, the projector screen and the OBS
// overlay: a choice poll as horizontal bars (count and percent of the
// voters: with several answers each, the percents add up to more than
// 100), a rating as five columns and the mean, a word cloud as words sized
// by their count. Bar lengths and heights go through a custom property set
// by the CSSOM (the CSP forbids style attributes); the cloud is CSS only,
// in a deterministic order.
import { useLayoutEffect, useRef } from 'preact/hooks';
import { locale, t, useLocale } from '../i18n';
import type { Poll, PollCount, PollResults } from '../types';
import '../styles/polls.css';

export type PollSize = 'phone' | 'screen' | 'overlay';

/** Percent of voters, whole (0 with no voters). */
export function percentOf(count: number, voters: number): number {
  return voters > 0 ? Math.round((count / voters) * 100) : 0;
}

/** A rating's mean (one decimal), null without votes. */
export function ratingMean(counts: PollCount[]): number | null {
  let n = 0;
  let sum = 0;
  for (const c of counts) {
    const k = Number(c.key);
    if (!Number.isFinite(k)) continue;
    n += c.count;
    sum += k * c.count;
  }
  return n > 0 ? Math.round((sum / n) * 10) / 10 : null;
}

/** The size step (1–6) of a word counted n times when the most counted has max. */
export function wordStep(n: number, max: number): number {
  if (max <= 0) return 1;
  return Math.max(1, Math.min(6, Math.ceil((n / max) * 6)));
}

/**
 * The words in the order a cloud shows them: the most counted in the
 * middle, the next ones alternately after and before it (the server gives
 * them most counted first, ties by word: so the order is deterministic).
 */
export function cloudOrder<T>(sorted: T[]): T[] {
  const out: T[] = [];
  sorted.forEach((w, i) => {
    if (i % 2 === 1) out.push(w);
    else out.unshift(w);
  });
  return out;
}

/** Sets --pct on the element (0–100): the bar's length or the column's height. */
function usePct(pct: number) {
  const ref = useRef<HTMLDivElement>(null);
  useLayoutEffect(() => {
    ref.current?.style.setProperty('--pct', String(Math.max(0, Math.min(100, pct))));
  }, [pct]);
  return ref;
}

function fmt(n: number, digits = 0): string {
  return n.toLocaleString(locale() === 'ja' ? 'ja-JP' : 'en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

export function PollResultsView(props: { poll: Poll; results: PollResults | null; size?: 'phone' | 'screen' | 'overlay' }) {
  useLocale();
  const { poll, results } = props;
  const size = props.size ?? 'phone';
  const voters = results?.voters ?? 0;
  return (
    <div class={`pr pr-${size} pr-k-${poll.kind} ${poll.options.length > 5 ? 'pr-many' : ''}`} data-testid="poll-results" data-poll={poll.id} data-voters={voters}>
      {poll.kind === 'choice' ? (
        <ChoiceBars poll={poll} results={results} />
      ) : poll.kind === 'rating' ? (
        <RatingColumns results={results} />
      ) : (
        <WordCloud results={results} />
      )}
      <p class="pr-foot">
        <span class="pr-voters" data-testid="poll-voters">
          {t('pollVoters', { n: voters })}
        </span>
        {poll.kind === 'choice' && poll.multiple && voters > 0 && <span class="pr-note">{t('pollMultipleNote')}</span>}
      </p>
    </div>
  );
}

function ChoiceBars({ poll, results }: { poll: Poll; results: PollResults | null }) {
  const counts = new Map((results?.counts ?? []).map((c) => [c.key, c.count]));
  const voters = results?.voters ?? 0;
  const max = Math.max(0, ...counts.values());
  return (
    <ul class="pr-bars">
      {poll.options.map((o) => {
        const n = counts.get(o.id) ?? 0;
        return <Bar key={o.id} id={o.id} label={o.label} n={n} pct={percentOf(n, voters)} lead={max > 0 && n === max} />;
      })}
    </ul>
  );
}

function Bar({ id, label, n, pct, lead }: { id: string; label: string; n: number; pct: number; lead: boolean }) {
  const fill = usePct(pct);
  return (
    <li class={`pr-row ${lead ? 'pr-lead' : ''}`} data-key={id} data-count={n} data-pct={pct}>
      <div class="pr-row-head">
        <span class="pr-label" dir="auto">
          {label}
        </span>
        <span class="pr-num">
          <span class="pr-count">{fmt(n)}</span>
          <span class="pr-pct">{fmt(pct)}%</span>
        </span>
      </div>
      <div class="pr-track" aria-hidden="true">
        <div class="pr-fill" ref={fill} />
      </div>
    </li>
  );
}

function RatingColumns({ results }: { results: PollResults | null }) {
  const counts = new Map((results?.counts ?? []).map((c) => [c.key, c.count]));
  const all = ['1', '2', '3', '4', '5'].map((key) => ({ key, count: counts.get(key) ?? 0 }));
  const max = Math.max(0, ...all.map((c) => c.count));
  const mean = ratingMean(all);
  return (
    <div class="pr-rating">
      <div class="pr-mean" data-testid="poll-mean" data-mean={mean ?? ''}>
        <span class="pr-mean-label">{t('pollMean')}</span>
        <span class="pr-mean-value">{mean === null ? '–' : fmt(mean, 1)}</span>
        <span class="pr-mean-of">/ 5</span>
      </div>
      <ol class="pr-cols">
        {all.map((c) => (
          <Column key={c.key} rating={c.key} n={c.count} pct={max > 0 ? (c.count / max) * 100 : 0} lead={max > 0 && c.count === max} />
        ))}
      </ol>
    </div>
  );
}

function Column({ rating, n, pct, lead }: { rating: string; n: number; pct: number; lead: boolean }) {
  const fill = usePct(pct);
  return (
    <li class={`pr-col ${lead ? 'pr-lead' : ''}`} data-key={rating} data-count={n}>
      <span class="pr-col-count">{fmt(n)}</span>
      <div class="pr-col-track" aria-hidden="true">
        <div class="pr-col-fill" ref={fill} />
      </div>
      <span class="pr-col-key">
        <span aria-hidden="true">★</span>
        {rating}
      </span>
      <span class="sr-only">{t('pollRatingCount', { r: rating, n })}</span>
    </li>
  );
}

function WordCloud({ results }: { results: PollResults | null }) {
  const words = results?.counts ?? [];
  if (words.length === 0) return <p class="pr-empty">{t('pollNoAnswers')}</p>;
  const max = Math.max(...words.map((w) => w.count));
  return (
    <ul class="pr-cloud" data-testid="poll-cloud">
      {cloudOrder(words).map((w, i) => (
        <li key={w.key} class={`pr-word pr-w${wordStep(w.count, max)} pr-hue${i % 4}`} data-key={w.key} data-count={w.count} dir="auto">
          <span aria-hidden="true">{w.key}</span>
          <span class="sr-only">{t('pollWordCount', { w: w.key, n: w.count })}</span>
        </li>
      ))}
    </ul>
  );
}
