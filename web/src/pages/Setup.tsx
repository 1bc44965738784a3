// First run: the link koe printed at start (/setup#TOKEN) makes the first
// admin. The token is read from the fragment, which the browser never
// sends, and goes to the server only in the request body.
import { useEffect, useState } from 'preact/hooks';
import { api } from '../api';
import { t, useLocale } from '../i18n';
import { secretFromHash } from '../state/staff';
import { Header, Notice, Spinner } from '../ui/chrome';
import { errorText } from '../ui/errors';
import { useTitle } from '../ui/hooks';
import { navigate } from '../ui/router';
import { refreshWhoami } from '../ui/whoami';
import { AccountFields, emptyAccount, type AccountInput } from './accountfields';
import '../styles/admin.css';
import '../styles/staff.css';

const key = 'koe.setup';

/** The secret from the fragment, kept for this tab so a reload still works; the address bar loses it. */
export function takeSecret(storageKey: string): string {
  const fromHash = secretFromHash(location.hash);
  try {
    if (fromHash) {
      sessionStorage.setItem(storageKey, fromHash);
      history.replaceState(null, '', location.pathname + location.search);
      return fromHash;
    }
    return sessionStorage.getItem(storageKey) ?? '';
  } catch {
    return fromHash;
  }
}

export function forgetSecret(storageKey: string): void {
  try {
    sessionStorage.removeItem(storageKey);
  } catch {
    // nothing kept
  }
}

export function Setup() {
  useLocale();
  useTitle(t('setupTitle'));
  const [token] = useState(() => takeSecret(key));
  const [needed, setNeeded] = useState<boolean | null>(null);
  const [err, setErr] = useState('');
  const [v, setV] = useState<AccountInput>(emptyAccount);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    api.setupStatus().then((s) => setNeeded(s.needed), (e) => setErr(errorText(e)));
  }, []);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setErr('');
    try {
      await api.setup({ token, login: v.login.trim(), display_name: v.display_name.trim(), email: v.email.trim(), password: v.password });
      forgetSecret(key);
      await refreshWhoami();
      navigate('/admin');
    } catch (e2) {
      setErr(errorText(e2));
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <Header title={t('setupTitle')} />
      <main id="main" class="page narrow">
        {needed === null && !err && <Spinner />}
        {needed === false && (
          <section class="card signin" data-testid="setup-done">
            <h1>{t('setupDoneTitle')}</h1>
            <p>{t('setupDoneLead')}</p>
            <a class="btn btn-primary btn-block" href="/admin">
              {t('goToSignIn')}
            </a>
          </section>
        )}
        {needed && !token && (
          <section class="card signin">
            <h1>{t('setupTitle')}</h1>
            <Notice kind="warn">{t('setupNoToken')}</Notice>
          </section>
        )}
        {needed && token && (
          <form class="card signin" onSubmit={submit} data-testid="setup-form">
            <h1>{t('setupTitle')}</h1>
            <p class="muted">{t('setupLead')}</p>
            <AccountFields prefix="setup" value={v} onChange={setV} />
            <p class="error-text" role="alert" data-testid="setup-error">
              {err}
            </p>
            <button type="submit" class="btn btn-primary btn-block" disabled={busy || !v.login.trim() || !v.display_name.trim() || !v.password}>
              {busy ? t('creatingAccount') : t('setupSubmit')}
            </button>
          </form>
        )}
        {err && needed !== true && <Notice kind="error">{err}</Notice>}
      </main>
    </>
  );
}
