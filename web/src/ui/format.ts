import { locale, t } from '../i18n';

export function relTime(iso: string, now: number): string {
  const s = Math.max(0, (now - Date.parse(iso)) / 1000);
  if (s < 60) return t('justNow');
  if (s < 3600) return t('minutesAgo', { n: Math.floor(s / 60) });
  if (s < 86400) return t('hoursAgo', { n: Math.floor(s / 3600) });
  return fmtDate(iso);
}

function fmt(iso: string, tz: string | undefined, o: Intl.DateTimeFormatOptions): string {
  try {
    return new Intl.DateTimeFormat(locale() === 'ja' ? 'ja-JP' : 'en-GB', { ...o, timeZone: tz }).format(new Date(iso));
  } catch {
    return new Intl.DateTimeFormat(locale() === 'ja' ? 'ja-JP' : 'en-GB', o).format(new Date(iso));
  }
}

export function fmtTime(iso: string | null, tz?: string): string {
  return iso ? fmt(iso, tz, { hour: '2-digit', minute: '2-digit' }) : '';
}

export function fmtDate(iso: string | null, tz?: string): string {
  return iso ? fmt(iso, tz, { month: 'short', day: 'numeric' }) : '';
}

export function fmtDateTime(iso: string | null, tz?: string): string {
  return iso ? fmt(iso, tz, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' }) : '';
}

export function fmtSpan(start: string | null, end: string | null, tz?: string): string {
  if (!start) return '';
  return end ? `${fmtTime(start, tz)}–${fmtTime(end, tz)}` : fmtTime(start, tz);
}

// datetime-local inputs in an IANA time zone.

function offsetMs(utc: number, tz: string): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: tz, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
  }).formatToParts(new Date(utc));
  const v = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  const asUTC = Date.UTC(v('year'), v('month') - 1, v('day'), v('hour'), v('minute'), v('second'));
  return asUTC - Math.floor(utc / 1000) * 1000;
}

/** "2026-05-01T19:00" in tz → ISO UTC; "" → null. */
export function zonedToISO(local: string, tz: string): string | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(local);
  if (!m) return null;
  const guess = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5]);
  let utc = guess - offsetMs(guess, tz);
  utc = guess - offsetMs(utc, tz);
  return new Date(utc).toISOString();
}

/** ISO → "2026-05-01T19:00" in tz, for a datetime-local input. */
export function isoToZoned(iso: string | null, tz: string): string {
  if (!iso) return '';
  const utc = Date.parse(iso);
  const d = new Date(utc + offsetMs(utc, tz));
  return d.toISOString().slice(0, 16);
}
