// Polls on the audience page (F20): usePolls follows a talk's polls (the
// snapshot after the question list, then the talk stream; again after a
// reconnect), and PollCard is the participant's card for the current poll:
// the question, the choices (radio buttons, or checkboxes for several), a
// rating's five buttons or a word answer; the viewer's vote, which they can
// change until the poll closes; the results when the audience sees them.
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { ApiError, api } from '../api';
import { t, useLocale } from '../i18n';
import type { LiveClient } from '../live';
import { PollsState, resultsVisible } from '../state/polls';
import type { TalkSession } from '../state/session';
import { countChars } from '../state/text';
import type { Ballot, Poll, Vote } from '../types';
import { errorText } from './errors';
import { toast } from './toast';
import { PollResultsView } from './pollresults';
import '../styles/polls.css';

/** Most characters of a word-cloud answer (koe.MaxPollAnswer). */
export const maxPollAnswer = 60;

/** How often the polls are read again while the viewer's word answer waits for a moderator. */
const pendingRecheckMs = 15_000;
/** How long after a failed first read of the polls the page reads again. */
const firstReadRetryMs = 5_000;

/**
 * The polls of the session's talk, kept current: read once the talk's
 * questions are loaded (ready), then by the talk stream's poll messages;
 * read again after a reconnect and, while an own answer waits for review,
 * now and then. Results that become visible (a reveal) are fetched once.
 * staff: the caller sees every poll's results.
 */
export function usePolls(session: TalkSession | null, ready: boolean, live: LiveClient, staff = false): PollsState | null {
  const polls = useMemo(() => (session ? new PollsState() : null), [session]);
  const [, setRev] = useState(0);
  const asking = useRef(new Set<number>());
  const ctl = useMemo(() => {
    if (!session || !polls) return null;
    let stopped = false;
    let queued = false;
    const bump = () => {
      if (queued) return;
      queued = true;
      queueMicrotask(() => {
        queued = false;
        if (!stopped) setRev(polls.rev);
      });
    };
    const fetchMissing = () => {
      for (const id of polls.missingResults(staff)) {
        if (asking.current.has(id)) continue;
        asking.current.add(id);
        api
          .pollResults(session.eventID, session.talkID, id)
          .then(
            (r) => {
              if (!stopped && polls.putResults(r)) bump();
            },
            () => {},
          )
          .finally(() => asking.current.delete(id));
      }
    };
    let reading: Promise<void> | null = null;
    const refresh = (): Promise<void> => {
      if (reading) return reading;
      const before = polls.known();
      reading = api
        .polls(session.eventID, session.talkID)
        .then(
          (res) => {
            if (stopped) return;
            if (polls.merge(res.polls, before)) bump();
            fetchMissing();
          },
          () => {
            // Never read yet (the server was away): try again, so the page does not wait for a reconnect.
            if (!stopped && !polls.loaded) setTimeout(() => void refresh(), firstReadRetryMs);
          },
        )
        .finally(() => (reading = null));
      return reading;
    };
    return {
      refresh,
      events: (evs: Parameters<PollsState['applyAll']>[0]) => {
        if (polls.applyAll(evs)) {
          bump();
          fetchMissing();
        }
      },
      stop: () => (stopped = true),
    };
  }, [session, polls, staff]);

  // The talk stream: follow from the start (the session calls followers only once it is subscribed).
  useEffect(() => {
    if (!session || !ctl) return;
    const off = session.follow(ctl.events, () => void ctl.refresh()); // after a reset, read again
    return () => {
      off();
      ctl.stop();
    };
  }, [session, ctl]);
  // The snapshot: after the question list, whose cursor the stream resumes from.
  useEffect(() => {
    if (ready && ctl) void ctl.refresh();
  }, [ready, ctl]);
  // A reconnect may have lost messages (a restarted server resets the stream): read again.
  useEffect(() => {
    if (!ctl) return;
    let was = live.status;
    return live.onStatus((s) => {
      if (s === 'live' && was === 'reconnecting') void ctl.refresh();
      was = s;
    });
  }, [live, ctl]);
  // An own word answer waiting for review: approval or rejection reaches no stream of the viewer's.
  const pending = polls?.anyPending() ?? false;
  useEffect(() => {
    if (!pending || !ctl) return;
    const timer = setInterval(() => void ctl.refresh(), pendingRecheckMs);
    return () => clearInterval(timer);
  }, [pending, ctl]);
  return polls;
}

/** The viewer's vote in words: the options chosen, the rating, or the answer. */
export function voteText(poll: Poll, v: Vote): string {
  if (poll.kind === 'words') return v.text;
  if (poll.kind === 'rating') return `★${v.keys[0] ?? ''}`;
  const sep = t('pollListSep');
  return poll.options
    .filter((o) => v.keys.includes(o.id))
    .map((o) => o.label)
    .join(sep);
}

/** What a failed vote tells the participant. */
export function voteErrorText(err: unknown): string {
  if (err instanceof ApiError) {
    if (err.status === 429) return t('pollRateLimited', { s: Math.max(1, err.retryAfter || 10) });
    if (err.status === 400 && (err.details.reason === 'refused' || err.code === 'refused')) return t('pollRefused');
    if (err.status === 409) return t('pollClosedNow');
  }
  return errorText(err);
}

function lead(poll: Poll): string {
  if (poll.kind === 'rating') return t('pollHowRating');
  if (poll.kind === 'words') return t('pollHowWords');
  return poll.multiple ? t('pollHowMany') : t('pollHowOne');
}

/**
 * The audience page's place for polls: the current poll's card, and a
 * polite announcement (for screen readers) when a poll opens or closes.
 */
export function AudiencePoll({ eventID, polls, canVote }: { eventID: number; polls: PollsState | null; canVote: boolean }) {
  useLocale();
  const poll = polls?.current() ?? null;
  const said = poll ? (poll.state === 'open' ? t('pollAnnounceOpen', { q: poll.question }) : t('pollAnnounceClosed', { q: poll.question })) : '';
  return (
    <>
      <p class="sr-only" aria-live="polite" data-testid="poll-announce">
        {said}
      </p>
      {poll && polls && <PollCard key={poll.id} eventID={eventID} polls={polls} poll={poll} canVote={canVote} />}
    </>
  );
}

/**
 * The audience's card for the current poll. canVote: the viewer is a
 * participant (staff see the same card read-only).
 */
export function PollCard({
  eventID,
  polls,
  poll,
  canVote,
}: {
  eventID: number;
  polls: PollsState;
  poll: Poll;
  canVote: boolean;
}) {
  useLocale();
  const mine = polls.myVote(poll.id);
  const results = polls.results(poll.id);
  const open = poll.state === 'open';
  const [busy, setBusy] = useState(false);
  const [err, setErr] = useState('');
  // The choices being made: a choice poll's options, a word answer's text.
  const [chosen, setChosen] = useState<string[]>(() => (mine && poll.kind === 'choice' ? mine.keys : []));
  const [text, setText] = useState('');
  useEffect(() => {
    setChosen(mine && poll.kind === 'choice' ? mine.keys : []);
    setErr('');
  }, [poll.id]);
  useEffect(() => {
    if (!open) setErr('');
  }, [open]);
  const input = useRef<HTMLInputElement>(null);
  const id = `poll-${poll.id}`;

  const send = async (ballot: Ballot) => {
    if (busy) return;
    setBusy(true);
    setErr('');
    try {
      const v = await api.vote(eventID, poll.talk_id, poll.id, ballot);
      // The card reads the vote held when it renders again (setBusy below).
      polls.setMyVote(poll.id, v);
      if (poll.kind === 'words') setText('');
      // The vote shows in the card ("Your vote"); a held answer says so there.
      if (v.status === 'approved') toast(t('pollVoted'));
    } catch (e) {
      setErr(voteErrorText(e));
    } finally {
      setBusy(false);
    }
  };

  const onChoice = (e: Event) => {
    e.preventDefault();
    if (chosen.length === 0) {
      setErr(t('pollChooseFirst'));
      return;
    }
    void send({ options: poll.options.map((o) => o.id).filter((k) => chosen.includes(k)) });
  };
  const n = countChars(text);
  const over = n > maxPollAnswer;
  const onWords = (e: Event) => {
    e.preventDefault();
    if (n < 1) {
      setErr(t('pollEmptyAnswer'));
      input.current?.focus();
      return;
    }
    if (over) return;
    void send({ text: text.trim() });
  };
  const toggle = (key: string, on: boolean) => {
    setErr('');
    setChosen((c) => (poll.multiple ? (on ? [...c.filter((k) => k !== key), key] : c.filter((k) => k !== key)) : on ? [key] : []));
  };
  const changed = poll.kind === 'choice' && (!mine || chosen.length !== mine.keys.length || chosen.some((k) => !mine.keys.includes(k)));
  const disabled = !open || !canVote || busy;

  return (
    <section class="card poll-card" aria-labelledby={`${id}-q`} data-testid="poll-card" data-poll={poll.id} data-kind={poll.kind} data-state={poll.state}>
      <div class="poll-head">
        <span class="poll-kicker">{t('pollKicker')}</span>
        {!open && (
          <span class="poll-closed" data-testid="poll-closed">
            {t('pollClosed')}
          </span>
        )}
      </div>
      <h2 id={`${id}-q`} class="poll-q" dir="auto">
        {poll.question}
      </h2>
      {open && canVote && <p class="poll-how">{lead(poll)}</p>}
      {!canVote && open && <p class="poll-how">{t('pollStaffReadOnly')}</p>}

      {poll.kind === 'choice' && (open || !results) && (
        <form class="poll-form" onSubmit={onChoice} data-testid="poll-form">
          <fieldset class="poll-options" disabled={disabled && !busy}>
            <legend class="sr-only">{poll.question}</legend>
            {poll.options.map((o) => (
              <label key={o.id} class={`poll-option ${chosen.includes(o.id) ? 'poll-option-on' : ''}`} data-key={o.id}>
                <input
                  type={poll.multiple ? 'checkbox' : 'radio'}
                  name={`${id}-o`}
                  value={o.id}
                  checked={chosen.includes(o.id)}
                  onChange={(e) => toggle(o.id, e.currentTarget.checked)}
                />
                <span dir="auto">{o.label}</span>
              </label>
            ))}
          </fieldset>
          {/* Once voted, the button comes back when the choice differs from the vote. */}
          {open && canVote && (!mine || changed || busy) && (
            <button type="submit" class="btn btn-primary poll-submit" disabled={busy} data-testid="poll-vote">
              {busy ? t('pollSending') : mine ? t('pollChangeVote') : t('pollVote')}
            </button>
          )}
        </form>
      )}

      {poll.kind === 'rating' && (open || !results) && (
        <div class="poll-rating" role="group" aria-labelledby={`${id}-q`} data-testid="poll-rating">
          {[1, 2, 3, 4, 5].map((r) => {
            const on = mine?.keys[0] === String(r);
            return (
              <button
                key={r}
                type="button"
                class={`poll-star ${on ? 'poll-star-on' : ''}`}
                aria-pressed={on}
                aria-label={t('pollRateAs', { n: r })}
                disabled={disabled}
                onClick={() => void send({ rating: r })}
                data-rating={r}
              >
                <span aria-hidden="true">★</span>
                <span class="poll-star-n" aria-hidden="true">
                  {r}
                </span>
              </button>
            );
          })}
          <p class="poll-scale" aria-hidden="true">
            <span>{t('pollScaleLow')}</span>
            <span>{t('pollScaleHigh')}</span>
          </p>
        </div>
      )}

      {poll.kind === 'words' && open && canVote && (
        <form class="poll-form poll-words" onSubmit={onWords} data-testid="poll-form">
          <label for={`${id}-text`} class="poll-words-label">
            {mine ? t('pollAnswerAgain') : t('pollAnswerLabel')}
          </label>
          <div class="poll-words-row">
            <input
              id={`${id}-text`}
              ref={input}
              type="text"
              dir="auto"
              value={text}
              autocomplete="off"
              enterkeyhint="send"
              placeholder={t('pollAnswerPlaceholder')}
              aria-describedby={`${id}-count ${id}-err`}
              aria-invalid={over || undefined}
              disabled={busy}
              onInput={(e) => {
                setText(e.currentTarget.value);
                if (err) setErr('');
              }}
              data-testid="poll-text"
            />
            <button type="submit" class="btn btn-primary" disabled={busy || over} data-testid="poll-send">
              {busy ? t('pollSending') : t('pollSend')}
            </button>
          </div>
          <span id={`${id}-count`} class={over ? 'counter counter-over' : 'counter'} aria-live="polite" data-testid="poll-counter">
            <span aria-hidden="true">{t('charCount', { n, max: maxPollAnswer })}</span>
            <span class="sr-only">{over ? t('charOver', { n: n - maxPollAnswer, max: maxPollAnswer }) : t('charLimit', { max: maxPollAnswer })}</span>
          </span>
        </form>
      )}

      {mine && (
        <p class={`poll-mine poll-mine-${mine.status}`} data-testid="poll-mine" data-status={mine.status}>
          <span class="poll-mine-label">{poll.kind === 'words' ? t('pollYourAnswer') : t('pollYourVote')}</span>
          <span dir="auto">{voteText(poll, mine)}</span>
          {mine.status === 'pending' && <span class="poll-mine-note">{t('pollPending')}</span>}
          {mine.status === 'rejected' && <span class="poll-mine-note">{t('pollRejected')}</span>}
          {mine.status === 'approved' && open && <span class="poll-mine-note">{t('pollCanChange')}</span>}
        </p>
      )}
      <p id={`${id}-err`} class="error-text" role="alert" data-testid="poll-error">
        {err}
      </p>

      {results ? (
        <PollResultsView poll={poll} results={results} size="phone" />
      ) : resultsVisible(poll) ? (
        <PollResultsView poll={poll} results={null} size="phone" />
      ) : (
        <p class="poll-later" data-testid="poll-results-later">
          {t('pollResultsLater')}
        </p>
      )}
    </section>
  );
}
