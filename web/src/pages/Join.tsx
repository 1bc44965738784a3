import { useEffect, useState } from 'preact/hooks';
import { ApiError, api } from '../api';
import { t, useLocale } from '../i18n';
import { normalizeCode, validCode, maxName } from '../state/text';
import { Header, Notice, Spinner } from '../ui/chrome';
import { errorText } from '../ui/errors';
import { useTitle } from '../ui/hooks';
import { joinedEvents, rememberEvent } from '../ui/remember';
import { navigate } from '../ui/router';

/** The start page, and /j/CODE (the QR code's target) with the code filled in. */
export function Join({ code: fromLink }: { code?: string }) {
  useLocale();
  useTitle(t('joinTitle'));
  const [code, setCode] = useState(fromLink ? normalizeCode(fromLink) : '');
  const [name, setName] = useState('');
  // The event asks for a passcode: shown once koe says so.
  const [passcode, setPasscode] = useState<string | null>(null);
  // The event asks participants to sign in with the OpenID provider
  // (named by /api/v1/setup): the link that does it, once koe says so.
  const [provider, setProvider] = useState('');
  const [signInLink, setSignInLink] = useState('');
  const [signInErr] = useState(() => new URLSearchParams(location.search).get('signin_error'));
  useEffect(() => {
    if (!signInErr) return;
    history.replaceState(null, '', location.pathname);
    void api.setupStatus().then(
      (st) => setErr(t(signInErr === 'oidc_denied' ? 'joinSignInDenied' : 'joinSignInFailed', { name: st.oidc ?? 'OpenID Connect' })),
      () => setErr(t('joinSignInFailed', { name: 'OpenID Connect' })),
    );
  }, []);
  const [busy, setBusy] = useState(false);
  const [err, setErr] = useState('');
  const known = joinedEvents();
  const returning = fromLink ? known.find((e) => e.code === normalizeCode(fromLink)) : undefined;
  const [auto, setAuto] = useState(!!returning);
  const notice = new URLSearchParams(location.search).get('m');

  const join = async (c: string, n: string, pc = '') => {
    setBusy(true);
    setErr('');
    try {
      const res = await api.join(normalizeCode(c), n.trim(), pc.trim());
      rememberEvent(res.event);
      navigate(`/e/${res.event.id}`, { replace: !!fromLink });
    } catch (e) {
      setAuto(false);
      if (e instanceof ApiError && e.code === 'sign_in_required') {
        const st = await api.setupStatus().catch(() => null);
        setProvider(st?.oidc ?? 'OpenID Connect');
        setSignInLink(`/api/v1/join/oidc?${new URLSearchParams({ code: normalizeCode(c), ...(n.trim() ? { name: n.trim() } : {}) })}`);
        setErr(t('joinSignInNeeded', { name: st?.oidc ?? 'OpenID Connect' }));
      } else if (e instanceof ApiError && e.code === 'passcode_required') {
        setErr(pc.trim() ? t('passcodeWrong') : t('passcodeNeeded'));
        setPasscode(pc);
        setTimeout(() => document.getElementById('passcode')?.focus());
      } else if (e instanceof ApiError && e.code === 'not_found') setErr(t('codeNotFound', { code: normalizeCode(c) }));
      else if (e instanceof ApiError && e.code === 'invalid_argument' && /join code/.test(e.message)) setErr(t('codeInvalid'));
      else setErr(errorText(e));
    } finally {
      setBusy(false);
    }
  };

  // Someone who joined this event before (same browser) goes straight in.
  useEffect(() => {
    if (returning) void join(returning.code, '');
  }, []);

  const submit = (e: Event) => {
    e.preventDefault();
    if (!validCode(code)) {
      setErr(t('codeInvalid'));
      document.getElementById('code')?.focus();
      return;
    }
    void join(code, name, passcode ?? '');
  };

  if (auto) {
    return (
      <>
        <Header />
        <main id="main" class="page narrow">
          <Spinner label={t('joining')} />
        </main>
      </>
    );
  }

  return (
    <>
      <Header />
      <main id="main" class="page narrow join">
        <section class="hero">
          <p class="eyebrow">{t('tagline')}</p>
          <h1>{t('joinTitle')}</h1>
          <p class="lead">{t('joinLead')}</p>
        </section>
        {notice === 'join' && <Notice kind="warn">{t('joinFirst')}</Notice>}
        <form class="card join-form" onSubmit={submit} noValidate>
          <div class="field">
            <label for="code">{t('codeLabel')}</label>
            <input
              id="code"
              class="code-input"
              name="code"
              value={code}
              autoComplete="off"
              autoCapitalize="characters"
              spellcheck={false}
              maxLength={8}
              inputMode="text"
              placeholder="ABC234"
              aria-describedby="code-hint join-error"
              aria-invalid={!!err || undefined}
              autoFocus={!fromLink}
              onInput={(e) => {
                setCode(normalizeCode(e.currentTarget.value).slice(0, 6));
                setErr('');
              }}
            />
            <p id="code-hint" class="hint">
              {t('codeHint')}
            </p>
          </div>
          <div class="field">
            <label for="name">{t('nameLabel')}</label>
            <input
              id="name"
              name="name"
              dir="auto"
              value={name}
              maxLength={maxName}
              autoComplete="nickname"
              aria-describedby="name-hint"
              autoFocus={!!fromLink}
              onInput={(e) => setName(e.currentTarget.value)}
            />
            <p id="name-hint" class="hint">
              {t('nameHint')}
            </p>
          </div>
          {passcode !== null && (
            <div class="field">
              <label for="passcode">{t('passcodeLabel')}</label>
              <input
                id="passcode"
                name="passcode"
                value={passcode}
                maxLength={64}
                autoComplete="off"
                spellcheck={false}
                aria-describedby="passcode-hint join-error"
                onInput={(e) => setPasscode(e.currentTarget.value)}
              />
              <p id="passcode-hint" class="hint">
                {t('passcodeHint')}
              </p>
            </div>
          )}
          <p id="join-error" class="error-text" role="alert">
            {err}
          </p>
          {signInLink ? (
            <a class="btn btn-primary btn-block btn-large" href={signInLink} data-testid="join-sign-in">
              {t('signInToJoin', { name: provider })}
            </a>
          ) : (
            <button type="submit" class="btn btn-primary btn-block btn-large" disabled={busy}>
              {busy ? t('joining') : t('joinButton')}
            </button>
          )}
        </form>
        {known.length > 0 && (
          <section class="recent" aria-labelledby="recent-h">
            <h2 id="recent-h" class="section-title">
              {t('recentEvents')}
            </h2>
            <ul class="recent-list">
              {known.map((e) => (
                <li key={e.id}>
                  <a href={`/e/${e.id}`} class="recent-item">
                    <span class="recent-title">{e.title}</span>
                    <span class="code-chip">{e.code}</span>
                  </a>
                </li>
              ))}
            </ul>
          </section>
        )}
        <p class="footer-link">
          <a href="/admin">{t('staffLink')}</a>
        </p>
      </main>
    </>
  );
}
