// The fields a new account is made of: setup, sign-up by invitation, and
// an admin creating one.
import { t, useLocale } from '../i18n';

export interface AccountInput {
  login: string;
  display_name: string;
  email: string;
  password: string;
}

export const emptyAccount: AccountInput = { login: '', display_name: '', email: '', password: '' };

/** The shortest password the server takes (auth.MinPasswordLen). */
export const minPassword = 10;

export function AccountFields({
  prefix, value, onChange, newPassword = true,
}: { prefix: string; value: AccountInput; onChange: (v: AccountInput) => void; newPassword?: boolean }) {
  useLocale();
  const set = (k: keyof AccountInput) => (e: { currentTarget: HTMLInputElement }) => onChange({ ...value, [k]: e.currentTarget.value });
  return (
    <>
      <div class="field">
        <label for={`${prefix}-login`}>{t('loginLabel')}</label>
        <input id={`${prefix}-login`} name="username" autoComplete="username" autoCapitalize="none" spellcheck={false} required maxLength={64}
          aria-describedby={`${prefix}-login-hint`} value={value.login} onInput={set('login')} />
        <p id={`${prefix}-login-hint`} class="hint">
          {t('loginHint')}
        </p>
      </div>
      <div class="field">
        <label for={`${prefix}-name`}>{t('displayNameLabel')}</label>
        <input id={`${prefix}-name`} autoComplete="name" required maxLength={40} value={value.display_name} onInput={set('display_name')} />
      </div>
      <div class="field">
        <label for={`${prefix}-email`}>
          {t('emailLabel')} <span class="muted small">({t('optional')})</span>
        </label>
        <input id={`${prefix}-email`} type="email" autoComplete="email" maxLength={254} value={value.email} onInput={set('email')} />
      </div>
      <div class="field">
        <label for={`${prefix}-password`}>{t('passwordLabel')}</label>
        <input id={`${prefix}-password`} type="password" autoComplete={newPassword ? 'new-password' : 'off'} required minLength={minPassword} maxLength={256}
          aria-describedby={`${prefix}-password-hint`} value={value.password} onInput={set('password')} />
        <p id={`${prefix}-password-hint`} class="hint">
          {t('passwordHint', { n: minPassword })}
        </p>
      </div>
    </>
  );
}
