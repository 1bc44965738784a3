// An invitation link (/invite#SECRET): what it is for, then accept it as
// the signed-in account, or create an account with it, or sign in first.
import { useEffect, useState } from 'preact/hooks';
import { ApiError, api } from '../api';
import { t, useLocale } from '../i18n';
import type { InvitationPreview } from '../types';
import { Header, Notice, Spinner } from '../ui/chrome';
import { errorText } from '../ui/errors';
import { fmtDateTime } from '../ui/format';
import { useTitle } from '../ui/hooks';
import { navigate } from '../ui/router';
import { SignIn } from '../ui/signin';
import { roleName, StaffTools, whoName } from '../ui/staff';
import { toast } from '../ui/toast';
import { refreshWhoami, useWhoami } from '../ui/whoami';
import { AccountFields, emptyAccount, type AccountInput } from './accountfields';
import { forgetSecret, takeSecret } from './Setup';
import '../styles/admin.css';

const key = 'koe.invite';

type Gone = 'gone' | 'invalid';

export function Invite() {
  useLocale();
  useTitle(t('inviteTitle'));
  const [token] = useState(() => takeSecret(key));
  const [pv, setPv] = useState<InvitationPreview | Gone | null>(token ? null : 'invalid');
  const [err, setErr] = useState('');
  const s = useWhoami();
  useEffect(() => {
    if (!token) return;
    api.previewInvitation(token).then(setPv, (e) => {
      if (e instanceof ApiError && e.status === 404) setPv('gone');
      else if (e instanceof ApiError && (e.status === 400 || e.status === 401)) setPv('invalid');
      else setErr(errorText(e));
    });
  }, [token]);

  return (
    <>
      <Header title={t('inviteTitle')}>
        <StaffTools />
      </Header>
      <main id="main" class="page narrow">
        {err && <Notice kind="error">{err}</Notice>}
        {!err && pv === null && <Spinner />}
        {(pv === 'gone' || pv === 'invalid') && (
          <section class="card signin" data-testid="invite-gone">
            <h1>{t('inviteTitle')}</h1>
            <Notice kind="warn">{pv === 'gone' ? t('inviteGone') : t('inviteInvalid')}</Notice>
            <p class="muted">{t('inviteAskAgain')}</p>
            <a href="/admin">{t('goToSignIn')}</a>
          </section>
        )}
        {pv && typeof pv === 'object' && (
          <>
            <section class="card pad invite-card" aria-labelledby="invite-h" data-testid="invite-preview">
              <p class="eyebrow">{t('inviteEyebrow')}</p>
              <h1 id="invite-h">{pv.event_title}</h1>
              <dl class="facts">
                <div>
                  <dt>{t('roleLabel')}</dt>
                  <dd>
                    <span class={`role-chip role-${pv.role}`}>{roleName(pv.role)}</span>
                    <span class="muted small role-desc">{roleDescription(pv.role)}</span>
                  </dd>
                </div>
                {pv.talks.length > 0 && (
                  <div>
                    <dt>{t('talksLimit')}</dt>
                    <dd>
                      <ul class="plain-list">
                        {pv.talks.map((x) => (
                          <li key={x}>{x}</li>
                        ))}
                      </ul>
                    </dd>
                  </div>
                )}
                <div>
                  <dt>{t('expiresLabel')}</dt>
                  <dd>{fmtDateTime(pv.expires_at)}</dd>
                </div>
              </dl>
            </section>
            {s.status === 'loading' && <Spinner />}
            {s.status === 'in' && s.who.account && <Accept token={token} name={whoName(s.who)} />}
            {(s.status === 'out' || (s.status === 'in' && !s.who.account)) && <NotSignedIn token={token} eventID={pv.event_id} ownerToken={s.status === 'in'} />}
          </>
        )}
      </main>
    </>
  );
}

export function roleDescription(role: string): string {
  return role === 'owner' ? t('roleOwnerDesc') : role === 'moderator' ? t('roleModeratorDesc') : t('rolePresenterDesc');
}

function Accept({ token, name }: { token: string; name: string }) {
  const [busy, setBusy] = useState(false);
  const [err, setErr] = useState('');
  return (
    <section class="card pad" aria-labelledby="accept-h">
      <h2 id="accept-h">{t('acceptAs', { name })}</h2>
      <p class="error-text" role="alert">
        {err}
      </p>
      <div class="form-actions">
        <button
          type="button"
          class="btn btn-primary"
          disabled={busy}
          data-testid="accept"
          onClick={async () => {
            setBusy(true);
            setErr('');
            try {
              const m = await api.acceptInvitation(token);
              forgetSecret(key);
              await refreshWhoami();
              toast(t('inviteAccepted'));
              navigate(`/admin/e/${m.event_id}`);
            } catch (e) {
              setErr(errorText(e));
            } finally {
              setBusy(false);
            }
          }}
        >
          {t('acceptInvitation')}
        </button>
        <a class="btn btn-ghost" href="/admin">
          {t('notNow')}
        </a>
      </div>
    </section>
  );
}

function NotSignedIn({ token, eventID, ownerToken }: { token: string; eventID: number; ownerToken: boolean }) {
  const [mode, setMode] = useState<'signup' | 'signin'>('signup');
  const [v, setV] = useState<AccountInput>(emptyAccount);
  const [busy, setBusy] = useState(false);
  const [err, setErr] = useState('');
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setErr('');
    try {
      await api.signUp({ token, login: v.login.trim(), display_name: v.display_name.trim(), email: v.email.trim(), password: v.password });
      forgetSecret(key);
      await refreshWhoami();
      toast(t('inviteAccepted'));
      navigate(`/admin/e/${eventID}`);
    } catch (e2) {
      setErr(errorText(e2));
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      {ownerToken && <Notice kind="info">{t('inviteOwnerToken')}</Notice>}
      <div class="segmented" role="group" aria-label={t('inviteHow')}>
        <button type="button" aria-pressed={mode === 'signup'} onClick={() => setMode('signup')} data-testid="mode-signup">
          {t('createAccount')}
        </button>
        <button type="button" aria-pressed={mode === 'signin'} onClick={() => setMode('signin')} data-testid="mode-signin">
          {t('signInFirst')}
        </button>
      </div>
      {mode === 'signup' ? (
        <form class="card pad" onSubmit={submit} aria-labelledby="signup-h" data-testid="signup-form">
          <h2 id="signup-h">{t('createAccount')}</h2>
          <p class="muted small">{t('signUpLead')}</p>
          <AccountFields prefix="signup" value={v} onChange={setV} />
          <p class="error-text" role="alert" data-testid="signup-error">
            {err}
          </p>
          <button type="submit" class="btn btn-primary btn-block" disabled={busy || !v.login.trim() || !v.display_name.trim() || !v.password}>
            {busy ? t('creatingAccount') : t('createAccountAndJoin')}
          </button>
        </form>
      ) : (
        <SignIn heading={false} onDone={() => undefined} returnTo="/invite" />
      )}
    </>
  );
}
