// The operators' social feed of one event (F16): the posts its sources
// bring in, live, newest on top; feature one on the screen, hide what
// should not be there, favourite or repost back on the platform. It never
// loads anything from a platform: no avatars, no media, links only.
import type { ComponentChildren } from 'preact';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { ApiError, api } from '../api';
import { t, useLocale, type Key } from '../i18n';
import { atHandle, engageActions, FeedSession, feedFilters, feedKey, freeze, initials, isPublic, newestID, platformName, type FeedFilter } from '../state/posts';
import { caps } from '../state/staff';
import type { EngageAction, EventRole, Post, Source, SourceKind } from '../types';
import { ConnectionBanner, Header, Notice, Spinner, StatusPill } from '../ui/chrome';
import { errorText } from '../ui/errors';
import { fmtDateTime, relTime } from '../ui/format';
import { useNow, useObservable, useTitle } from '../ui/hooks';
import { StaffTools } from '../ui/staff';
import { toast } from '../ui/toast';
import { useEventLive } from './Audience';
import { RoleGate } from './AdminEvent';
import { Reasons } from './Moderation';
import '../styles/admin.css';
import '../styles/moderation.css';
import '../styles/feed.css';

/**
 * The frame of the feed pages: the sign-in while nobody is, a notice for
 * staff without the right role, else children(role).
 */
export function FeedGate({ eventID, title, children }: { eventID: number; title: string; children: (role: EventRole) => ComponentChildren }) {
  return (
    <RoleGate eventID={eventID} title={title} allow={(role) => caps(role).moderate} refusal={t('feedModeratorsOnly')}>
      {(me) => children(me.role)}
    </RoleGate>
  );
}

/** Links between the event's desk and its feed pages. */
export function FeedNav({ eventID, current }: { eventID: number; current: 'feed' | 'sources' }) {
  useLocale();
  const links: [string, string, string][] = [
    ['feed', `/admin/e/${eventID}/feed`, t('feedTitle')],
    ['sources', `/admin/e/${eventID}/sources`, t('sourcesTitle')],
    ['moderation', `/admin/e/${eventID}/moderation`, t('modConsole')],
  ];
  return (
    <nav class="crumbs feed-nav" aria-label={t('feedNav')}>
      <a href={`/admin/e/${eventID}`}>← {t('backToEvent')}</a>
      {links.map(([k, href, label]) => (
        <a key={k} href={href} aria-current={k === current ? 'page' : undefined} data-testid={`nav-${k}`}>
          {label}
        </a>
      ))}
    </nav>
  );
}

/** The platform's name as a small badge. */
export function PlatformBadge({ kind }: { kind: SourceKind | string }) {
  return (
    <span class={`platform platform-${kind}`} data-platform={kind}>
      {platformName(kind)}
    </span>
  );
}

export function FeedPage({ eventID }: { eventID: number }) {
  useLocale();
  return <FeedGate eventID={eventID} title={t('feedTitle')}>{() => <Feed eventID={eventID} />}</FeedGate>;
}

const filterKeys: Record<FeedFilter, Key> = { approved: 'feedApproved', pending: 'feedPending', rejected: 'feedRejected', hidden: 'feedHidden' };

/** How far down (px) the operator reads before new posts wait behind "N new" instead of pushing the list. */
const freezeAt = 240;

function Feed({ eventID }: { eventID: number }) {
  const now = useNow(15_000);
  const { live, programme, status, error } = useEventLive(eventID);
  const session = useMemo(() => new FeedSession(api, live, eventID), [live, eventID]);
  const feed = session.feed;
  useObservable(feed);
  const [ready, setReady] = useState(false);
  const [loadErr, setLoadErr] = useState<unknown>(null);
  useEffect(() => {
    session.start().then(() => setReady(true), setLoadErr);
    return () => session.stop();
  }, [session]);

  // Which sources hold a credential: engaging needs one.
  const [sources, setSources] = useState<Map<number, Source>>(new Map());
  const loadSources = () => api.sources(eventID).then((r) => setSources(new Map((r.sources ?? []).map((s) => [s.id, s]))), () => {});
  useEffect(() => void loadSources(), [eventID]);

  const event = programme.event;
  useTitle(event ? `${t('feedTitle')}: ${event.title}` : t('feedTitle'));
  const [tab, setTab] = useState<FeedFilter>('approved');
  const [anchor, setAnchor] = useState<number | null>(null);
  const [more, setMore] = useState(true);
  const [busy, setBusy] = useState<number | null>(null);

  const list = feed.list(tab);
  const pin = tab === 'approved' ? feed.featured() : null;
  const pinID = pin?.id ?? null;
  const { shown, waiting } = freeze(list, anchor, pinID);
  const newest = useRef(0);
  newest.current = newestID(list, pinID);

  // Reading further down: hold new posts back (counted) so that the list does not move under the reader.
  useEffect(() => {
    const onScroll = () => {
      if (window.scrollY > freezeAt) setAnchor((a) => a ?? newest.current);
      else if (window.scrollY < 40) setAnchor(null);
    };
    window.addEventListener('scroll', onScroll, { passive: true });
    return () => window.removeEventListener('scroll', onScroll);
  }, []);
  useEffect(() => {
    setAnchor(null);
    setMore(true);
  }, [tab]);

  const showNew = () => {
    setAnchor(null);
    window.scrollTo({ top: 0 });
    document.querySelector<HTMLElement>('[data-testid="post"]')?.focus();
  };

  const change = async (p: Post, body: { hidden?: boolean; featured?: boolean }, done: Key) => {
    setBusy(p.id);
    try {
      feed.own(await api.updatePost(eventID, p.id, body));
      toast(t(done));
    } catch (e) {
      toast(errorText(e), 'error');
    } finally {
      setBusy(null);
    }
  };
  const engage = async (p: Post, action: EngageAction) => {
    setBusy(p.id);
    try {
      feed.own(await api.engage(eventID, p.id, action));
      toast(t(engagedKeys[action]));
    } catch (e) {
      toast(e instanceof ApiError && e.status === 403 ? t('engageNoCredential') : errorText(e), 'error');
      if (e instanceof ApiError && e.status === 403) void loadSources();
    } finally {
      setBusy(null);
    }
  };

  // The keyboard: J/K move between posts, F puts the focused one on the screen (or off), H hides or shows it.
  const keyState = useRef({ shown, pinID, change });
  keyState.current = { shown, pinID, change };
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const target = e.target as HTMLElement | null;
      const act = feedKey(e, target);
      if (!act) return;
      const { shown: list, pinID: pin, change: apply } = keyState.current;
      const card = target?.closest?.<HTMLElement>('[data-testid="post"]') ?? null;
      const i = card ? list.findIndex((p) => String(p.id) === card.dataset.pid) : -1;
      if (act === 'next' || act === 'prev') {
        e.preventDefault();
        const j = i < 0 ? 0 : Math.max(0, Math.min(list.length - 1, i + (act === 'next' ? 1 : -1)));
        if (list[j]) document.querySelector<HTMLElement>(`[data-testid="post"][data-pid="${list[j].id}"]`)?.focus();
        return;
      }
      const p = i >= 0 ? list[i] : undefined;
      if (!p) return;
      if (act === 'feature' && isPublic(p)) void apply(p, { featured: p.id !== pin }, p.id !== pin ? 'featuredDone' : 'unfeaturedDone');
      if (act === 'hide') void apply(p, { hidden: !p.hidden }, p.hidden ? 'shownDone' : 'hiddenDone');
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  const counts = feed.counts();
  const onTabKey = (e: KeyboardEvent) => {
    const i = feedFilters.indexOf(tab);
    let next = -1;
    if (e.key === 'ArrowRight') next = (i + 1) % feedFilters.length;
    else if (e.key === 'ArrowLeft') next = (i - 1 + feedFilters.length) % feedFilters.length;
    else if (e.key === 'Home') next = 0;
    else if (e.key === 'End') next = feedFilters.length - 1;
    if (next < 0) return;
    e.preventDefault();
    setTab(feedFilters[next]);
    document.getElementById(`ftab-${feedFilters[next]}`)?.focus();
  };
  const fatal = error ?? loadErr;

  return (
    <>
      <Header title={event?.title} wide>
        <StatusPill status={status} />
        <StaffTools />
      </Header>
      <ConnectionBanner status={status} />
      <main id="main" class="page admin feed-page">
        <FeedNav eventID={eventID} current="feed" />
        {fatal ? (
          <Notice kind="error">{errorText(fatal)}</Notice>
        ) : !event || !ready ? (
          <Spinner />
        ) : (
          <>
            <div class="feed-head">
              <h1>{t('feedTitle')}</h1>
              {sources.size === 0 && (
                <a class="btn btn-small" href={`/admin/e/${eventID}/sources`}>
                  {t('addFirstSource')}
                </a>
              )}
            </div>
            <div class="tabs feed-tabs" role="tablist" aria-label={t('feedTitle')} onKeyDown={onTabKey}>
              {feedFilters.map((k) => (
                <button
                  type="button"
                  role="tab"
                  id={`ftab-${k}`}
                  key={k}
                  class="tab"
                  aria-selected={tab === k}
                  aria-controls="feed-panel"
                  tabIndex={tab === k ? 0 : -1}
                  onClick={() => setTab(k)}
                  data-filter={k}
                >
                  {t(filterKeys[k])}
                  <span class="tab-count">{counts[k]}</span>
                </button>
              ))}
            </div>
            <p class="muted small feed-keyhint">{t('feedKeyHint')}</p>
            {waiting > 0 && (
              <button type="button" class="btn btn-primary btn-small feed-new" onClick={showNew} data-testid="feed-new">
                {t('feedNewPosts', { n: waiting })}
              </button>
            )}
            <div id="feed-panel" role="tabpanel" aria-labelledby={`ftab-${tab}`}>
              {tab === 'pending' && list.length > 0 && (
                <p class="hint feed-pending-hint">
                  {t('feedPendingHint')} <a href={`/admin/e/${eventID}/moderation`}>{t('modConsole')}</a>
                </p>
              )}
              {shown.length === 0 ? (
                <p class="empty" data-testid="feed-empty">
                  {t(emptyKeys[tab])}
                </p>
              ) : (
                <ul class="feed-list" data-testid="feed-list" aria-live="polite" aria-relevant="additions">
                  {shown.map((p) => (
                    <PostCard
                      key={p.id}
                      p={p}
                      pinned={p.id === pinID}
                      now={now}
                      busy={busy === p.id}
                      canEngage={!!sources.get(p.source_id)?.config.secret_set}
                      onFeature={(on) => void change(p, { featured: on }, on ? 'featuredDone' : 'unfeaturedDone')}
                      onHide={(on) => void change(p, { hidden: on }, on ? 'hiddenDone' : 'shownDone')}
                      onEngage={(a) => void engage(p, a)}
                    />
                  ))}
                </ul>
              )}
              {more && list.length >= 20 && (
                <p class="feed-more">
                  <button
                    type="button"
                    class="btn btn-small"
                    onClick={() => session.older(tab).then(setMore, (e) => toast(errorText(e), 'error'))}
                  >
                    {t('loadOlder')}
                  </button>
                </p>
              )}
            </div>
          </>
        )}
      </main>
    </>
  );
}

const emptyKeys: Record<FeedFilter, Key> = { approved: 'feedEmpty', pending: 'feedEmptyPending', rejected: 'feedEmptyRejected', hidden: 'feedEmptyHidden' };
const engageKeys: Record<EngageAction, Key> = { favourite: 'engageFavourite', boost: 'engageBoost', like: 'engageLike', repost: 'engageRepost' };
const engagedKeys: Record<EngageAction, Key> = { favourite: 'engagedFavourite', boost: 'engagedBoost', like: 'engagedLike', repost: 'engagedRepost' };

function mediaKind(type: string): string {
  switch (type) {
    case 'image':
      return t('mediaImage');
    case 'video':
    case 'gifv':
      return t('mediaVideo');
    case 'audio':
      return t('mediaAudio');
  }
  return t('mediaFile');
}

/** The pipeline's score as a share (the learned scorer's "bad", or a scorer's score). */
function scoreOf(p: Post): number | null {
  const s = p.score;
  if (!s) return null;
  const v = typeof s.score === 'number' ? s.score : typeof s.bad === 'number' ? s.bad : null;
  return v === null ? null : Math.round(v * 100);
}

function PostCard({
  p, pinned, now, busy, canEngage, onFeature, onHide, onEngage,
}: {
  p: Post;
  pinned: boolean;
  now: number;
  busy: boolean;
  canEngage: boolean;
  onFeature: (on: boolean) => void;
  onHide: (on: boolean) => void;
  onEngage: (a: EngageAction) => void;
}) {
  useLocale();
  const name = p.author_name || atHandle(p.author_handle) || t('anonymous');
  const score = scoreOf(p);
  const engaged = p.engaged ?? [];
  const actions = canEngage && isPublic(p) ? engageActions(p.platform) : [];
  const hasChips = score !== null || (p.reasons ?? []).length > 0;
  return (
    <li
      class={`fp${pinned ? ' fp-pinned' : ''}${p.hidden ? ' fp-hidden' : ''}`}
      data-pid={p.id}
      data-testid="post"
      data-featured={pinned ? 'true' : undefined}
      tabIndex={0}
      aria-label={`${pinned ? `${t('onScreen')}: ` : ''}${name}: ${p.text.slice(0, 80)}`}
    >
      <span class="fp-avatar" aria-hidden="true">
        {initials(p.author_name, p.author_handle)}
      </span>
      <div class="fp-main">
        {pinned && (
          <p class="fp-pin" data-testid="featured-mark">
            <span class="fp-pin-dot" aria-hidden="true" />
            {t('onScreen')}
          </p>
        )}
        <div class="fp-head">
          <PlatformBadge kind={p.platform} />
          <span class="fp-who">
            <strong class="fp-name" dir="auto">
              {name}
            </strong>
            {p.author_handle && p.author_name && (
              <span class="fp-handle" dir="ltr">
                {atHandle(p.author_handle)}
              </span>
            )}
          </span>
          <time class="fp-time" dateTime={p.posted_at} title={fmtDateTime(p.posted_at)}>
            {relTime(p.posted_at, now)}
          </time>
        </div>
        <p class="fp-text" dir="auto" lang={p.lang || undefined} data-testid="post-text">
          {p.text}
        </p>
        {(p.media ?? []).length > 0 && (
          <ul class="fp-media" aria-label={t('mediaLabel')}>
            {(p.media ?? []).map((m, i) => (
              <li key={i}>
                <a href={m.url} target="_blank" rel="noopener noreferrer" dir="auto">
                  <span class="fp-media-kind">{mediaKind(m.type)}</span> {m.alt || t('mediaNoAlt')}
                </a>
              </li>
            ))}
          </ul>
        )}
        {hasChips && (
          <div class="fp-chips">
            {score !== null && (
              <span class={`chip chip-score-total${score >= 70 ? ' chip-word' : ''}`} data-testid="post-score">
                {t('scoreChip', { n: score })}
              </span>
            )}
            <Reasons r={{ reasons: p.reasons, banned: false }} />
          </div>
        )}
        <div class="row-actions fp-actions">
          {isPublic(p) && (
            <button
              type="button"
              class={pinned ? 'btn btn-small btn-primary' : 'btn btn-small'}
              aria-pressed={pinned}
              disabled={busy}
              onClick={() => onFeature(!pinned)}
              data-action="feature"
            >
              {pinned ? t('unfeature') : t('feature')}
            </button>
          )}
          <button type="button" class="btn btn-small btn-ghost" disabled={busy} onClick={() => onHide(!p.hidden)} data-action="hide">
            {p.hidden ? t('showPost') : t('hide')}
          </button>
          {actions.map((a) => {
            const done = engaged.includes(a);
            return (
              <button
                type="button"
                key={a}
                class={done ? 'btn btn-small btn-ghost fp-engaged' : 'btn btn-small btn-ghost'}
                aria-pressed={done}
                disabled={busy || done}
                onClick={() => onEngage(a)}
                data-action={a}
              >
                {done ? `✓ ${t(engagedKeys[a])}` : t(engageKeys[a])}
              </button>
            );
          })}
          {!actions.length && engaged.length > 0 && (
            <span class="muted small">{engaged.map((a) => (engagedKeys[a as EngageAction] ? t(engagedKeys[a as EngageAction]) : a)).join(' · ')}</span>
          )}
          {p.url && (
            <a class="fp-link" href={p.url} target="_blank" rel="noopener noreferrer" data-testid="post-link">
              {t('openOriginal', { platform: platformName(p.platform) })}
            </a>
          )}
        </div>
      </div>
    </li>
  );
}
