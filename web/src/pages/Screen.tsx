// The presenter / projector screen (1920×1080, readable from the back of
// the room): join QR and code, the highlighted question, the top questions,
// how many are connected. Staff drive it from the keyboard.
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { ApiError, api } from '../api';
import { t, useLocale } from '../i18n';
import type { ClientConfig, Question } from '../types';
import { atHandle, FeaturedPost, initials, platformName } from '../state/posts';
import { approved, view } from '../state/questions';
import { LangSwitch, StatusPill } from '../ui/chrome';
import { errorText } from '../ui/errors';
import { useFitText } from '../ui/fit';
import { useObservable, useTitle } from '../ui/hooks';
import { joinBase, shortLink } from '../ui/joinbase';
import { QRCode } from '../ui/qr';
import { LikeIcon } from '../ui/qa';
import { SignIn } from '../ui/signin';
import { toast } from '../ui/toast';
import { EventLogo, useBranding, useEventLive, useTalkSession } from './Audience';
import '../styles/screen.css';
import '../styles/feed.css';

function sizeClass(body: string): string {
  const n = [...body].length;
  return n <= 70 ? 'hl-xl' : n <= 160 ? 'hl-l' : n <= 300 ? 'hl-m' : 'hl-s';
}

export function Screen({ eventID, talkID }: { eventID: number; talkID: number }) {
  const lang = useLocale();
  const [role, setRole] = useState<'staff' | 'participant' | 'none' | null>(null);
  const [help, setHelpState] = useState(false);
  // The key handler reads the help state through a ref: it must see a
  // change at once, not after the effect that re-binds it has run.
  const helpRef = useRef(false);
  const setHelp = (v: boolean | ((h: boolean) => boolean)) => {
    helpRef.current = typeof v === 'function' ? v(helpRef.current) : v;
    setHelpState(helpRef.current);
  };
  const { live, prog, programme, status } = useEventLive(eventID);
  const staff = role === 'staff';
  const { state, error } = useTalkSession(live, eventID, role && role !== 'none' ? talkID : undefined, staff);
  const event = programme.event;
  const talk = state?.talk ?? programme.talks.get(talkID) ?? null;
  useTitle(talk ? talk.title : '');
  useBranding(event);

  const checkRole = () =>
    api.me(eventID).then(
      (me) => setRole(me.role),
      (e) => setRole(e instanceof ApiError && e.status === 401 ? 'none' : 'participant'),
    );
  useEffect(() => void checkRole(), [eventID]);
  // The base of the join link phones can reach (KOE_PUBLIC_URL or a LAN
  // address koe found), not necessarily this page's origin.
  const [clientConfig, setClientConfig] = useState<ClientConfig | null>(null);
  useEffect(() => {
    api.clientConfig().then(setClientConfig, () => setClientConfig({ join_base_url: '', loopback: false }));
  }, []);

  // The post the event features: GET featured, then post.featured on the
  // "event" topic; read again after a reset and after a reconnect.
  const featured = useMemo(() => new FeaturedPost(), [prog]);
  useObservable(featured);
  useEffect(() => {
    const refresh = () => void featured.refresh(() => api.featured(eventID)).catch(() => {});
    const off = prog.follow({ events: (evs) => featured.applyAll(evs), reloaded: refresh });
    let was = live.status;
    const offStatus = live.onStatus((s) => {
      if (s === 'live' && was === 'reconnecting') refresh();
      was = s;
    });
    refresh();
    return () => {
      off();
      offStatus();
    };
  }, [prog, live, eventID]);
  const post = featured.post;
  const postText = useRef<HTMLParagraphElement>(null);

  const highlighted = state?.highlighted();
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
  }, [staff, state, eventID, talkID]);

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
          <div class="screen-event">{event?.title}</div>
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
        ) : post ? null : (
          <section class="screen-hl screen-hl-empty" aria-live="polite" data-testid="screen-idle" data-qa-open={String(talk?.qa_open ?? true)}>
            <p class="screen-hl-body hl-l">{talk && !talk.qa_open ? t('screenQAClosed') : t('screenNoHighlight')}</p>
            <p class="screen-hl-sub">{talk && !talk.qa_open ? t('screenQAClosedSub') : t('screenNoHighlightSub')}</p>
          </section>
        )}
        {post && !error && (
          <section class={`screen-post ${highlighted ? 'screen-post-small' : ''}`} data-testid="screen-post" data-pid={post.id} aria-live="polite" aria-label={t('screenFeatured')}>
            <div class="screen-post-head">
              <span class="screen-post-avatar" aria-hidden="true">
                {initials(post.author_name, post.author_handle)}
              </span>
              <span class="screen-post-who">
                <span class="screen-post-name" dir="auto">
                  {post.author_name || atHandle(post.author_handle)}
                </span>
                {post.author_name && post.author_handle && (
                  <span class="screen-post-handle" dir="ltr">
                    {atHandle(post.author_handle)}
                  </span>
                )}
              </span>
              <span class={`screen-post-platform platform-${post.platform}`}>{platformName(post.platform)}</span>
            </div>
            <p ref={postText} class={`screen-post-text ${highlighted ? 'hl-s' : sizeClass(post.text)}`} data-testid="screen-post-text" dir="auto" lang={post.lang || undefined}>
              {post.text}
            </p>
          </section>
        )}
        <section class="screen-top" aria-labelledby="screen-top-h">
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
        <div class="screen-hint">
          {staff ? t('screenHelpHint') : role === 'participant' ? t('screenStaffOnly') : ''}
          <LangSwitch />
        </div>
      </main>
      {help && (
        <div class="screen-help" role="dialog" aria-modal="true" aria-labelledby="help-h">
          <div class="screen-help-box">
            <h2 id="help-h">{t('screenHelpTitle')}</h2>
            <dl>
              {(
                [
                  ['J / ↓', 'screenKeyNext'],
                  ['K / ↑', 'screenKeyPrev'],
                  ['A', 'screenKeyAnswered'],
                  ['H', 'screenKeyHide'],
                  ['Esc', 'screenKeyClear'],
                  ['F', 'screenKeyFullscreen'],
                  ['?', 'screenKeyHelp'],
                ] as const
              ).map(([k, label]) => (
                <div class="screen-help-row" key={k}>
                  <dt>
                    <kbd>{k}</kbd>
                  </dt>
                  <dd>{t(label)}</dd>
                </div>
              ))}
            </dl>
            {!staff && <p>{t('screenStaffOnly')}</p>}
            <button type="button" class="btn" onClick={() => setHelp(false)} autoFocus>
              {t('close')}
            </button>
          </div>
        </div>
      )}
    </div>
  );
}
