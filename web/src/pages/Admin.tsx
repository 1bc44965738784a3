// Staff: sign in with the owner token, list and create events.
import { useEffect, useState } from 'preact/hooks';
import { ApiError, api } from '../api';
import { t, useLocale } from '../i18n';
import type { KoeEvent } from '../types';
import { Header, Spinner } from '../ui/chrome';
import { errorText } from '../ui/errors';
import { fmtDateTime } from '../ui/format';
import { useTitle } from '../ui/hooks';
import { navigate } from '../ui/router';
import { SignIn } from '../ui/signin';
import { toast } from '../ui/toast';
import { EventForm } from './forms';
import '../styles/admin.css';

export function SignOutButton({ onDone }: { onDone?: () => void }) {
  return (
    <button
      type="button"
      class="btn btn-ghost btn-small"
      onClick={async () => {
        try {
          await api.signOut();
          toast(t('signedOut'));
          onDone ? onDone() : navigate('/admin');
        } catch (e) {
          toast(errorText(e), 'error');
        }
      }}
    >
      {t('signOut')}
    </button>
  );
}

export function Admin() {
  useLocale();
  useTitle(t('adminTitle'));
  const [events, setEvents] = useState<KoeEvent[] | null>(null);
  const [signedIn, setSignedIn] = useState<boolean | null>(null);
  const [err, setErr] = useState('');

  const load = () =>
    api.events().then(
      (r) => {
        setEvents(r.events);
        setSignedIn(true);
      },
      (e) => {
        if (e instanceof ApiError && (e.status === 401 || e.status === 403)) setSignedIn(false);
        else setErr(errorText(e));
      },
    );
  useEffect(() => void load(), []);

  return (
    <>
      <Header title={t('adminTitle')} wide>{signedIn && <SignOutButton onDone={() => setSignedIn(false)} />}</Header>
      <main id="main" class={signedIn === false ? 'page narrow' : 'page admin'}>
        {err && <p class="error-text">{err}</p>}
        {signedIn === null && !err && <Spinner />}
        {signedIn === false && <SignIn onDone={() => void load()} />}
        {signedIn && events && (
          <>
            <h1>{t('events')}</h1>
            {events.length === 0 ? (
              <p class="empty">{t('noEvents')}</p>
            ) : (
              <ul class="event-list">
                {events.map((e) => (
                  <li key={e.id} class="card event-row">
                    <div class="event-row-text">
                      <a href={`/admin/e/${e.id}`} class="event-row-title">
                        {e.title}
                      </a>
                      <span class="muted small">
                        {e.starts_at ? fmtDateTime(e.starts_at, e.time_zone) : e.slug} · {e.time_zone}
                      </span>
                    </div>
                    <span class="code-chip" title={t('joinCode')}>
                      {e.join_code}
                    </span>
                    <a class="btn btn-small" href={`/admin/e/${e.id}`}>
                      {t('manage')}
                    </a>
                  </li>
                ))}
              </ul>
            )}
            <section class="card pad" aria-labelledby="new-event-h">
              <h2 id="new-event-h">{t('newEvent')}</h2>
              <EventForm
                submitLabel={t('createEvent')}
                onSubmit={async (body) => {
                  const e = await api.createEvent(body);
                  toast(t('created'));
                  navigate(`/admin/e/${e.id}`);
                }}
              />
            </section>
          </>
        )}
      </main>
    </>
  );
}
