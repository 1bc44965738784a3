// Staff sign-in: login and password (with a passkey as second factor when
// the account asks for one), a passkey alone, the OpenID provider, and the
// owner token for break-glass access.
import { useEffect, useState } from 'preact/hooks';
import { ApiError, api, hasRoute } from '../api';
import { t, useLocale } from '../i18n';
import { localReturn, signInError, waitSeconds, type SignInError } from '../state/staff';
import { getAssertion, webauthnAvailable } from '../state/webauthn';
import type { SecondFactor, SetupStatus } from '../types';
import { Notice } from './chrome';
import '../styles/staff.css';
import { errorText } from './errors';
import { refreshWhoami } from './whoami';

let setupCache: Promise<SetupStatus | null> | null = null;
/** GET /api/v1/setup, once a page load: whether setup is needed, the OpenID provider's name. */
export function setupStatus(): Promise<SetupStatus | null> {
  setupCache ??= api.setupStatus().catch(() => null);
  return setupCache;
}

let passkeyCache: Promise<boolean> | null = null;
/** Whether this browser and this server do passkeys. */
export function passkeysOffered(): Promise<boolean> {
  passkeyCache ??= webauthnAvailable() ? hasRoute('/api/v1/session/passkey') : Promise.resolve(false);
  return passkeyCache;
}

/** Words for an error of a sign-in step. */
export function signInErrorText(e: unknown): string {
  if (e instanceof ApiError) {
    if (e.status === 401) return t('wrongPassword');
    if (e.status === 429) return t('signInThrottled', { s: waitSeconds(e.retryAfter) });
  }
  if (e instanceof DOMException || (e instanceof Error && e.name === 'NotAllowedError')) {
    return e.name === 'NotAllowedError' || e.name === 'AbortError' ? t('passkeyCancelled') : t('passkeyFailed', { msg: e.message });
  }
  return errorText(e);
}

const oidcErrors: Record<SignInError, 'oidcDenied' | 'oidcNotAllowed' | 'oidcDisabled' | 'oidcFailed'> = {
  oidc_denied: 'oidcDenied',
  oidc_not_allowed: 'oidcNotAllowed',
  oidc_disabled: 'oidcDisabled',
  oidc_failed: 'oidcFailed',
};

/** The staff sign-in card; onDone runs once signed in (who is refreshed first). */
export function SignIn({ onDone, returnTo, heading = true }: { onDone: () => void; returnTo?: string; heading?: boolean }) {
  useLocale();
  const [login, setLogin] = useState('');
  const [password, setPassword] = useState('');
  const [token, setToken] = useState('');
  const [busy, setBusy] = useState(false);
  const [err, setErr] = useState('');
  const [tokenErr, setTokenErr] = useState('');
  const [second, setSecond] = useState<SecondFactor | null>(null);
  const [setup, setSetup] = useState<SetupStatus | null>(null);
  const [passkeys, setPasskeys] = useState(false);
  const [oidcErr] = useState(() => signInError(location.search));

  useEffect(() => {
    void setupStatus().then(setSetup);
    void passkeysOffered().then(setPasskeys);
    if (oidcErr) {
      // Shown once: a reload should not show it again.
      const p = new URLSearchParams(location.search);
      p.delete('signin_error');
      const q = p.toString();
      history.replaceState(null, '', location.pathname + (q ? `?${q}` : '') + location.hash);
    }
  }, []);

  const done = async () => {
    setPassword('');
    setToken('');
    await refreshWhoami();
    onDone();
  };

  const run = async (fn: () => Promise<void>, onErr: (msg: string) => void = setErr) => {
    if (busy) return;
    setBusy(true);
    setErr('');
    setTokenErr('');
    try {
      await fn();
    } catch (e) {
      onErr(signInErrorText(e));
    } finally {
      setBusy(false);
    }
  };

  const withPasskey = (options: { publicKey: Record<string, unknown> }, ceremony: string) =>
    getAssertion(options.publicKey).then((credential) => api.signInPasskey({ ceremony, credential }));

  const submitPassword = (e: Event) => {
    e.preventDefault();
    void run(async () => {
      const r = await api.signInPassword(login.trim(), password);
      if ('second_factor' in r) {
        setSecond(r);
        setPassword('');
        return;
      }
      await done();
    });
  };

  const confirmSecond = () =>
    run(async () => {
      if (!second) return;
      try {
        await withPasskey(second.options, second.ceremony);
      } catch (e) {
        // A ceremony is single-use: a failed one needs the password again.
        if (e instanceof ApiError) setSecond(null);
        throw e;
      }
      await done();
    });

  const passkeySignIn = () =>
    run(async () => {
      const c = await api.passkeySignInOptions();
      await withPasskey(c.options, c.ceremony);
      await done();
    });

  const submitToken = (e: Event) => {
    e.preventDefault();
    void run(async () => {
      try {
        await api.signIn(token.trim());
      } catch (e2) {
        if (e2 instanceof ApiError && e2.status === 401) throw new ApiError(400, 'bad_token', t('badToken'));
        throw e2;
      }
      await done();
    }, setTokenErr);
  };

  const ret = localReturn(returnTo ?? location.pathname + location.search);

  if (second) {
    return (
      <section class="card signin" aria-labelledby="signin-h" data-testid="second-factor">
        <h1 id="signin-h">{t('secondFactorTitle')}</h1>
        <p class="muted">{t('secondFactorLead')}</p>
        <p class="error-text" role="alert">
          {err}
        </p>
        <button type="button" class="btn btn-primary btn-block" disabled={busy} onClick={() => void confirmSecond()} autoFocus>
          {busy ? t('waitingForPasskey') : t('usePasskey')}
        </button>
        <p class="signin-alt">
          <button type="button" class="link-btn" onClick={() => setSecond(null)}>
            {t('cancel')}
          </button>
        </p>
      </section>
    );
  }

  return (
    <section class="card signin" aria-labelledby={heading ? 'signin-h' : undefined} aria-label={heading ? undefined : t('signInTitle')}>
      {heading && <h1 id="signin-h">{t('signInTitle')}</h1>}
      {oidcErr && <Notice kind="error">{t(oidcErrors[oidcErr], { name: setup?.oidc ?? 'OpenID Connect' })}</Notice>}
      {setup?.needed && <Notice kind="warn">{t('setupNeededHint')}</Notice>}
      <form onSubmit={submitPassword} data-testid="signin-form">
        <div class="field">
          <label for="signin-login">{t('loginLabel')}</label>
          <input id="signin-login" name="username" autoComplete="username webauthn" autoCapitalize="none" spellcheck={false} value={login} required maxLength={64} onInput={(e) => setLogin(e.currentTarget.value)} />
        </div>
        <div class="field">
          <label for="signin-password">{t('passwordLabel')}</label>
          <input id="signin-password" type="password" name="password" autoComplete="current-password" value={password} required maxLength={256} onInput={(e) => setPassword(e.currentTarget.value)} />
        </div>
        <p class="error-text" role="alert" data-testid="signin-error">
          {err}
        </p>
        <button type="submit" class="btn btn-primary btn-block" disabled={busy || !login.trim() || !password}>
          {busy ? t('signingIn') : t('signIn')}
        </button>
      </form>
      {(passkeys || setup?.oidc) && (
        <div class="signin-or">
          <span>{t('or')}</span>
        </div>
      )}
      <div class="signin-methods">
        {passkeys && (
          <button type="button" class="btn btn-block" disabled={busy} onClick={() => void passkeySignIn()} data-testid="passkey-signin">
            <KeyIcon />
            {t('signInWithPasskey')}
          </button>
        )}
        {setup?.oidc && (
          <a class="btn btn-block" href={`/api/v1/session/oidc?return=${encodeURIComponent(ret)}`} data-testid="oidc-signin">
            {t('signInWith', { name: setup.oidc })}
          </a>
        )}
      </div>
      <details class="settings break-glass">
        <summary>{t('ownerTokenSummary')}</summary>
        <form onSubmit={submitToken}>
          <p class="muted small">{t('signInLead')}</p>
          <div class="field">
            <label for="token">{t('tokenLabel')}</label>
            <input id="token" type="password" autoComplete="off" value={token} required onInput={(e) => setToken(e.currentTarget.value)} />
          </div>
          <p class="error-text" role="alert">
            {tokenErr}
          </p>
          <button type="submit" class="btn btn-block" disabled={busy || !token.trim()}>
            {t('signInWithToken')}
          </button>
        </form>
      </details>
    </section>
  );
}

export function KeyIcon() {
  return (
    <svg viewBox="0 0 24 24" class="icon" aria-hidden="true">
      <circle cx="8" cy="12" r="4" class="icon-line" />
      <path d="M12 12h9M18 12v3M21 12v2" class="icon-line" />
    </svg>
  );
}
