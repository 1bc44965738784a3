// The presenter / projector screen (1920×1080, readable from the back of
// the room): join QR and code, the highlighted question, the top questions,
// reaction bursts, how many are connected. Staff drive it from the
// keyboard. Opened by a screen link (/screen/{secret}: ScreenLinkPage) it
// is read-only: no sign-in, no staff keys, a talk picker first.
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { ApiError, api, getViewerKey, setViewerKey } from '../api';
import { t, useLocale } from '../i18n';
import type { ClientConfig, Question, Viewer } from '../types';
import { PostHead } from '../ui/posthead';
import { approved, view } from '../state/questions';
import { LangSwitch, Spinner, StatusPill } from '../ui/chrome';
import { errorText } from '../ui/errors';
import { useFitText } from '../ui/fit';
import { useNow, useTitle } from '../ui/hooks';
import { joinBase, shortLink } from '../ui/joinbase';
import { QRCode } from '../ui/qr';
import { LikeIcon, PhaseBadge } from '../ui/qa';
import { ReactionBursts } from '../ui/bursts';
import { navigate } from '../ui/router';
import { eventReactions } from '../state/reactions';
import { SignIn } from '../ui/signin';
import { toast } from '../ui/toast';
import { EventLogo, useBranding, useEventLive, useFeaturedPost, useTalkSession } from './Audience';
import '../styles/screen.css';
import '../styles/feed.css';
import '../styles/reactions.css';
import '../styles/polls.css';
import { PollResultsView } from '../ui/pollresults';
import { usePolls } from '../ui/pollvote';
import { resultsVisible, type PollsState } from '../state/polls';

/** What the screen's main area shows (keys 1, 2, 3 and 4: the poll). */
type ScreenShows = 'all' | 'qa' | 'post' | 'poll';

const showsKeys: Record<string, ScreenShows> = { '1': 'all', '2': 'qa', '3': 'post', '4': 'poll' };

function sizeClass(body: string): string {
  const n = [...body].length;
  return n <= 70 ? 'hl-xl' : n <= 160 ? 'hl-l' : n <= 300 ? 'hl-m' : 'hl-s';
}

/** A screen opened by a screen link: read-only, for the link's event. */
export interface ViewerMode {
  secret: string;
  /** A request was refused or the connection dropped: the link may be gone; check it. */
  check(): void;
}

/** A talk's presenter screen; room names the room when a room's screen shows it. */
export function Screen({ eventID, talkID, viewer, room }: { eventID: number; talkID: number; viewer?: ViewerMode; room?: string }) {
  const lang = useLocale();
  const [role, setRole] = useState<'staff' | 'participant' | 'none' | 'viewer' | null>(viewer ? 'viewer' : null);
  const [help, setHelpState] = useState(false);
  // What the main area shows, chosen from the keyboard: the highlighted
  // question with the featured post beside it, the Q&A alone, or the
  // featured post alone, large.
  const [shows, setShows] = useState<ScreenShows>('all');
  // The key handler reads the help state through a ref: it must see a
  // change at once, not after the effect that re-binds it has run.
  const helpRef = useRef(false);
  const setHelp = (v: boolean | ((h: boolean) => boolean)) => {
    helpRef.current = typeof v === 'function' ? v(helpRef.current) : v;
    setHelpState(helpRef.current);
  };
  const { live, prog, programme, status } = useEventLive(eventID);
  const staff = role === 'staff';
  const { session, state, ready, error } = useTalkSession(live, eventID, role && role !== 'none' ? talkID : undefined, staff);
  const polls = usePolls(session, ready, live, staff);
  const event = programme.event;
  const talk = state?.talk ?? programme.talks.get(talkID) ?? null;
  useTitle(talk ? talk.title : '');
  useBranding(event);

  const checkRole = () =>
    api.me(eventID).then(
      (me) => setRole(me.role),
      (e) => setRole(e instanceof ApiError && e.status === 401 ? 'none' : 'participant'),
    );
  useEffect(() => {
    if (!viewer) void checkRole();
  }, [eventID]);
  // A screen link given a new secret or deleted: the next request says
  // 401, and a dropped connection may be the first sign; the link page
  // checks and shows that the link no longer works.
  useEffect(() => {
    if (viewer && error instanceof ApiError && error.status === 401) viewer.check();
  }, [error]);
  useEffect(() => {
    if (!viewer) return;
    return live.onStatus((s) => {
      if (s === 'reconnecting') viewer.check();
    });
  }, [live, viewer]);
  // The base of the join link phones can reach (KOE_PUBLIC_URL or a LAN
  // address koe found), not necessarily this page's origin.
  const [clientConfig, setClientConfig] = useState<ClientConfig | null>(null);
  useEffect(() => {
    api.clientConfig().then(setClientConfig, () => setClientConfig({ join_base_url: '', loopback: false, reaction_palette: [] }));
  }, []);

  const featured = useFeaturedPost(eventID, live, prog);
  const post = shows === 'qa' || shows === 'poll' ? null : featured.post;
  const postText = useRef<HTMLParagraphElement>(null);

  const highlighted = shows === 'post' || shows === 'poll' ? undefined : state?.highlighted();
  const top = state ? view(state.all(), 'top', highlighted?.id ?? 0).filter(approved) : [];
  const hlBody = useRef<HTMLParagraphElement>(null);
  useFitText(hlBody, highlighted?.body ?? '', [highlighted?.id, highlighted?.answered, lang, post?.id]);
  useFitText(postText, post?.text ?? '', [post?.id, highlighted?.id, lang]);

  useEffect(() => {
    const act = async (fn: () => Promise<unknown>) => {
      try {
        await fn();
      } catch (e) {
        toast(errorText(e), 'error');
      }
    };
    const onKey = (e: KeyboardEvent) => {
      if (e.metaKey || e.ctrlKey || e.altKey) return;
      const target = e.target as HTMLElement | null;
      if (target && /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName)) return;
      if (e.key === '?') {
        setHelp((h) => !h);
        return;
      }
      if (e.key === 'f') {
        if (document.fullscreenElement) void document.exitFullscreen();
        else void document.documentElement.requestFullscreen?.().catch(() => {});
        return;
      }
      if (e.key === 'Escape' && helpRef.current) {
        setHelp(false);
        return;
      }
      const choice = showsKeys[e.key];
      if (choice) {
        setShows(choice);
        return;
      }
      if (viewer && (e.key === 't' || e.key === 'T')) {
        navigate(`/screen/${viewer.secret}`);
        return;
      }
      if (!staff || !state) return;
      const hl = state.highlighted();
      const order = view(state.all(), 'top').filter(approved);
      const setHL = (q: Question | undefined | null) =>
        act(async () => state.ownTalk(await api.highlight(eventID, talkID, q ? q.id : null)));
      const i = hl ? order.findIndex((q) => q.id === hl.id) : -1;
      switch (e.key) {
        case 'j':
        case 'ArrowDown':
        case 'ArrowRight':
        case 'n':
          e.preventDefault();
          if (order.length) void setHL(i < 0 ? order[0] : order[(i + 1) % order.length]);
          break;
        case 'k':
        case 'ArrowUp':
        case 'ArrowLeft':
        case 'p':
          e.preventDefault();
          if (order.length) void setHL(i < 0 ? order[order.length - 1] : order[(i - 1 + order.length) % order.length]);
          break;
        case 'a':
          if (hl) void act(async () => state.own(await api.updateQuestion(eventID, talkID, hl.id, { answered: !hl.answered })));
          break;
        case 'h':
          if (hl) void act(async () => state.own(await api.updateQuestion(eventID, talkID, hl.id, { hidden: true })));
          break;
        case 'Escape':
          if (hl) void setHL(null);
          break;
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [staff, state, eventID, talkID, viewer]);

  if (role === 'none') {
    return (
      <div class="screen screen-signin">
        <div class="screen-signin-box">
          <SignIn onDone={() => void checkRole()} />
        </div>
      </div>
    );
  }

  const join = joinBase(clientConfig, location.origin);
  const joinURL = event ? `${join.base}/j/${event.join_code}` : '';
  const shortURL = shortLink(joinURL);
  const code = event?.join_code ?? '';

  return (
    <div class="screen" data-testid="screen">
      <aside class="screen-side">
        <div class="screen-brand">
          {event && <EventLogo event={event} class="screen-logo" />}
          <div class="screen-event">
            {event?.title}
            {room && <span class="screen-room"> · {room}</span>}
          </div>
        </div>
        {talk && (
          <div class="screen-talk">
            <h1 class="screen-talk-title">{talk.title}</h1>
            {(talk.speaker || talk.track) && <p class="screen-talk-meta">{[talk.speaker, talk.track].filter(Boolean).join(' · ')}</p>}
            {!talk.qa_open && <span class="screen-qa-closed">{t('qaClosedShort')}</span>}
          </div>
        )}
        {event && (
          <div class="screen-join">
            <div class="screen-qr">
              <QRCode text={joinURL} label={`${t('screenScan')}: ${joinURL}`} />
            </div>
            <div class="screen-join-text">
              <span class="screen-join-label">{t('screenJoinAt')}</span>
              <span class="screen-url" data-testid="screen-url">
                {shortURL}
              </span>
              <span class="screen-join-label">{t('screenOrCode')}</span>
              {/* aria-label is not read on a span: screen readers get the code letter by letter from the hidden text. */}
              <span class="screen-code" data-testid="screen-code" aria-hidden="true">
                {code.slice(0, 3)}
                <span class="screen-code-gap" />
                {code.slice(3)}
              </span>
              <span class="sr-only">{code.split('').join(' ')}</span>
              {join.unreachable && (
                <span class="screen-unreachable" role="alert" data-testid="screen-unreachable">
                  {t('screenUnreachable')}
                </span>
              )}
            </div>
          </div>
        )}
        <div class="screen-foot">
          <span class="screen-presence" data-testid="presence" data-n={state?.presence ?? ''}>
            <svg viewBox="0 0 24 24" class="icon" aria-hidden="true">
              <path class="icon-fill" d="M12 12a4 4 0 1 0 0-8 4 4 0 0 0 0 8zm-7 8a7 7 0 0 1 14 0z" />
            </svg>
            {state?.presence != null ? t('screenConnected', { n: state.presence }) : '…'}
          </span>
          <StatusPill status={status} />
        </div>
      </aside>
      <main class="screen-main" id="main">
        {error ? (
          <p class="screen-error">{errorText(error)}</p>
        ) : shows === 'poll' ? (
          <PollStage polls={polls} />
        ) : highlighted ? (
          <section class={`screen-hl ${highlighted.answered ? 'screen-hl-answered' : ''}`} data-testid="screen-highlight" aria-live="polite">
            <p ref={hlBody} class={`screen-hl-body ${sizeClass(highlighted.body)}`} data-testid="screen-highlight-body" dir="auto">
              {highlighted.body}
            </p>
            <div class="screen-hl-meta">
              <span class="screen-hl-author" dir="auto">{highlighted.author_name || t('anonymous')}</span>
              <span class="screen-likes" data-likes={highlighted.likes}>
                <LikeIcon filled />
                {highlighted.likes}
              </span>
              {highlighted.answered && <span class="screen-badge">{t('answered')}</span>}
            </div>
          </section>
        ) : post ? null : shows === 'post' ? (
          <section class="screen-hl screen-hl-empty" aria-live="polite" data-testid="screen-no-post">
            <p class="screen-hl-body hl-l">{t('screenNoPost')}</p>
            <p class="screen-hl-sub">{t('screenNoPostSub')}</p>
          </section>
        ) : (
          <section class="screen-hl screen-hl-empty" aria-live="polite" data-testid="screen-idle" data-qa-open={String(talk?.qa_open ?? true)}>
            <p class="screen-hl-body hl-l">{talk && !talk.qa_open ? t('screenQAClosed') : t('screenNoHighlight')}</p>
            <p class="screen-hl-sub">{talk && !talk.qa_open ? t('screenQAClosedSub') : t('screenNoHighlightSub')}</p>
          </section>
        )}
        {post && !error && (
          <section class={`screen-post ${highlighted ? 'screen-post-small' : ''}`} data-testid="screen-post" data-pid={post.id} aria-live="polite" aria-label={t('screenFeatured')}>
            <PostHead post={post} prefix="screen-post" />
            <p ref={postText} class={`screen-post-text ${highlighted ? 'hl-s' : sizeClass(post.text)}`} data-testid="screen-post-text" dir="auto" lang={post.lang || undefined}>
              {post.text}
            </p>
          </section>
        )}
        {shows !== 'post' && shows !== 'poll' && (
          <section class="screen-top" aria-labelledby="screen-top-h" data-testid="screen-top">
            <h2 id="screen-top-h" class="screen-top-h">
              {t('screenTopQuestions')}
            </h2>
            {top.length === 0 ? (
              <p class="screen-empty">{t('screenNoQuestions')}</p>
            ) : (
              <ol class="screen-list" data-testid="screen-list">
                {top.slice(0, (highlighted ? 3 : 5) - (post ? 2 : 0)).map((q) => (
                  <li key={q.id} class="screen-item" data-qid={q.id}>
                    <span class="screen-item-likes" data-likes={q.likes}>
                      <LikeIcon filled={false} />
                      {q.likes}
                    </span>
                    <span class="screen-item-body" title={q.body} dir="auto">
                      {q.body}
                    </span>
                  </li>
                ))}
              </ol>
            )}
          </section>
        )}
        <div class="screen-hint" data-shows={shows}>
          {staff || viewer ? t('screenHelpHint') : role === 'participant' ? t('screenStaffOnly') : ''}
          <LangSwitch />
        </div>
      </main>
      {/* The taps of the audience float up the right-hand edge, over the questions' margin. */}
      <div class="screen-bursts" data-testid="screen-bursts">
        <ReactionBursts session={session} emoji={event ? eventReactions(event.settings) : undefined} />
      </div>
      {help && (
        <div class="screen-help" role="dialog" aria-modal="true" aria-labelledby="help-h">
          <div class="screen-help-box">
            <h2 id="help-h">{t('screenHelpTitle')}</h2>
            <dl>
              {(viewer
                ? ([
                    ['T', 'screenKeyTalks'],
                    ['1 / 2 / 3', 'screenKeyShows'],
                    ['4', 'pollScreenKey'],
                    ['F', 'screenKeyFullscreen'],
                    ['?', 'screenKeyHelp'],
                    ['Esc', 'screenKeyClose'],
                  ] as const)
                : ([
                    ['J / ↓', 'screenKeyNext'],
                    ['K / ↑', 'screenKeyPrev'],
                    ['A', 'screenKeyAnswered'],
                    ['H', 'screenKeyHide'],
                    ['Esc', 'screenKeyClear'],
                    ['1 / 2 / 3', 'screenKeyShows'],
                    ['4', 'pollScreenKey'],
                    ['F', 'screenKeyFullscreen'],
                    ['?', 'screenKeyHelp'],
                  ] as const)
              ).map(([k, label]) => (
                <div class="screen-help-row" key={k}>
                  <dt>
                    <kbd>{k}</kbd>
                  </dt>
                  <dd>{t(label)}</dd>
                </div>
              ))}
            </dl>
            {!staff && !viewer && <p>{t('screenStaffOnly')}</p>}
            <button type="button" class="btn" onClick={() => setHelp(false)} autoFocus>
              {t('close')}
            </button>
          </div>
        </div>
      )}
    </div>
  );
}

/** The poll view (key 4): the current poll big, with its results as this screen may see them. */
function PollStage({ polls }: { polls: PollsState | null }) {
  const lang = useLocale();
  const poll = polls?.current() ?? null;
  const question = useRef<HTMLHeadingElement>(null);
  useFitText(question, poll?.question ?? '', [poll?.id, lang]);
  if (!poll) {
    return (
      <section class="screen-hl screen-hl-empty" aria-live="polite" data-testid="screen-no-poll">
        <p class="screen-hl-body hl-l">{t('pollScreenNone')}</p>
        <p class="screen-hl-sub">{t('pollScreenNoneSub')}</p>
      </section>
    );
  }
  // The room sees what the audience sees: hidden results stay hidden on the projector until revealed, staff or not (staff read them on their own page).
  const results = polls?.results(poll.id, false) ?? null;
  return (
    <section class="screen-poll" data-testid="screen-poll" data-poll={poll.id} data-state={poll.state} aria-labelledby="screen-poll-q">
      <div class="screen-poll-head">
        <span class="screen-poll-kicker">{t('pollKicker')}</span>
        {poll.state === 'closed' && <span class="screen-poll-state">{t('pollClosed')}</span>}
      </div>
      <h2 id="screen-poll-q" ref={question} class="screen-poll-q" dir="auto">
        {poll.question}
      </h2>
      <div class="screen-poll-body">
        {results || resultsVisible(poll) ? (
          <PollResultsView poll={poll} results={results} size="screen" />
        ) : (
          <p class="screen-poll-hidden" data-testid="screen-poll-hidden">
            {t('pollResultsHidden')}
          </p>
        )}
      </div>
    </section>
  );
}

/** Every screen link page: the link's secret, the talk it shows (none: the picker). */
export function ScreenLinkPage({ secret, talkID }: { secret: string; talkID?: number }) {
  return (
    <ScreenLinkGate secret={secret}>
      {(viewer, mode) =>
        talkID ? (
          <Screen key={talkID} eventID={viewer.event_id} talkID={talkID} viewer={mode} />
        ) : (
          <TalkChooser eventID={viewer.event_id} secret={secret} label={viewer.label} />
        )
      }
    </ScreenLinkGate>
  );
}

/**
 * A page opened by a screen link: it makes the secret the key of every
 * request, checks what the link is (again every minute: a renewed or
 * deleted link says so), and shows children once it is a screen link.
 */
export function ScreenLinkGate({ secret, children }: { secret: string; children: (viewer: Viewer, mode: ViewerMode) => preact.JSX.Element }) {
  useLocale();
  // Before any request of the page (the children's included): this
  // render, not an effect, so that the first request already carries it.
  useMemo(() => setViewerKey(secret), [secret]);
  useEffect(
    () => () => {
      if (getViewerKey() === secret) setViewerKey('');
    },
    [secret],
  );
  const [viewer, setViewer] = useState<Viewer | 'gone' | null>(null);
  const [err, setErr] = useState<unknown>(null);
  const check = useMemo(() => {
    let busy = false;
    return () => {
      if (busy) return;
      busy = true;
      api
        .viewer()
        .then(
          (v) => {
            setViewer(v);
            setErr(null);
          },
          (e) => {
            if (e instanceof ApiError && e.status === 401) setViewer('gone');
            else setErr(e);
          },
        )
        .finally(() => (busy = false));
    };
  }, [secret]);
  useEffect(() => {
    check();
    // Now and then too: a screen that stays connected learns of a new
    // secret only when it asks.
    const timer = setInterval(check, 60_000);
    return () => clearInterval(timer);
  }, [check]);
  // A failed first look (koe restarting, the network): try again.
  useEffect(() => {
    if (!err || viewer) return;
    const timer = setTimeout(check, 3000);
    return () => clearTimeout(timer);
  }, [err, viewer]);
  const mode = useMemo<ViewerMode>(() => ({ secret, check }), [secret, check]);

  if (viewer === 'gone') return <LinkGone />;
  if (!viewer) {
    return <div class="spick">{err ? <p class="spick-inner screen-error">{errorText(err)}</p> : <Spinner />}</div>;
  }
  if (viewer.kind !== 'screen') {
    return (
      <main id="main" class="spick sdead">
        <div class="sdead-box">
          <h1>{viewer.label}</h1>
          <p>{t('screenLinkIsOverlay')}</p>
        </div>
      </main>
    );
  }
  return children(viewer, mode);
}

/** A screen link that was rotated or deleted. */
function LinkGone() {
  useTitle(t('screenLinkDead'));
  return (
    <main id="main" class="spick sdead" data-testid="screen-link-gone">
      <div class="sdead-box">
        <div class="sdead-icon" aria-hidden="true">
          ⚠
        </div>
        <h1>{t('screenLinkDead')}</h1>
        <p>{t('screenLinkDeadSub')}</p>
        <LangSwitch />
      </div>
    </main>
  );
}

/** The talks of a screen link's event, big, for picking with the keyboard from across the room. */
function TalkChooser({ eventID, secret, label }: { eventID: number; secret: string; label: string }) {
  useLocale();
  const now = useNow();
  const { programme, status, error } = useEventLive(eventID);
  const event = programme.event;
  useTitle(event ? `${label} · ${event.title}` : label);
  useBranding(event);
  const talks = programme.ordered(now);
  const list = useRef<HTMLOListElement>(null);
  const focused = useRef(false);
  useEffect(() => {
    // The first talk (the one on now) takes the focus once: Enter opens it.
    if (focused.current || talks.length === 0) return;
    focused.current = true;
    list.current?.querySelector<HTMLAnchorElement>('a')?.focus();
  }, [talks.length]);
  const onKey = (e: KeyboardEvent) => {
    const links = [...(list.current?.querySelectorAll<HTMLAnchorElement>('a') ?? [])];
    const i = links.indexOf(document.activeElement as HTMLAnchorElement);
    let next = -1;
    if (e.key === 'ArrowDown' || e.key === 'j') next = i < 0 ? 0 : Math.min(links.length - 1, i + 1);
    else if (e.key === 'ArrowUp' || e.key === 'k') next = i < 0 ? 0 : Math.max(0, i - 1);
    else if (e.key === 'Home') next = 0;
    else if (e.key === 'End') next = links.length - 1;
    if (next < 0 || !links[next]) return;
    e.preventDefault();
    links[next].focus();
  };
  return (
    <main id="main" class="spick" data-testid="screen-picker">
      <div class="spick-inner">
        <p class="spick-event">{event?.title ?? ''}</p>
        <h1>{t('screenPickTitle')}</h1>
        <p class="spick-lead">{t('screenPickLead', { label })}</p>
        {error ? (
          <p class="screen-error">{errorText(error)}</p>
        ) : !event ? (
          <Spinner />
        ) : talks.length === 0 ? (
          <p class="spick-lead">{t('screenPickNone')}</p>
        ) : (
          <ol class="spick-list" ref={list} onKeyDown={onKey}>
            {talks.map((tk) => (
              <li key={tk.id}>
                <a class="spick-item" href={`/screen/${secret}/t/${tk.id}`} data-talk={tk.id}>
                  <PhaseBadge talk={tk} now={now} />
                  <span class="spick-text">
                    <span class="spick-title">{tk.title}</span>
                    {(tk.speaker || tk.track) && <span class="spick-meta">{[tk.speaker, tk.track].filter(Boolean).join(' · ')}</span>}
                  </span>
                </a>
              </li>
            ))}
          </ol>
        )}
        <div class="spick-foot">
          <StatusPill status={status} />
          <LangSwitch />
        </div>
      </div>
    </main>
  );
}
