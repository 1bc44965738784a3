// The signed-in account: profile, password, passkeys, sessions, API tokens.
import { useEffect, useState } from 'preact/hooks';
import { ApiError, api } from '../api';
import { t, useLocale } from '../i18n';
import { expiresAt, roleIn, tokenDays } from '../state/staff';
import { createCredential, webauthnAvailable } from '../state/webauthn';
import type { Account as Acct, APIToken, IssuedAPIToken, KoeEvent, Passkey, StaffSession, TokenRole, Whoami } from '../types';
import { Notice, Spinner } from '../ui/chrome';
import { errorText } from '../ui/errors';
import { fmtDateTime, relTime } from '../ui/format';
import { useNow, useTitle } from '../ui/hooks';
import { navigate } from '../ui/router';
import { signInErrorText } from '../ui/signin';
import { attempt, roleName, SecretField, StaffPage } from '../ui/staff';
import { toast } from '../ui/toast';
import { refreshWhoami, signedOut } from '../ui/whoami';
import { minPassword } from './accountfields';
import '../styles/admin.css';

export function Account() {
  useLocale();
  useTitle(t('myAccount'));
  return (
    <StaffPage title={t('myAccount')}>
      {(who) => (
        <>
          <h1>{t('myAccount')}</h1>
          {who.account ? (
            <>
              <Profile account={who.account} />
              <Password />
              <Passkeys account={who.account} />
            </>
          ) : (
            <Notice kind="info">{t('ownerTokenAccount')}</Notice>
          )}
          <Sessions />
          {who.account && <Tokens who={who} />}
        </>
      )}
    </StaffPage>
  );
}

function Profile({ account }: { account: Acct }) {
  const [name, setName] = useState(account.display_name);
  const [email, setEmail] = useState(account.email);
  const [busy, setBusy] = useState(false);
  const [err, setErr] = useState('');
  return (
    <section class="card pad" aria-labelledby="profile-h">
      <h2 id="profile-h">{t('profile')}</h2>
      <form
        class="form-grid"
        onSubmit={async (e) => {
          e.preventDefault();
          setBusy(true);
          setErr('');
          try {
            await api.updateMyAccount({ display_name: name.trim(), email: email.trim() });
            await refreshWhoami();
            toast(t('saved'));
          } catch (e2) {
            setErr(errorText(e2));
          } finally {
            setBusy(false);
          }
        }}
      >
        <div class="field span-2">
          <span class="label">{t('loginLabel')}</span>
          <span class="code-chip" data-testid="my-login">{account.login}</span>
          {account.admin && <span class="role-chip role-admin">{t('roleAdmin')}</span>}
        </div>
        <div class="field">
          <label for="profile-name">{t('displayNameLabel')}</label>
          <input id="profile-name" autoComplete="name" required maxLength={40} value={name} onInput={(e) => setName(e.currentTarget.value)} />
        </div>
        <div class="field">
          <label for="profile-email">
            {t('emailLabel')} <span class="muted small">({t('optional')})</span>
          </label>
          <input id="profile-email" type="email" autoComplete="email" maxLength={254} value={email} onInput={(e) => setEmail(e.currentTarget.value)} />
        </div>
        <p class="error-text span-2" role="alert">
          {err}
        </p>
        <div class="span-2">
          <button type="submit" class="btn btn-primary" disabled={busy || !name.trim()}>
            {t('save')}
          </button>
        </div>
      </form>
    </section>
  );
}

function Password() {
  const [cur, setCur] = useState('');
  const [next, setNext] = useState('');
  const [again, setAgain] = useState('');
  const [busy, setBusy] = useState(false);
  const [err, setErr] = useState('');
  const mismatch = again !== '' && next !== again;
  return (
    <section class="card pad" aria-labelledby="password-h">
      <h2 id="password-h">{t('changePassword')}</h2>
      <form
        class="form-grid"
        onSubmit={async (e) => {
          e.preventDefault();
          if (mismatch) return;
          setBusy(true);
          setErr('');
          try {
            await api.changePassword(cur, next);
            setCur('');
            setNext('');
            setAgain('');
            toast(t('passwordChanged'));
          } catch (e2) {
            setErr(e2 instanceof ApiError && e2.status === 403 ? t('currentPasswordWrong') : errorText(e2));
          } finally {
            setBusy(false);
          }
        }}
      >
        <input type="text" name="username" autoComplete="username" class="sr-only" tabIndex={-1} aria-hidden="true" value="" readOnly />
        <div class="field span-2">
          <label for="pw-current">{t('currentPassword')}</label>
          <input id="pw-current" type="password" autoComplete="current-password" required value={cur} onInput={(e) => setCur(e.currentTarget.value)} />
        </div>
        <div class="field">
          <label for="pw-new">{t('newPassword')}</label>
          <input id="pw-new" type="password" autoComplete="new-password" required minLength={minPassword} maxLength={256} aria-describedby="pw-hint"
            value={next} onInput={(e) => setNext(e.currentTarget.value)} />
          <p id="pw-hint" class="hint">
            {t('passwordHint', { n: minPassword })}
          </p>
        </div>
        <div class="field">
          <label for="pw-again">{t('repeatPassword')}</label>
          <input id="pw-again" type="password" autoComplete="new-password" required aria-invalid={mismatch || undefined} aria-describedby="pw-again-err"
            value={again} onInput={(e) => setAgain(e.currentTarget.value)} />
          <p id="pw-again-err" class="error-text">
            {mismatch ? t('passwordsDiffer') : ''}
          </p>
        </div>
        <p class="hint span-2">{t('passwordChangeNote')}</p>
        <p class="error-text span-2" role="alert">
          {err}
        </p>
        <div class="span-2">
          <button type="submit" class="btn btn-primary" disabled={busy || !cur || !next || mismatch}>
            {t('changePassword')}
          </button>
        </div>
      </form>
    </section>
  );
}

function Passkeys({ account }: { account: Acct }) {
  const now = useNow();
  const [available, setAvailable] = useState<boolean | null>(null);
  const [list, setList] = useState<Passkey[] | null>(null);
  const [name, setName] = useState('');
  const [busy, setBusy] = useState(false);
  const [err, setErr] = useState('');
  const load = () =>
    api.passkeys().then(
      (r) => {
        setList(r.passkeys);
        setAvailable(true);
      },
      (e) => {
        if (e instanceof ApiError && e.status === 404) setAvailable(false);
        else setErr(errorText(e));
      },
    );
  useEffect(() => void load(), []);
  if (available === false) return null; // the server has no passkeys (yet)
  const browserOK = webauthnAvailable();
  const required = !!account.passkey_required;
  return (
    <section class="card pad" aria-labelledby="passkeys-h" data-testid="passkeys">
      <h2 id="passkeys-h">{t('passkeys')}</h2>
      <p class="muted small">{t('passkeysLead')}</p>
      {!browserOK && <Notice kind="warn">{t('passkeysUnsupported')}</Notice>}
      {list === null && !err ? (
        <Spinner />
      ) : (
        <ul class="item-list" data-testid="passkey-list">
          {(list ?? []).length === 0 && <li class="empty">{t('noPasskeys')}</li>}
          {(list ?? []).map((p) => (
            <li key={p.id} class="item-row">
              <div class="item-text">
                <span class="item-title">{p.name}</span>
                <span class="muted small">
                  {t('addedOn', { when: fmtDateTime(p.created_at) })} · {p.last_used_at ? t('lastUsed', { when: relTime(p.last_used_at, now) }) : t('neverUsed')}
                </span>
              </div>
              <button
                type="button"
                class="btn btn-small btn-danger"
                aria-label={t('deleteNamed', { name: p.name })}
                onClick={() =>
                  confirm(t('confirmDeletePasskey', { name: p.name })) &&
                  void attempt(async () => {
                    await api.deletePasskey(p.id);
                    await Promise.all([load(), refreshWhoami()]);
                  }, t('deleted'))
                }
              >
                {t('delete')}
              </button>
            </li>
          ))}
        </ul>
      )}
      {browserOK && (
        <form
          class="inline-form"
          onSubmit={async (e) => {
            e.preventDefault();
            setBusy(true);
            setErr('');
            try {
              const c = await api.passkeyOptions();
              const credential = await createCredential(c.options.publicKey);
              await api.addPasskey({ ceremony: c.ceremony, name: name.trim() || t('passkeyDefaultName'), credential });
              setName('');
              await load();
              toast(t('passkeyAdded'));
            } catch (e2) {
              setErr(e2 instanceof ApiError ? errorText(e2) : signInErrorText(e2));
            } finally {
              setBusy(false);
            }
          }}
        >
          <div class="field">
            <label for="passkey-name">{t('passkeyName')}</label>
            <input id="passkey-name" maxLength={64} placeholder={t('passkeyNamePlaceholder')} value={name} onInput={(e) => setName(e.currentTarget.value)} />
          </div>
          <button type="submit" class="btn btn-primary" disabled={busy} data-testid="add-passkey">
            {busy ? t('waitingForPasskey') : t('addPasskey')}
          </button>
        </form>
      )}
      <p class="error-text" role="alert">
        {err}
      </p>
      <div class="switch-row">
        <label class="check">
          <input
            type="checkbox"
            role="switch"
            checked={required}
            disabled={!list?.length && !required}
            aria-describedby="passkey-required-hint"
            data-testid="passkey-required"
            onChange={(e) => {
              const on = e.currentTarget.checked;
              void attempt(async () => {
                await api.updateMyAccount({ passkey_required: on });
                await refreshWhoami();
              }, on ? t('passkeyRequiredOn') : t('passkeyRequiredOff')).then((ok) => {
                if (!ok) void refreshWhoami();
              });
            }}
          />
          <span>{t('passkeyRequired')}</span>
        </label>
        <p id="passkey-required-hint" class="hint">
          {list?.length ? t('passkeyRequiredHint') : t('passkeyRequiredNeedsOne')}
        </p>
      </div>
    </section>
  );
}

/** A short name for a browser from its User-Agent. */
export function browserName(ua: string): string {
  const b = /Edg\//.test(ua) ? 'Edge' : /Firefox\//.test(ua) ? 'Firefox' : /Chrom(e|ium)\//.test(ua) ? 'Chrome' : /Safari\//.test(ua) ? 'Safari' : '';
  const os = /Android/.test(ua) ? 'Android' : /iPhone|iPad/.test(ua) ? 'iOS' : /Mac OS X/.test(ua) ? 'macOS' : /Windows/.test(ua) ? 'Windows' : /Linux/.test(ua) ? 'Linux' : '';
  return [b, os].filter(Boolean).join(' · ') || ua.slice(0, 60) || '—';
}

function methodName(m: string): string {
  if (m.startsWith('owner_token')) return t('viaOwnerToken');
  switch (m) {
    case 'password':
      return t('methodPassword');
    case 'passkey':
      return t('methodPasskey');
    case 'oidc':
      return t('methodOIDC');
    case 'setup':
      return t('methodSetup');
    case 'invitation':
      return t('methodInvitation');
  }
  return m;
}

function Sessions() {
  const now = useNow();
  const [list, setList] = useState<StaffSession[] | null>(null);
  const [err, setErr] = useState('');
  const load = () => api.sessions().then((r) => setList(r.sessions), (e) => setErr(errorText(e)));
  useEffect(() => void load(), []);
  return (
    <section class="card pad" aria-labelledby="sessions-h" data-testid="sessions">
      <h2 id="sessions-h">{t('sessions')}</h2>
      {err && <Notice kind="error">{err}</Notice>}
      {!list && !err && <Spinner />}
      {list && (
        <ul class="item-list">
          {list.map((s) => (
            <li key={s.id} class={s.current ? 'item-row item-current' : 'item-row'} data-current={s.current || undefined}>
              <div class="item-text">
                <span class="item-title">
                  {browserName(s.user_agent)}
                  {s.current && <span class="badge badge-mine">{t('thisDevice')}</span>}
                </span>
                <span class="muted small">
                  {methodName(s.method)} · {s.addr || '—'} · {t('signedInAt', { when: fmtDateTime(s.created_at) })} · {t('lastSeen', { when: relTime(s.last_seen_at, now) })}
                </span>
              </div>
              {!s.current && (
                <button
                  type="button"
                  class="btn btn-small"
                  onClick={() => void attempt(async () => {
                    await api.revokeSession(s.id);
                    await load();
                  }, t('sessionEnded'))}
                >
                  {t('signOutSession')}
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
      <button
        type="button"
        class="btn btn-danger"
        onClick={() =>
          confirm(t('confirmSignOutEverywhere')) &&
          void attempt(async () => {
            await api.revokeSessions();
            signedOut();
            navigate('/admin');
          }, t('signedOutEverywhere'))
        }
      >
        {t('signOutEverywhere')}
      </button>
    </section>
  );
}

function Tokens({ who }: { who: Whoami }) {
  const now = useNow();
  const [list, setList] = useState<APIToken[] | null>(null);
  const [events, setEvents] = useState<KoeEvent[]>([]);
  const [issued, setIssued] = useState<IssuedAPIToken | null>(null);
  const [err, setErr] = useState('');
  const load = () => api.apiTokens().then((r) => setList(r.tokens), (e) => setErr(errorText(e)));
  useEffect(() => {
    void load();
    api.events().then((r) => setEvents(r.events), () => undefined);
  }, []);
  const title = (id: number) => events.find((e) => e.id === id)?.title ?? `#${id}`;
  return (
    <section class="card pad" aria-labelledby="tokens-h" data-testid="tokens">
      <h2 id="tokens-h">{t('apiTokens')}</h2>
      <p class="muted small">{t('apiTokensLead')}</p>
      {issued && (
        <div class="secret-box" role="status">
          <p class="secret-title">{t('tokenCreated', { name: issued.name })}</p>
          <SecretField id="new-token" label={t('tokenSecret')} value={issued.token} hint={t('shownOnce')} />
          <button type="button" class="btn btn-small" onClick={() => setIssued(null)}>
            {t('done')}
          </button>
        </div>
      )}
      {err && <Notice kind="error">{err}</Notice>}
      {list && (
        <ul class="item-list" data-testid="token-list">
          {list.length === 0 && <li class="empty">{t('noTokens')}</li>}
          {list.map((tk) => {
            const expired = tk.expires_at !== null && Date.parse(tk.expires_at) <= now;
            const gone = tk.revoked_at !== null || expired;
            return (
              <li key={tk.id} class={gone ? 'item-row item-gone' : 'item-row'}>
                <div class="item-text">
                  <span class="item-title">
                    {tk.name}
                    {tk.revoked_at && <span class="badge badge-hidden">{t('revoked')}</span>}
                    {!tk.revoked_at && expired && <span class="badge badge-hidden">{t('expired')}</span>}
                  </span>
                  <span class="muted small">
                    {tk.roles.map(roleName).join(', ')} · {tk.events.length ? tk.events.map(title).join(', ') : t('allMyEvents')}
                  </span>
                  <span class="muted small">
                    {t('createdOn', { when: fmtDateTime(tk.created_at) })} ·{' '}
                    {tk.last_used_at ? t('lastUsed', { when: relTime(tk.last_used_at, now) }) : t('neverUsed')} ·{' '}
                    {tk.expires_at ? t('expiresOn', { when: fmtDateTime(tk.expires_at) }) : t('noExpiry')}
                  </span>
                </div>
                {!gone && (
                  <button
                    type="button"
                    class="btn btn-small btn-danger"
                    aria-label={t('revokeNamed', { name: tk.name })}
                    onClick={() =>
                      confirm(t('confirmRevokeToken', { name: tk.name })) &&
                      void attempt(async () => {
                        await api.revokeAPIToken(tk.id);
                        await load();
                      }, t('revokedDone'))
                    }
                  >
                    {t('revoke')}
                  </button>
                )}
              </li>
            );
          })}
        </ul>
      )}
      <details class="settings">
        <summary>{t('newToken')}</summary>
        <TokenForm
          who={who}
          events={events}
          onCreated={async (tk) => {
            setIssued(tk);
            await load();
          }}
        />
      </details>
    </section>
  );
}

function TokenForm({ who, events, onCreated }: { who: Whoami; events: KoeEvent[]; onCreated: (t: IssuedAPIToken) => Promise<void> }) {
  const [name, setName] = useState('');
  const [chosen, setChosen] = useState<number[]>([]);
  const [roles, setRoles] = useState<TokenRole[]>(['moderator']);
  const [days, setDays] = useState<number>(90);
  const [busy, setBusy] = useState(false);
  const [err, setErr] = useState('');
  const offered: TokenRole[] = who.admin ? ['owner', 'moderator', 'presenter', 'admin'] : ['owner', 'moderator', 'presenter'];
  const mine = events.filter((e) => roleIn(who, e.id));
  const toggle = <T,>(list: T[], v: T, on: boolean) => (on ? [...list, v] : list.filter((x) => x !== v));
  return (
    <form
      class="form-grid"
      onSubmit={async (e) => {
        e.preventDefault();
        setBusy(true);
        setErr('');
        try {
          const tk = await api.createAPIToken({ name: name.trim(), events: chosen, roles, expires_at: expiresAt(days, Date.now()) });
          setName('');
          await onCreated(tk);
        } catch (e2) {
          setErr(errorText(e2));
        } finally {
          setBusy(false);
        }
      }}
    >
      <div class="field">
        <label for="token-name">{t('tokenName')}</label>
        <input id="token-name" required maxLength={100} placeholder={t('tokenNamePlaceholder')} value={name} onInput={(e) => setName(e.currentTarget.value)} />
      </div>
      <div class="field">
        <label for="token-expiry">{t('expiresLabel')}</label>
        <select id="token-expiry" value={String(days)} onChange={(e) => setDays(Number(e.currentTarget.value))}>
          {tokenDays.map((d) => (
            <option key={d} value={String(d)}>
              {d ? t('inDays', { n: d }) : t('noExpiry')}
            </option>
          ))}
        </select>
      </div>
      <fieldset class="field span-2 checks">
        <legend class="label">{t('tokenRoles')}</legend>
        {offered.map((r) => (
          <label key={r} class="check">
            <input type="checkbox" checked={roles.includes(r)} onChange={(e) => setRoles(toggle(roles, r, e.currentTarget.checked))} />
            <span>{roleName(r)}</span>
          </label>
        ))}
        <p class="hint">{t('tokenRolesHint')}</p>
      </fieldset>
      <fieldset class="field span-2 checks">
        <legend class="label">{t('tokenEvents')}</legend>
        {mine.map((ev) => (
          <label key={ev.id} class="check">
            <input type="checkbox" checked={chosen.includes(ev.id)} onChange={(e) => setChosen(toggle(chosen, ev.id, e.currentTarget.checked))} />
            <span>{ev.title}</span>
          </label>
        ))}
        <p class="hint">{t('tokenEventsHint')}</p>
      </fieldset>
      <p class="error-text span-2" role="alert">
        {err}
      </p>
      <div class="span-2">
        <button type="submit" class="btn btn-primary" disabled={busy || !name.trim() || roles.length === 0}>
          {t('createToken')}
        </button>
      </div>
    </form>
  );
}
