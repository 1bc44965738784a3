// Furniture of the staff pages: who is signed in in the header, the
// navigation between the staff pages, and a page frame that signs in
// first when needed.
import type { ComponentChildren } from 'preact';
import { useRef, useState } from 'preact/hooks';
import { api } from '../api';
import { t, useLocale } from '../i18n';
import type { Whoami } from '../types';
import { Header, Notice, Spinner } from './chrome';
import { errorText } from './errors';
import { navigate, usePath } from './router';
import { SignIn } from './signin';
import { toast } from './toast';
import { signedOut, useWhoami } from './whoami';
import '../styles/staff.css';

export function whoName(who: Whoami): string {
  return who.account ? who.account.display_name || who.account.login : t('ownerTokenName');
}

export function SignOutButton({ onDone }: { onDone?: () => void }) {
  useLocale();
  return (
    <button
      type="button"
      class="btn btn-ghost btn-small"
      data-testid="sign-out"
      onClick={async () => {
        try {
          await api.signOut();
          signedOut();
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

/** The signed-in account's name (to its page) and sign-out, for the header. */
export function StaffTools() {
  useLocale();
  const s = useWhoami();
  if (s.status !== 'in') return null;
  return (
    <>
      <a class="account-link" href="/admin/account" data-testid="account-link" aria-label={t('accountLinkLabel', { name: whoName(s.who) })}>
        <svg viewBox="0 0 24 24" class="icon" aria-hidden="true">
          <circle cx="12" cy="8" r="4" class="icon-line" />
          <path d="M4 21c0-4.4 3.6-7 8-7s8 2.6 8 7" class="icon-line" />
        </svg>
        <span class="account-name">{whoName(s.who)}</span>
      </a>
      <SignOutButton />
    </>
  );
}

/** Links between the staff pages. */
export function AdminNav({ who }: { who: Whoami }) {
  useLocale();
  const path = usePath();
  const links: [string, string][] = [['/admin', t('events')]];
  if (who.admin) links.push(['/admin/accounts', t('accountsTitle')], ['/admin/audit', t('auditTitle')]);
  if (who.account) links.push(['/admin/account', t('myAccount')]);
  return (
    <nav class="admin-nav" aria-label={t('staffNav')}>
      {links.map(([href, label]) => (
        <a key={href} href={href} aria-current={path === href ? 'page' : undefined}>
          {label}
        </a>
      ))}
    </nav>
  );
}

/**
 * A staff page: the header with who is signed in, the sign-in card while
 * nobody is, then children(who).
 */
export function StaffPage({
  title, wide, nav = true, children,
}: { title: string; wide?: boolean; nav?: boolean; children: (who: Whoami) => ComponentChildren }) {
  useLocale();
  const s = useWhoami();
  const [, reload] = useState(0);
  return (
    <>
      <Header title={title} wide>
        <StaffTools />
      </Header>
      <main id="main" class={s.status === 'out' ? 'page narrow' : wide ? 'page admin admin-wide' : 'page admin'}>
        {s.status === 'loading' && <Spinner />}
        {s.status === 'error' && <Notice kind="error">{errorText(s.error)}</Notice>}
        {s.status === 'out' && <SignIn onDone={() => reload((n) => n + 1)} />}
        {s.status === 'in' && (
          <>
            {nav && <AdminNav who={s.who} />}
            {children(s.who)}
          </>
        )}
      </main>
    </>
  );
}

/** Copies text to the clipboard; falls back to selecting it. */
export async function copyText(text: string, input?: HTMLInputElement | null): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    input?.select();
    try {
      return document.execCommand('copy');
    } catch {
      return false;
    }
  }
}

/** A secret shown once: read-only, with a copy button. */
export function SecretField({ id, label, value, hint }: { id: string; label: string; value: string; hint?: string }) {
  useLocale();
  const input = useRef<HTMLInputElement>(null);
  return (
    <div class="field secret-field">
      <label for={id}>{label}</label>
      <div class="copy-row">
        <input id={id} ref={input} readOnly value={value} onFocus={(e) => e.currentTarget.select()} data-testid="secret" spellcheck={false} />
        <button
          type="button"
          class="btn"
          onClick={async () => toast((await copyText(value, input.current)) ? t('copied') : t('copyFailed'), 'info')}
        >
          {t('copy')}
        </button>
      </div>
      {hint && <p class="hint">{hint}</p>}
    </div>
  );
}

/** Runs fn, then toasts done or the error. */
export async function attempt(fn: () => Promise<unknown>, done?: string): Promise<boolean> {
  try {
    await fn();
    if (done) toast(done);
    return true;
  } catch (e) {
    toast(errorText(e), 'error');
    return false;
  }
}

/** The name of a role, translated. */
export function roleName(role: string): string {
  switch (role) {
    case 'owner':
      return t('roleOwner');
    case 'moderator':
      return t('roleModerator');
    case 'presenter':
      return t('rolePresenter');
    case 'admin':
      return t('roleAdmin');
  }
  return role;
}
