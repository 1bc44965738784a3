// The audience page (phone first): pick a talk, ask, like, follow live.
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { ApiError, api } from '../api';
import { t, useLocale } from '../i18n';
import { LiveClient, type Status } from '../live';
import { LikeChannel, Likes } from '../state/likes';
import { FeaturedPost } from '../state/posts';
import type { Tab, TalkState } from '../state/questions';
import { ProgrammeSession, TalkSession } from '../state/session';
import { pickTalk } from '../state/talks';
import type { KoeEvent, Me, Talk } from '../types';
import { ConnectionBanner, Header, Notice, Spinner, StatusPill } from '../ui/chrome';
import { errorText } from '../ui/errors';
import { useNow, useObservable, useTitle } from '../ui/hooks';
import { AskForm, QuestionCard, Tabs, TalkPicker } from '../ui/qa';
import { rememberEvent } from '../ui/remember';
import { navigate } from '../ui/router';
import { toast } from '../ui/toast';
import { brandVars, logoURL } from '../state/branding';
import { eventReactions } from '../state/reactions';
import { ReactionBar } from '../ui/reactions';
import { AudiencePoll, usePolls } from '../ui/pollvote';
import { nowInRooms, roomsKey } from '../state/schedule';
import { RoomsNow } from '../ui/roomsnow';
import { useRooms } from '../ui/userooms';

/** The page's WebSocket and the event's programme, for as long as the event is shown. */
export function useEventLive(eventID: number) {
  const live = useMemo(() => new LiveClient(LiveClient.urlFor(eventID)), [eventID]);
  const prog = useMemo(() => new ProgrammeSession(api, live, eventID), [eventID, live]);
  const [status, setStatus] = useState<Status>(live.status);
  const [error, setError] = useState<unknown>(null);
  useObservable(prog.programme);
  useEffect(() => {
    const off = live.onStatus(setStatus);
    live.start();
    prog.start().catch(setError);
    // For tests and debugging: drop the connection as a network failure would.
    (window as unknown as { koeLive?: LiveClient }).koeLive = live;
    return () => {
      off();
      prog.stop();
      live.stop();
    };
  }, [live, prog]);
  return { live, prog, programme: prog.programme, status, error };
}

/**
 * The post the event features, for the screen and the overlay: GET
 * featured, then post.featured on the "event" topic; read again after a
 * reset and after a reconnect. Follows nothing while on is false.
 */
export function useFeaturedPost(eventID: number, live: LiveClient, prog: ProgrammeSession, on = true): FeaturedPost {
  const featured = useMemo(() => new FeaturedPost(), [prog]);
  useObservable(featured);
  useEffect(() => {
    if (!on) return;
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
  }, [prog, live, eventID, on]);
  return featured;
}

export function useTalkSession(live: LiveClient, eventID: number, talkID: number | undefined, staff: boolean) {
  const [error, setError] = useState<unknown>(null);
  const [ready, setReady] = useState(false);
  const session = useMemo(
    () => (talkID ? new TalkSession(api, live, eventID, talkID, staff, (e) => setError(e)) : null),
    [live, eventID, talkID, staff],
  );
  useObservable(session?.state);
  useEffect(() => {
    if (!session) return;
    setReady(false);
    setError(null);
    session
      .start()
      .then(() => setReady(true))
      .catch(setError);
    return () => session.stop();
  }, [session]);
  return { session, state: session?.state ?? null, ready, error };
}

/**
 * Themes the page in the event's accent while it is shown: the colours go
 * on <html> as custom properties through the CSSOM (the CSP forbids style
 * attributes, not this), and the stylesheet maps them onto koe's tokens.
 */
export function useBranding(event: Pick<KoeEvent, 'settings'> | null) {
  const accent = event?.settings.accent ?? '';
  useEffect(() => {
    const vars = brandVars(accent);
    if (!vars) return;
    const root = document.documentElement;
    for (const [k, v] of Object.entries(vars)) root.style.setProperty(k, v);
    root.classList.add('koe-branded');
    return () => {
      for (const k of Object.keys(vars)) root.style.removeProperty(k);
      root.classList.remove('koe-branded');
    };
  }, [accent]);
}

/** The event's logo, or nothing; it hides itself if the image does not load. */
export function EventLogo({ event, class: cls }: { event: Pick<KoeEvent, 'id' | 'title' | 'settings'>; class: string }) {
  const src = logoURL(event);
  const [failed, setFailed] = useState('');
  if (!src || failed === src) return null;
  return <img class={cls} src={src} alt={t('logoAlt', { title: event.title })} onError={() => setFailed(src)} data-testid="event-logo" />;
}

/** Whether questions to talk wait for a moderator: the talk's mode, else the event's. */
export function preModerated(event: Pick<KoeEvent, 'settings'> | null, talk: Pick<Talk, 'moderation'> | null | undefined): boolean {
  return (talk?.moderation || event?.settings.moderation || 'post') === 'pre';
}

/** How often the asker's pending questions are read again (a rejection reaches nobody's stream). */
const pendingPollMs = 15_000;

/**
 * Follows the viewer's own questions that wait for review: approval comes
 * on the public stream (question.updated), rejection only by reading them
 * again, every 15 s while any waits. Tells the asker when one changes.
 */
function useOwnPending(state: TalkState | null, eventID: number, talkID: number | undefined) {
  const seen = useRef(new Map<number, string>());
  useEffect(() => {
    seen.current = new Map();
  }, [state]);
  useEffect(() => {
    if (!state) return;
    const check = () => {
      for (const q of state.all()) {
        if (!q.mine) continue;
        const was = seen.current.get(q.id);
        const now = q.status ?? 'approved';
        seen.current.set(q.id, now);
        if (was !== 'pending' || now === 'pending') continue;
        if (now === 'approved') toast(t('questionApproved'));
        else if (now === 'rejected') toast(t('questionRejected'));
      }
    };
    check();
    return state.subscribe(check);
  }, [state]);
  useEffect(() => {
    if (!state || !talkID) return;
    const timer = setInterval(() => {
      for (const q of state.ownPending()) {
        api.question(eventID, talkID, q.id).then(
          (fresh) => state.own(fresh),
          () => {},
        );
      }
    }, pendingPollMs);
    return () => clearInterval(timer);
  }, [state, eventID, talkID]);
}

export function Audience({ eventID, talkID }: { eventID: number; talkID?: number }) {
  useLocale();
  const now = useNow();
  const [me, setMe] = useState<Me | null>(null);
  const { live, programme, status, error: progError } = useEventLive(eventID);
  const { session, state, ready, error } = useTalkSession(live, eventID, talkID, false);
  const polls = usePolls(session, ready, live);
  const [tab, setTab] = useState<Tab>('top');
  const event = programme.event;
  useTitle(event?.title ?? '');
  useBranding(event);
  useOwnPending(state, eventID, talkID);
  // The talk on in each room, read again when the talks change and at the soonest switch (phones spread over 5 s).
  const roomsDeps = useMemo(() => roomsKey(programme.talks.values(), programme.event), [programme.rev]);
  const rooms = useRooms(eventID, roomsDeps, { cap: 30 * 60_000, jitter: 5000, on: !!event });
  const inRooms = rooms.list && rooms.list.rooms.length > 1 ? nowInRooms(rooms.list, programme.talks, now + rooms.offset) : [];

  useEffect(() => {
    api.me(eventID).then(setMe, (e) => {
      if (e instanceof ApiError && (e.status === 401 || e.status === 403)) navigate('/?m=join', { replace: true });
    });
  }, [eventID]);

  useEffect(() => {
    if (event && me?.participant) rememberEvent(event);
  }, [event?.id, me?.participant?.id]);

  const talks = programme.ordered(now);
  // /e/ID opens the talk that is on now.
  useEffect(() => {
    if (!talkID && programme.rev > 0) {
      const best = pickTalk(talks, Date.now());
      if (best) navigate(`/e/${eventID}/t/${best.id}`, { replace: true });
    }
  }, [talkID, programme.rev]);

  // The participant's own likes in another tab of this browser press the button here too.
  const who = me?.participant?.created_at ?? null; // the API shows participants no id of theirs
  const channel = useMemo(
    () => (state && who ? new LikeChannel(eventID, who, (r) => state.likedElsewhere(r)) : null),
    [state, who],
  );
  useEffect(() => () => channel?.close(), [channel]);
  const likes = useMemo(
    () =>
      state &&
      new Likes(
        state,
        (id, liked) => api.like(eventID, talkID!, id, liked),
        (err) => toast(errorText(err), 'error'),
        (r) => channel?.post(r),
      ),
    [state, channel],
  );

  const fatal = progError ?? error;
  if (fatal instanceof ApiError && (fatal.status === 401 || fatal.status === 403)) {
    return null; // redirected to the join page
  }
  const talk = state?.talk;
  const participant = me?.participant ?? null;
  const highlighted = state?.highlighted();
  const list = state ? state.list(tab, highlighted?.id ?? 0) : [];
  const counts = state?.counts();
  const canLike = !!participant;

  return (
    <>
      <Header title={event?.title}>
        <StatusPill status={status} />
      </Header>
      {event && (event.settings.logo || event.settings.accent) && (
        <div class="brand-band" data-testid="brand-band">
          {event.settings.logo && (
            <div class="brand-band-inner">
              <EventLogo event={event} class="brand-logo" />
            </div>
          )}
        </div>
      )}
      <ConnectionBanner status={status} />
      <main id="main" class="page audience">
        {fatal ? (
          <Notice kind="error">{errorText(fatal)}</Notice>
        ) : !event || (talkID && (!ready || !talk)) ? (
          <Spinner />
        ) : talks.length === 0 ? (
          <Notice>{t('noTalks')}</Notice>
        ) : !talk || !state ? (
          <Spinner />
        ) : (
          <>
            <TalkPicker talks={talks} current={programme.talks.get(talk.id) ?? talk} now={now} tz={event.time_zone} hrefFor={(tk) => `/e/${eventID}/t/${tk.id}`} />
            <RoomsNow rooms={inRooms} current={talk.id} hrefFor={(id) => `/e/${eventID}/t/${id}`} tz={event.time_zone} />
            {highlighted && (
              <QuestionCard
                q={highlighted}
                state={state}
                now={now}
                pinned
                onLike={canLike ? (id) => void likes?.toggle(id) : undefined}
                replyAs={participant && event.settings.participant_replies ? 'participant' : 'none'}
              />
            )}
            <AudiencePoll eventID={eventID} polls={polls} canVote={!!participant} />
            {participant && (
              <AskForm
                eventID={eventID}
                talk={talk}
                displayName={participant.display_name}
                onAsked={(q) => state.own(q)}
                premod={preModerated(event, programme.talks.get(talk.id) ?? talk)}
                onLikeExisting={async (q) => {
                  if (!state.has(q.id)) state.own(q);
                  if (state.liked(q.id)) return;
                  state.likeResult(await api.like(eventID, talk.id, q.id, true));
                }}
              />
            )}
            <section class="questions" aria-label={t('questionsLabel')}>
              <Tabs tabs={['top', 'recent', 'answered']} current={tab} onChange={setTab} counts={counts} />
              <div id="question-panel" role="tabpanel" aria-labelledby={`tab-${tab}`} class="q-list" data-testid="question-list">
                {list.length === 0 ? (
                  <p class="empty">{tab === 'answered' ? t('emptyAnswered') : t('emptyTop')}</p>
                ) : (
                  list.map((q) => (
                    <QuestionCard
                      key={q.id}
                      q={q}
                      state={state}
                      now={now}
                      onLike={canLike ? (id) => void likes?.toggle(id) : undefined}
                      replyAs={participant && event.settings.participant_replies ? 'participant' : 'none'}
                    />
                  ))
                )}
              </div>
            </section>
            {participant && <ReactionBar key={talk.id} eventID={eventID} talkID={talk.id} emoji={eventReactions(event.settings)} />}
          </>
        )}
      </main>
    </>
  );
}
