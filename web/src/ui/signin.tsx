import { useState } from 'preact/hooks';
import { ApiError, api } from '../api';
import { t, useLocale } from '../i18n';
import { errorText } from './errors';

/** The owner-token form: POST /api/v1/session sets the staff cookie. */
export function SignIn({ onDone }: { onDone: () => void }) {
  useLocale();
  const [token, setToken] = useState('');
  const [busy, setBusy] = useState(false);
  const [err, setErr] = useState('');
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setErr('');
    try {
      await api.signIn(token.trim());
      setToken('');
      onDone();
    } catch (e2) {
      setErr(e2 instanceof ApiError && e2.status === 401 ? t('badToken') : errorText(e2));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="card signin" onSubmit={submit}>
      <h1>{t('signInTitle')}</h1>
      <p class="muted">{t('signInLead')}</p>
      <div class="field">
        <label for="token">{t('tokenLabel')}</label>
        <input id="token" type="password" autoComplete="current-password" value={token} required onInput={(e) => setToken(e.currentTarget.value)} />
      </div>
      <p class="error-text" role="alert">
        {err}
      </p>
      <button type="submit" class="btn btn-primary btn-block" disabled={busy || !token.trim()}>
        {t('signIn')}
      </button>
    </form>
  );
}
