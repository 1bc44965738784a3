// "Now in each room" on the audience page: each room, the talk on in it
// (or its next one), a link to that talk.
import { t, useLocale } from '../i18n';
import type { RoomNow } from '../state/schedule';
import { fmtTime } from './format';
import '../styles/schedule.css';

export function RoomsNow({ rooms, current, hrefFor, tz }: { rooms: RoomNow[]; current?: number; hrefFor: (talkID: number) => string; tz?: string }) {
  useLocale();
  if (rooms.length === 0) return null;
  return (
    <nav class="rooms-now card" aria-labelledby="rooms-now-h" data-testid="rooms-now">
      <h2 id="rooms-now-h">{t('roomsNowTitle')}</h2>
      <ul>
        {rooms.map((r) => (
          <li key={r.room} data-room={r.room}>
            <a href={hrefFor(r.talk.id)} aria-current={r.talk.id === current ? 'page' : undefined} data-talk={r.talk.id}>
              <span class="rooms-now-room" dir="auto">
                {r.room}
              </span>
              <span class="rooms-now-title" dir="auto">
                {r.talk.title}
              </span>
              {r.upcoming && (
                <span class="rooms-now-next">
                  {t('roomsNext')} {fmtTime(r.talk.starts_at, tz)}
                </span>
              )}
            </a>
          </li>
        ))}
      </ul>
    </nav>
  );
}
