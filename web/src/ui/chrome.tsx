// Page furniture shared by every screen: header, language switch, status.
import type { ComponentChildren } from 'preact';
import { locale, setLocale, t, useLocale, type Locale } from '../i18n';
import type { Status } from '../live';

export function Logo({ small = false }: { small?: boolean }) {
  return (
    <a href="/" class={`logo${small ? ' logo-small' : ''}`} aria-label="koe">
      <svg viewBox="0 0 64 64" aria-hidden="true" class="logo-mark">
        <rect width="64" height="64" rx="14" class="logo-bg" />
        <path d="M14 20a8 8 0 0 1 8-8h20a8 8 0 0 1 8 8v14a8 8 0 0 1-8 8H30l-10 9v-9a6 6 0 0 1-6-6z" class="logo-fg" />
        <circle cx="25" cy="27" r="3" class="logo-bg" />
        <circle cx="32" cy="27" r="3" class="logo-bg" />
        <circle cx="39" cy="27" r="3" class="logo-bg" />
      </svg>
      <span class="logo-word">koe</span>
    </a>
  );
}

export function LangSwitch() {
  useLocale();
  const cur = locale();
  const opts: [Locale, string][] = [
    ['en', 'EN'],
    ['ja', '日本語'],
  ];
  return (
    <div class="lang" role="group" aria-label={t('language')}>
      {opts.map(([l, label]) => (
        <button
          type="button"
          key={l}
          class="lang-btn"
          lang={l}
          aria-pressed={cur === l}
          onClick={() => setLocale(l)}
        >
          {label}
        </button>
      ))}
    </div>
  );
}

export function StatusPill({ status }: { status: Status }) {
  useLocale();
  const label = status === 'live' ? t('liveStatus') : status === 'connecting' ? t('connecting') : t('reconnecting');
  return (
    <span class={`status status-${status}`} data-status={status}>
      <span class="status-dot" aria-hidden="true" />
      {label}
    </span>
  );
}

export function Header({ title, children, wide }: { title?: string; children?: ComponentChildren; wide?: boolean }) {
  return (
    <header class={wide ? 'topbar topbar-wide' : 'topbar'}>
      <div class="topbar-inner">
        <Logo small />
        {title ? <span class="topbar-title">{title}</span> : <span class="topbar-title" />}
        <div class="topbar-tools">
          {children}
          <LangSwitch />
        </div>
      </div>
    </header>
  );
}

/** The banner shown while the real-time connection is down. */
export function ConnectionBanner({ status }: { status: Status }) {
  useLocale();
  if (status !== 'reconnecting') return null;
  return (
    <div class="banner banner-warn" role="status" data-testid="reconnecting">
      <span class="spinner" aria-hidden="true" />
      {t('reconnectingLong')}
    </div>
  );
}

export function Spinner({ label }: { label?: string }) {
  return (
    <div class="loading" role="status">
      <span class="spinner" aria-hidden="true" />
      {label ?? t('loading')}
    </div>
  );
}

export function Notice({ children, kind = 'info' }: { children: ComponentChildren; kind?: 'info' | 'warn' | 'error' }) {
  return <div class={`banner banner-${kind}`} role={kind === 'error' ? 'alert' : 'status'}>{children}</div>;
}
