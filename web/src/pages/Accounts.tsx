// Admins: every staff account; create one, make or unmake admins, disable.
import { useEffect, useState } from 'preact/hooks';
import { api } from '../api';
import { t, useLocale } from '../i18n';
import type { Account, Whoami } from '../types';
import { Notice, Spinner } from '../ui/chrome';
import { errorText } from '../ui/errors';
import { fmtDateTime } from '../ui/format';
import { useTitle } from '../ui/hooks';
import { attempt, StaffPage } from '../ui/staff';
import { toast } from '../ui/toast';
import { refreshWhoami } from '../ui/whoami';
import { AccountFields, emptyAccount, type AccountInput } from './accountfields';
import '../styles/admin.css';

export function Accounts() {
  useLocale();
  useTitle(t('accountsTitle'));
  return <StaffPage title={t('accountsTitle')}>{(who) => (who.admin ? <AccountList who={who} /> : <Notice kind="warn">{t('adminsOnly')}</Notice>)}</StaffPage>;
}

function AccountList({ who }: { who: Whoami }) {
  const [list, setList] = useState<Account[] | null>(null);
  const [err, setErr] = useState('');
  const load = () => api.accounts().then((r) => setList(r.accounts), (e) => setErr(errorText(e)));
  useEffect(() => void load(), []);
  const change = (a: Account, body: { admin?: boolean; disabled?: boolean }, done: string) =>
    attempt(async () => {
      await api.updateAccount(a.id, body);
      if (a.id === who.account?.id) await refreshWhoami();
      await load();
    }, done);
  return (
    <>
      <h1>{t('accountsTitle')}</h1>
      {err && <Notice kind="error">{err}</Notice>}
      {!list && !err && <Spinner />}
      {list && (
        <ul class="item-list card pad" data-testid="account-list">
          {list.map((a) => (
            <li key={a.id} class={a.disabled ? 'item-row item-gone' : 'item-row'} data-login={a.login}>
              <div class="item-text">
                <span class="item-title">
                  <bdi>{a.display_name}</bdi>
                  {a.id === who.account?.id && <span class="badge badge-mine">{t('you')}</span>}
                  {a.admin && <span class="role-chip role-admin">{t('roleAdmin')}</span>}
                  {a.disabled && <span class="badge badge-hidden">{t('disabled')}</span>}
                </span>
                <span class="muted small">
                  @{a.login}
                  {a.email && ` · ${a.email}`} · {t('createdOn', { when: fmtDateTime(a.created_at) })}
                </span>
              </div>
              <div class="row-actions">
                <button type="button" class="btn btn-small" onClick={() => void change(a, { admin: !a.admin }, t('saved'))}>
                  {a.admin ? t('removeAdmin') : t('makeAdmin')}
                </button>
                <button
                  type="button"
                  class={a.disabled ? 'btn btn-small' : 'btn btn-small btn-danger'}
                  onClick={() => (a.disabled || confirm(t('confirmDisable', { name: a.display_name }))) && void change(a, { disabled: !a.disabled }, a.disabled ? t('enabledDone') : t('disabledDone'))}
                >
                  {a.disabled ? t('enable') : t('disable')}
                </button>
              </div>
            </li>
          ))}
        </ul>
      )}
      <NewAccount onCreated={load} />
    </>
  );
}

function NewAccount({ onCreated }: { onCreated: () => Promise<void> }) {
  const [v, setV] = useState<AccountInput>(emptyAccount);
  const [admin, setAdmin] = useState(false);
  const [busy, setBusy] = useState(false);
  const [err, setErr] = useState('');
  return (
    <section class="card pad" aria-labelledby="new-account-h">
      <h2 id="new-account-h">{t('newAccount')}</h2>
      <p class="muted small">{t('newAccountLead')}</p>
      <form
        onSubmit={async (e) => {
          e.preventDefault();
          setBusy(true);
          setErr('');
          try {
            await api.createAccount({ login: v.login.trim(), display_name: v.display_name.trim(), email: v.email.trim(), password: v.password, admin });
            setV(emptyAccount);
            setAdmin(false);
            toast(t('created'));
            await onCreated();
          } catch (e2) {
            setErr(errorText(e2));
          } finally {
            setBusy(false);
          }
        }}
      >
        <AccountFields prefix="acct" value={v} onChange={setV} />
        <div class="field">
          <label class="check">
            <input type="checkbox" checked={admin} onChange={(e) => setAdmin(e.currentTarget.checked)} />
            <span>{t('makeAdminCheck')}</span>
          </label>
        </div>
        <p class="error-text" role="alert">
          {err}
        </p>
        <button type="submit" class="btn btn-primary" disabled={busy || !v.login.trim() || !v.display_name.trim() || !v.password}>
          {t('createAccountButton')}
        </button>
      </form>
    </section>
  );
}
