// An integration's health — a webhook's, the Slack connection's: when it
// last took something, its last error, and what waits (koe.IntegrationHealth).
import { locale, t } from '../i18n';
import type { IntegrationHealth } from '../types';
import { relTime } from './format';

/** A time in a log, to the second; with the date when it is not today. */
export function logTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const today = new Date().toDateString() === d.toDateString();
  const o: Intl.DateTimeFormatOptions = { hour: '2-digit', minute: '2-digit', second: '2-digit', ...(today ? {} : { month: 'short', day: 'numeric' }) };
  return new Intl.DateTimeFormat(locale() === 'ja' ? 'ja-JP' : 'en-GB', o).format(d);
}

function When({ at, now }: { at: string | null | undefined; now: number }) {
  return at ? (
    <time dateTime={at} title={logTime(at)}>
      {relTime(at, now)}
    </time>
  ) : (
    <>{t('whNever')}</>
  );
}

/**
 * The health's facts; while failing, its last error stands out below them.
 * testid prefixes the test ids ("hook-", "slack-").
 */
export function HealthFacts({ h, now, failing, testid }: { h: IntegrationHealth | undefined; now: number; failing: boolean; testid: string }) {
  return (
    <>
      <dl class="source-facts hook-facts">
        <div>
          <dt>{t('whLastSuccess')}</dt>
          <dd data-testid={`${testid}last-success`}>
            <When at={h?.last_success_at} now={now} />
          </dd>
        </div>
        <div>
          <dt>{t('whLastError')}</dt>
          <dd>
            <When at={h?.last_error_at} now={now} />
            {h?.last_error && !failing && (
              <span class="hook-past-error muted small" dir="auto">
                {' · '}
                {h.last_error}
              </span>
            )}
          </dd>
        </div>
        <div>
          <dt>{t('whBacklog')}</dt>
          <dd data-testid={`${testid}backlog`}>{h?.backlog ?? 0}</dd>
        </div>
      </dl>
      {h?.last_error && failing && (
        <p class="source-error source-error-bad" data-testid={`${testid}error`} dir="auto">
          <strong>{t('whLastError')}</strong> {h.last_error}
        </p>
      )}
    </>
  );
}
