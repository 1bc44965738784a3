// A room's screen (docs/architecture.md "Rooms"): one projector per room
// for the whole day. It shows the talk screen (Screen) of the talk the
// server says is on in the room, and switches by itself: it asks the
// server again just after the room's switch_at (the server's clock, not
// the laptop's), when a talk of the event changes, and every minute.
// Opened by a screen link (/screen/{secret}/rooms/{room}) it is read-only,
// as the link's other screens are.
import { useEffect, useMemo } from 'preact/hooks';
import { ApiError } from '../api';
import { t, useLocale } from '../i18n';
import { findRoom, roomsKey } from '../state/schedule';
import { LangSwitch, Spinner, StatusPill } from '../ui/chrome';
import { errorText } from '../ui/errors';
import { SignIn } from '../ui/signin';
import { useRooms } from '../ui/userooms';
import { EventLogo, useBranding, useEventLive } from './Audience';
import { Screen, ScreenLinkGate, type ViewerMode } from './Screen';
import '../styles/reactions.css';
import '../styles/screen.css';
import '../styles/schedule.css';

export function RoomScreen({ eventID, room, viewer }: { eventID: number; room: string; viewer?: ViewerMode }) {
  useLocale();
  // The event's stream: a talk created, moved or deleted may change what the room shows.
  const { programme, status, error: progError } = useEventLive(eventID);
  const key = useMemo(() => roomsKey(programme.talks.values(), programme.event), [programme.rev]);
  const { list, error } = useRooms(eventID, key, {
    room,
    onError: (e) => {
      if (viewer && e instanceof ApiError && e.status === 401) viewer.check();
    },
  });
  const event = programme.event;
  const current = findRoom(list, room);
  const talkID = current?.talk_id ?? 0;
  useBranding(event);
  // The talk's screen names the page itself; an empty room says which room it is.
  useEffect(() => {
    if (!talkID) document.title = `${room}${event ? ` · ${event.title}` : ''} · koe`;
  }, [talkID, room, event?.title]);

  if (!list) {
    const e = error ?? progError;
    // Nobody signed in (and no screen link): sign in here, as the talk screen does.
    if (!viewer && e instanceof ApiError && e.status === 401) {
      return (
        <div class="screen screen-signin">
          <div class="screen-signin-box">
            <SignIn onDone={() => location.reload()} />
          </div>
        </div>
      );
    }
    return <div class="spick">{e ? <p class="spick-inner screen-error">{errorText(e)}</p> : <Spinner />}</div>;
  }
  if (talkID) {
    return (
      <div class="rscreen" data-testid="room-screen" data-room={room} data-talk={talkID}>
        <Screen key={talkID} eventID={eventID} talkID={talkID} viewer={viewer} room={room} />
      </div>
    );
  }
  return (
    <main id="main" class="spick sdead rscreen-empty" data-testid="room-screen-empty" data-room={room}>
      <div class="sdead-box">
        {event && <EventLogo event={event} class="rscreen-logo" />}
        <p class="spick-event">{event?.title ?? ''}</p>
        <h1 dir="auto">{t('roomNoTalk', { room })}</h1>
        <p>{current ? t('roomNoTalkSub') : t('roomUnknownSub')}</p>
        <div class="spick-foot rscreen-foot">
          <StatusPill status={status} />
          <LangSwitch />
        </div>
      </div>
    </main>
  );
}

/** A room's screen opened by a screen link: the link's secret authenticates every request. */
export function RoomLinkPage({ secret, room }: { secret: string; room: string }) {
  return <ScreenLinkGate secret={secret}>{(viewer, mode) => <RoomScreen eventID={viewer.event_id} room={room} viewer={mode} />}</ScreenLinkGate>;
}
