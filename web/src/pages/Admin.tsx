// Staff: the events one works on (and, for admins, a new one).
import { useEffect, useState } from 'preact/hooks';
import { api } from '../api';
import { t, useLocale } from '../i18n';
import { roleIn } from '../state/staff';
import type { KoeEvent, Whoami } from '../types';
import { Notice, Spinner } from '../ui/chrome';
import { errorText } from '../ui/errors';
import { fmtDateTime } from '../ui/format';
import { useTitle } from '../ui/hooks';
import { navigate } from '../ui/router';
import { roleName, StaffPage } from '../ui/staff';
import { toast } from '../ui/toast';
import { refreshWhoami } from '../ui/whoami';
import { EventForm } from './forms';
import '../styles/admin.css';

export { SignOutButton } from '../ui/staff';

export function Admin() {
  useLocale();
  useTitle(t('adminTitle'));
  return <StaffPage title={t('adminTitle')}>{(who) => <Events who={who} />}</StaffPage>;
}

function Events({ who }: { who: Whoami }) {
  const [events, setEvents] = useState<KoeEvent[] | null>(null);
  const [err, setErr] = useState('');
  useEffect(() => {
    api.events().then((r) => setEvents(r.events), (e) => setErr(errorText(e)));
  }, [who]);
  if (err) return <Notice kind="error">{err}</Notice>;
  if (!events) return <Spinner />;
  return (
    <>
      <h1>{t('events')}</h1>
      {events.length === 0 ? (
        <p class="empty">{who.admin ? t('noEvents') : t('noEventsStaff')}</p>
      ) : (
        <ul class="event-list">
          {events.map((e) => {
            const role = roleIn(who, e.id);
            return (
              <li key={e.id} class="card event-row" data-event={e.id}>
                <div class="event-row-text">
                  <a href={`/admin/e/${e.id}`} class="event-row-title">
                    {e.title}
                  </a>
                  <span class="muted small">
                    {e.starts_at ? fmtDateTime(e.starts_at, e.time_zone) : t('eventNoDate')} · {e.time_zone}
                  </span>
                </div>
                {role && <span class={`role-chip role-${role}`}>{who.admin && !who.events[String(e.id)] ? t('roleAdmin') : roleName(role)}</span>}
                <span class="code-chip" title={t('joinCode')}>
                  {e.join_code}
                </span>
                <a class="btn btn-small" href={`/admin/e/${e.id}`}>
                  {t('manage')}
                </a>
              </li>
            );
          })}
        </ul>
      )}
      {who.admin && (
        <section class="card pad" aria-labelledby="new-event-h">
          <h2 id="new-event-h">{t('newEvent')}</h2>
          <EventForm
            submitLabel={t('createEvent')}
            onSubmit={async (body) => {
              const e = await api.createEvent(body);
              toast(t('created'));
              await refreshWhoami(); // the creator is its owner now
              navigate(`/admin/e/${e.id}`);
            }}
          />
        </section>
      )}
    </>
  );
}
