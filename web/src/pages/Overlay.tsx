// The OBS overlay (F19): /overlay/{secret}?talk=…&theme=…&lang=…&question=…
// A browser source at 1920×1080 over the stream: transparent wherever no
// widget is, read-only (the link's viewer can read and nothing else), on
// koe's own origin only. The URL chooses the widgets and where they go
// (state/overlay.ts). A dropped connection keeps what is shown and catches
// up quietly: nothing on the broadcast flashes, spins or warns; what the
// person setting OBS up must see (a rotated link, a wrong talk) is one
// small badge in a corner.
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from 'preact/hooks';
import { ApiError, api, setViewerKey } from '../api';
import { locale, setLocale, t, useLocale } from '../i18n';
import type { Status } from '../live';
import { PostHead } from '../ui/posthead';
import { codeGroups, fromBottom, layout, parseOverlayParams, type OverlayParams, type Widget } from '../state/overlay';
import type { ClientConfig, KoeEvent, Poll, Post, Question } from '../types';
import { ReactionBursts, type ReactionFeed } from '../ui/bursts';
import { useFitText } from '../ui/fit';
import { useTitle } from '../ui/hooks';
import { joinBase, shortLink } from '../ui/joinbase';
import { QRCode } from '../ui/qr';
import { PollResultsView } from '../ui/pollresults';
import { usePolls } from '../ui/pollvote';
import { resultsVisible, type PollsState } from '../state/polls';
import { EventLogo, useBranding, useEventLive, useFeaturedPost, useTalkSession } from './Audience';
import '../styles/overlay.css';
import '../styles/polls.css';

/** How often the link is checked again (a rotated link must stop showing). */
const recheckMs = 30_000;

type Problem = 'gone' | 'unreachable' | { talk: number } | null;

function isGone(e: unknown): boolean {
  return e instanceof ApiError && (e.status === 401 || e.status === 403);
}

function isNotFound(e: unknown): boolean {
  return (e instanceof ApiError && e.status === 404) || (e instanceof Error && e.message === 'not_found');
}

function reducedMotion(): boolean {
  return typeof matchMedia === 'function' && matchMedia('(prefers-reduced-motion: reduce)').matches;
}

export function Overlay({ secret }: { secret: string }) {
  // Before any request of this page or its children: every request and
  // the WebSocket carry the link's secret.
  setViewerKey(secret);
  const params = useMemo(() => parseOverlayParams(location.search), []);
  useLocale();
  useTitle(t('overlayTitle'));

  // The language of the URL, for this page only: the choice stored for
  // koe's other pages in this browser is put back.
  useState(() => {
    if (!params.lang || params.lang === locale()) return;
    let before: string | null = null;
    try {
      before = localStorage.getItem('koe.lang');
    } catch {
      // no storage
    }
    setLocale(params.lang);
    try {
      if (before === null) localStorage.removeItem('koe.lang');
      else localStorage.setItem('koe.lang', before);
    } catch {
      // no storage
    }
  });

  // Transparent: no background on html and body while the overlay is shown.
  useLayoutEffect(() => {
    const root = document.documentElement;
    root.classList.add('koe-overlay');
    return () => {
      root.classList.remove('koe-overlay');
      setViewerKey('');
    };
  }, []);

  const [eventID, setEventID] = useState<number | null>(null);
  const [problem, setProblem] = useState<Problem>(null);
  // Bumped to start again from scratch when the first load failed.
  const [attempt, setAttempt] = useState(0);

  const retrying = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  useEffect(() => () => clearTimeout(retrying.current), []);
  const check = useRef<() => void>(() => {});
  useEffect(() => {
    let stopped = false;
    let failures = 0;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let loaded = false;
    const run = () => {
      clearTimeout(timer);
      api.viewer().then(
        (v) => {
          if (stopped) return;
          failures = 0;
          loaded = true;
          setEventID(v.event_id);
          setProblem((p) => (p === 'gone' || p === 'unreachable' ? null : p));
          timer = setTimeout(run, recheckMs);
        },
        (e) => {
          if (stopped) return;
          if (isGone(e)) {
            setProblem('gone');
            timer = setTimeout(run, recheckMs);
            return;
          }
          // Not reachable: before anything is shown, say so in the corner
          // and try again soon; once shown, keep it and try again later.
          if (!loaded) setProblem('unreachable');
          timer = setTimeout(run, loaded ? recheckMs : Math.min(10_000, 1000 * 2 ** failures++));
        },
      );
    };
    check.current = run;
    run();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [secret]);

  const gone = problem === 'gone';
  return (
    <div class={`ov ov-${params.theme}`} data-testid="overlay" data-theme={params.theme}>
      {eventID !== null && !gone && (
        <OverlayLive
          key={`${eventID}/${attempt}`}
          eventID={eventID}
          params={params}
          onStatus={(s) => {
            if (s === 'reconnecting') check.current();
          }}
          onProblem={(p) => {
            if (p === 'gone') setProblem('gone');
            else if (p === 'retry') {
              setProblem('unreachable');
              if (!retrying.current) {
                retrying.current = setTimeout(() => {
                  retrying.current = undefined;
                  setAttempt((n) => n + 1);
                }, 3000);
              }
            } else setProblem(p);
          }}
        />
      )}
      {problem && <SetupBadge problem={problem} />}
    </div>
  );
}

/** The one thing the overlay says about itself: small, in a corner, for whoever sets OBS up. */
function SetupBadge({ problem }: { problem: Exclude<Problem, null> }) {
  const text =
    problem === 'gone' ? t('overlayLinkGone') : problem === 'unreachable' ? t('overlayUnreachable') : t('overlayTalkGone', { id: problem.talk });
  const kind = typeof problem === 'string' ? problem : 'talk';
  return (
    <p class="ov-setup" role="status" data-testid="overlay-problem" data-problem={kind}>
      <svg viewBox="0 0 24 24" class="ov-setup-icon" aria-hidden="true">
        <path d="M12 3 1.5 21h21zm0 5.5 1 .1-.3 6.9h-1.4L11 8.6zM12 17a1.2 1.2 0 1 1 0 2.4 1.2 1.2 0 0 1 0-2.4z" />
      </svg>
      {text}
    </p>
  );
}

function OverlayLive({
  eventID,
  params,
  onStatus,
  onProblem,
}: {
  eventID: number;
  params: OverlayParams;
  onStatus: (s: Status) => void;
  onProblem: (p: 'gone' | 'retry' | { talk: number } | null) => void;
}) {
  const lang = useLocale();
  const { live, prog, programme, status, error: progError } = useEventLive(eventID);
  const talkID = params.talkID ?? undefined;
  const { session, state, ready, error: talkError } = useTalkSession(live, eventID, talkID, false);
  const event = programme.event;
  useBranding(event);

  useEffect(() => onStatus(status), [status]);

  // A failed first load starts over; a talk that is not the event's is
  // told in the corner; errors once loaded are passing (the sessions retry).
  useEffect(() => {
    const e = progError ?? (talkError && (!ready || isNotFound(talkError)) ? talkError : null);
    if (!e) return;
    if (isGone(e)) onProblem('gone');
    else if (talkID && isNotFound(e) && !progError) onProblem({ talk: talkID });
    else if (!event || !ready) onProblem('retry');
  }, [progError, talkError, ready]);
  useEffect(() => {
    if (ready || !talkID) onProblem(null);
  }, [ready]);

  const [clientConfig, setClientConfig] = useState<ClientConfig | null>(null);
  useEffect(() => {
    api.clientConfig().then(setClientConfig, () => setClientConfig({ join_base_url: '', loopback: false, reaction_palette: [] }));
  }, []);

  const show = params.widgets;
  const featured = useFeaturedPost(eventID, live, prog, !!show.post);
  const polls = usePolls(show.poll ? session : null, ready, live);

  const highlighted = state?.highlighted() ?? null;
  const slots = layout(params);

  const widget = (w: Widget) => {
    switch (w) {
      case 'question':
        return <LowerThird key={w} q={highlighted} lang={lang} />;
      case 'post':
        return <FeaturedCard key={w} post={featured.post} lang={lang} />;
      case 'reactions':
        return <ReactionsBox key={w} session={session} event={event} />;
      case 'join':
        return event ? <JoinBadge key={w} event={event} cfg={clientConfig} qr={params.qr} /> : null;
      case 'poll':
        return <PollBox key={w} polls={polls} />;
    }
  };

  return (
    <>
      {[...slots].map(([pos, ws]) => (
        <div key={pos} class={`ov-slot ov-at-${pos} ${fromBottom(pos) ? 'ov-slot-up' : ''}`} data-pos={pos}>
          {ws.map(widget)}
        </div>
      ))}
    </>
  );
}

/**
 * Keeps the last item shown for ms after it goes (to animate it out);
 * with reduced motion it goes at once.
 */
function useLeaving<T extends { id: number }>(item: T | null, ms: number): { shown: T | null; leaving: boolean } {
  const [last, setLast] = useState<T | null>(item);
  useEffect(() => {
    if (item) {
      setLast(item);
      return;
    }
    if (!last) return;
    const wait = reducedMotion() ? 0 : ms;
    const timer = setTimeout(() => setLast(null), wait);
    return () => clearTimeout(timer);
  }, [item]);
  if (item) return { shown: item, leaving: false };
  return { shown: last, leaving: !!last };
}

/** The highlighted question as a lower third: who asked, and the question fitted to its box. */
function LowerThird({ q, lang }: { q: Question | null; lang: string }) {
  const { shown, leaving } = useLeaving(q, 450);
  const body = useRef<HTMLParagraphElement>(null);
  useFitText(body, shown?.body ?? '', [shown?.id, lang]);
  if (!shown) return null;
  return (
    <section
      key={shown.id}
      class={`ov-card ov-q ${leaving ? 'ov-leaving' : ''} ${shown.answered ? 'ov-q-answered' : ''}`}
      data-testid="overlay-question"
      data-qid={shown.id}
      data-leaving={String(leaving)}
      aria-live="polite"
    >
      <div class="ov-q-head">
        <span class="ov-kicker">{t('overlayQuestion')}</span>
        <span class="ov-q-author" dir="auto">
          {shown.author_name || t('anonymous')}
        </span>
        {shown.answered && <span class="ov-q-done">{t('answered')}</span>}
      </div>
      <p ref={body} class="ov-q-body" data-testid="overlay-question-body" dir="auto">
        {shown.body}
      </p>
    </section>
  );
}

/** The post the event features: the author's initials (no avatars: koe loads nothing from elsewhere) and the text. */
function FeaturedCard({ post, lang }: { post: Post | null; lang: string }) {
  const { shown, leaving } = useLeaving(post, 450);
  const text = useRef<HTMLParagraphElement>(null);
  useFitText(text, shown?.text ?? '', [shown?.id, shown?.version, lang]);
  if (!shown) return null;
  return (
    <section
      key={shown.id}
      class={`ov-card ov-post ${leaving ? 'ov-leaving' : ''}`}
      data-testid="overlay-post"
      data-pid={shown.id}
      data-leaving={String(leaving)}
      aria-live="polite"
      aria-label={t('screenFeatured')}
    >
      <PostHead post={shown} prefix="ov-post" />
      <p ref={text} class="ov-post-text" data-testid="overlay-post-text" dir="auto" lang={shown.lang || undefined}>
        {shown.text}
      </p>
    </section>
  );
}

/** The talk's current poll: its question and results; nothing without one. */
function PollBox({ polls }: { polls: PollsState | null }) {
  const current = polls?.current() ?? null;
  const { shown, leaving } = useLeaving<Poll>(current, 450);
  if (!shown) return null;
  // What is shown as it goes is the poll as last held.
  const poll = polls?.get(shown.id) ?? shown;
  const results = polls?.results(poll.id) ?? null;
  return (
    <section
      key={poll.id}
      class={`ov-card ov-poll ${leaving ? 'ov-leaving' : ''}`}
      data-testid="overlay-poll"
      data-poll={poll.id}
      data-state={poll.state}
      data-leaving={String(leaving)}
      aria-label={t('pollKicker')}
    >
      <div class="ov-poll-head">
        <span class="ov-kicker">{t('pollKicker')}</span>
        {poll.state === 'closed' && <span class="ov-poll-state">{t('pollClosed')}</span>}
      </div>
      <p class="ov-poll-q" dir="auto">
        {poll.question}
      </p>
      {results || resultsVisible(poll) ? (
        <PollResultsView poll={poll} results={results} size="overlay" />
      ) : (
        <p class="ov-poll-state">{t('pollResultsLater')}</p>
      )}
    </section>
  );
}

/** The talk's reaction bursts in a tall, transparent box. */
function ReactionsBox({ session, event }: { session: ReactionFeed | null; event: KoeEvent | null }) {
  if (!event) return null;
  return (
    <div class="ov-reactions" data-testid="overlay-reactions">
      <ReactionBursts session={session} emoji={event.settings.reactions ?? undefined} />
    </div>
  );
}

/** "Ask at host/j/CODE", the code, and a small QR code. */
function JoinBadge({ event, cfg, qr }: { event: KoeEvent; cfg: ClientConfig | null; qr: boolean }) {
  const join = joinBase(cfg, location.origin);
  const url = `${join.base}/j/${event.join_code}`;
  return (
    <section class="ov-card ov-join" data-testid="overlay-join">
      {qr && (
        <div class="ov-join-qr">
          <QRCode text={url} label={`${t('overlayScan')}: ${url}`} />
        </div>
      )}
      <div class="ov-join-text">
        <EventLogo event={event} class="ov-join-logo" />
        <span class="ov-join-label">{t('overlayJoinAt')}</span>
        <span class="ov-join-url" data-testid="overlay-join-url" dir="ltr">
          {/* A long host breaks before /j/CODE, not inside it. */}
          {shortLink(join.base)}
          <wbr />
          {`/j/${event.join_code}`}
        </span>
        <span class="ov-join-code-row">
          <span class="ov-join-label">{t('overlayCode')}</span>
          <span class="ov-join-code" data-testid="overlay-join-code" aria-hidden="true">
            {codeGroups(event.join_code).map((g, i) => (
              <span key={i} class="ov-join-code-group">
                {g}
              </span>
            ))}
          </span>
          <span class="sr-only">{event.join_code.split('').join(' ')}</span>
        </span>
      </div>
    </section>
  );
}
