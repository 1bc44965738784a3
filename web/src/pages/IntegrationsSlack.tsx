// The Slack part of the Integrations page (docs/architecture.md "Slack"):
// the event's one connection with its health, read every 5 s while the
// page is open (health is not streamed), how to set up the Slack app, and
// the form. Credentials go to koe and never come back: the form shows
// whether each is set (for the event, or by the operator for the whole
// installation), keeps a field left empty, and clears one on request.
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, api } from '../api';
import { t, useLocale, type Key } from '../i18n';
import {
  absoluteURL, buttonsWork, cleanSecret, credentials, hasProblem, postingMode, pristine, slackBody, slackDraft, slackProblems, slackState, source,
  type Credential, type SlackDraft, type SlackState,
} from '../state/slack';
import type { SlackConnection, SlackInstallation, SlackSettings } from '../types';
import { Notice, Spinner } from '../ui/chrome';
import { errorText, run } from '../ui/errors';
import { HealthFacts } from '../ui/health';
import { useNow } from '../ui/hooks';
import { copyText } from '../ui/staff';
import { toast } from '../ui/toast';

const pollMs = 5000;

const stateKeys: Record<SlackState, Key> = {
  none: 'slackHealthNone', off: 'slackHealthOff', incomplete: 'slackHealthIncomplete', failing: 'slackHealthFailing', ok: 'slackHealthOK', idle: 'slackHealthIdle',
};

const labelKeys: Record<Credential, Key> = { bot_token: 'slackBotToken', signing_secret: 'slackSigningSecret', webhook_url: 'slackWebhookURL' };

const noInstallation: SlackInstallation = { bot_token_set: false, signing_secret_set: false };

export function SlackSection({ eventID }: { eventID: number }) {
  useLocale();
  const now = useNow(10_000);
  const [s, setS] = useState<SlackSettings | null>(null);
  const [err, setErr] = useState<unknown>(null);
  const [missing, setMissing] = useState(false);
  // Bumped by every action: a read begun before one is stale when it lands.
  const gen = useRef(0);

  const load = () => {
    const g = gen.current;
    return api.slack(eventID).then(
      (r) => {
        if (g !== gen.current) return;
        setS(r);
        setErr(null);
      },
      (e) => {
        // No such route: a koe without Slack (the event itself exists: the page read it).
        if (e instanceof ApiError && e.status === 404) setMissing(true);
        else setErr(e);
      },
    );
  };
  useEffect(() => {
    void load();
    const timer = setInterval(() => {
      if (!document.hidden && !missing) void load();
    }, pollMs);
    return () => clearInterval(timer);
  }, [eventID, missing]);

  const put = (c: SlackConnection | null) => {
    gen.current++;
    setS((x) => (x ? { ...x, connection: c } : x));
  };

  return (
    <section class="slack" aria-labelledby="slack-h" data-testid="slack">
      <div class="feed-head slack-head">
        <h2 id="slack-h">
          <SlackMark /> {t('slackTitle')}
        </h2>
      </div>
      <p class="small muted slack-lead">{t('slackLead')}</p>
      {missing ? (
        <p class="empty" data-testid="slack-missing">
          {t('slackUnavailable')}
        </p>
      ) : s === null ? (
        err ? <Notice kind="error">{errorText(err)}</Notice> : <Spinner />
      ) : (
        <>
          {err !== null && <Notice kind="error">{errorText(err)}</Notice>}
          <SlackStatus eventID={eventID} s={s} now={now} onChanged={put} />
          <SlackSetup url={absoluteURL(s.interactivity_url, location.origin)} open={!s.connection} />
          <section class="card pad slack-form-card" aria-labelledby="slack-form-h">
            <h3 id="slack-form-h">{s.connection ? t('slackFormEdit') : t('slackFormNew')}</h3>
            <SlackForm eventID={eventID} c={s.connection} inst={s.installation ?? noInstallation} onSaved={put} />
          </section>
        </>
      )}
    </section>
  );
}

function SlackMark() {
  // A channel's "#": a plain mark, not Slack's logo.
  return (
    <svg viewBox="0 0 24 24" class="slack-mark" aria-hidden="true">
      <path d="M9.5 3 7.5 21M16.5 3l-2 18M4 8.5h17M3 15.5h17" />
    </svg>
  );
}

function SlackStatus({ eventID, s, now, onChanged }: { eventID: number; s: SlackSettings; now: number; onChanged: (c: SlackConnection | null) => void }) {
  useLocale();
  const c = s.connection;
  const inst = s.installation ?? noInstallation;
  const state = slackState(c, inst);
  const mode = postingMode(c, inst);
  const h = c?.health;
  const busy = useRef(false);
  const [asked, setAsked] = useState<boolean | null>(null);
  const act = async <T,>(fn: () => Promise<T>, done?: string) => {
    if (busy.current) return undefined;
    busy.current = true;
    try {
      return await run(fn, done);
    } finally {
      busy.current = false;
    }
  };
  const enable = async (on: boolean) => {
    setAsked(on);
    const n = await act(() => api.updateSlack(eventID, { enabled: on }), on ? t('slackOnToast') : t('slackOffToast'));
    if (n) onChanged(n);
    setAsked(null);
  };
  const failing = state === 'failing';
  const where = !c ? t('slackNotConnected') : mode === 'bot' ? t('slackConnectedTo', { channel: c.channel }) : mode === 'webhook' ? t('slackConnectedWebhook') : t('slackHealthIncomplete');
  return (
    <div class={`card pad slack-status slack-state-${state}`} data-testid="slack-status" data-state={state}>
      <div class="hook-head">
        <h3 class="slack-where" data-testid="slack-where" dir="auto">
          {where}
        </h3>
        {c && (
          <span class={`health slack-health slack-health-${state}`} data-testid="slack-health">
            <span class="health-dot" aria-hidden="true" />
            {t(stateKeys[state])}
          </span>
        )}
      </div>
      {!c && <p class="slack-note muted">{t('slackNotConnectedHint')}</p>}
      {c && mode === 'none' && <p class="slack-note slack-warn">{t('slackIncomplete')}</p>}
      {c && mode === 'bot' && <p class="slack-note muted">{t('slackModeBot')}</p>}
      {c && mode === 'webhook' && <p class="slack-note muted">{t('slackModeWebhook')}</p>}
      {c && mode === 'bot' && !buttonsWork(c, inst) && (
        <p class="slack-note slack-warn" data-testid="slack-no-secret">
          {t('slackNoSecret')}
        </p>
      )}
      {c && <HealthFacts h={h} now={now} failing={failing} testid="slack-" />}
      {c && (
        <div class="row-actions source-actions">
          <label class="check source-switch">
            <input type="checkbox" checked={asked ?? c.enabled} onChange={(e) => void enable(e.currentTarget.checked)} data-testid="slack-enabled" />
            <span>{t('slackEnabled')}</span>
          </label>
          <button
            type="button"
            class="btn btn-small"
            disabled={!c.enabled || mode === 'none'}
            data-action="slack-test"
            onClick={() => void act(() => api.testSlack(eventID), t('slackTestQueued'))}
          >
            {t('slackSendTest')}
          </button>
          <button
            type="button"
            class="btn btn-small btn-ghost btn-danger"
            data-action="slack-disconnect"
            onClick={async () => {
              if (!confirm(t('confirmSlackDisconnect'))) return;
              if ((await act(() => api.disconnectSlack(eventID).then(() => true), t('slackDisconnected'))) === true) onChanged(null);
            }}
          >
            {t('slackDisconnect')}
          </button>
        </div>
      )}
    </div>
  );
}

/** How to make the Slack app, with the URL to paste into it. */
function SlackSetup({ url, open }: { url: string; open: boolean }) {
  useLocale();
  return (
    <details class="card pad slack-setup" open={open} data-testid="slack-setup">
      <summary>{t('slackSetupTitle')}</summary>
      <ol class="slack-steps">
        <li>{t('slackSetup1')}</li>
        <li>{t('slackSetup2')}</li>
        <li>
          {t('slackSetup3')}
          <CopyField id="slack-interactivity-url" label={t('slackInteractivityURL')} value={url} hint={t('slackInteractivityHint')} />
        </li>
        <li>{t('slackSetup4')}</li>
        <li>{t('slackSetup5')}</li>
        <li>{t('slackSetup6')}</li>
      </ol>
      <p class="hint">{t('slackSetupWebhook')}</p>
      <p class="hint">{t('slackSetupLink')}</p>
    </details>
  );
}

/** A value to paste elsewhere: read-only, with a copy button. */
function CopyField({ id, label, value, hint }: { id: string; label: string; value: string; hint: string }) {
  useLocale();
  // A text area, so that a long URL wraps on a phone instead of hiding its end.
  const area = useRef<HTMLTextAreaElement>(null);
  return (
    <div class="field copy-field">
      <label for={id}>{label}</label>
      <div class="copy-row">
        <textarea id={id} ref={area} readOnly rows={2} value={value} dir="ltr" spellcheck={false} onFocus={(e) => e.currentTarget.select()} aria-describedby={`${id}-h`} data-testid="interactivity-url" />
        <button
          type="button"
          class="btn"
          onClick={async () => {
            // Selected first: where the clipboard API is refused, copyText copies the selection.
            area.current?.select();
            toast((await copyText(value)) ? t('copied') : t('copyFailed'), 'info');
          }}
        >
          {t('copy')}
        </button>
      </div>
      <p class="hint" id={`${id}-h`}>
        {hint}
      </p>
    </div>
  );
}

const formatKeys: Record<Credential | 'channel', Key> = {
  channel: 'slackChannelFormat', bot_token: 'slackBotTokenFormat', signing_secret: 'slackSigningSecretFormat', webhook_url: 'slackWebhookURLFormat',
};

function SlackForm({ eventID, c, inst, onSaved }: { eventID: number; c: SlackConnection | null; inst: SlackInstallation; onSaved: (c: SlackConnection) => void }) {
  useLocale();
  const [d, setD] = useState<SlackDraft>(() => slackDraft(c));
  const [tried, setTried] = useState(false);
  const [busy, setBusy] = useState(false);
  const [err, setErr] = useState('');
  // What koe said of a field (invalid_argument), until it is typed in again.
  const [said, setSaid] = useState<Partial<Record<Credential | 'channel', string>>>({});
  const inputs = useRef<Partial<Record<Credential | 'channel', HTMLInputElement | null>>>({});
  // The connection the draft was made from: a newer one replaces an untouched draft.
  const base = useRef(c);
  useEffect(() => {
    if (pristine(d, base.current)) setD(slackDraft(c));
    base.current = c;
  }, [c?.version, c === null]);

  const problems = slackProblems(d, c);
  const problemText = (f: Credential | 'channel'): string => {
    if (said[f]) return said[f]!;
    if (!tried) return '';
    const p = problems[f];
    if (p === 'empty') return t('slackChannelEmpty');
    return p ? t(formatKeys[f]) : '';
  };
  const set = <K extends keyof SlackDraft>(k: K, v: SlackDraft[K]) => {
    setD((x) => ({ ...x, [k]: v }));
    if (k in said) setSaid((x) => ({ ...x, [k]: '' }));
  };
  const instNote = inst.bot_token_set && inst.signing_secret_set ? 'slackInstBoth' : inst.bot_token_set ? 'slackInstBot' : inst.signing_secret_set ? 'slackInstSecret' : null;
  const webhookOnly = postingMode(c, inst) === 'webhook' || (!c && cleanSecret(d.webhook_url) !== '' && cleanSecret(d.bot_token) === '' && !inst.bot_token_set);

  const clear = async (f: Credential) => {
    const what = t(labelKeys[f]);
    if (!confirm(t('confirmSlackClear', { what }))) return;
    const n = await run(() => api.updateSlack(eventID, { [f]: '' }), t('slackCleared', { what }));
    if (n) onSaved(n);
  };

  const submit = async (ev: Event) => {
    ev.preventDefault();
    setTried(true);
    setErr('');
    if (hasProblem(problems)) {
      const first = (['channel', ...credentials] as const).find((f) => problems[f]);
      if (first) inputs.current[first]?.focus();
      return;
    }
    const body = slackBody(d, c);
    if (!body) {
      toast(t('slackNothingChanged'));
      return;
    }
    setBusy(true);
    try {
      const n = await api.updateSlack(eventID, body);
      base.current = n;
      setD(slackDraft(n));
      setTried(false);
      onSaved(n);
      toast(c ? t('slackSaved') : t('slackConnected'));
    } catch (e) {
      const field = e instanceof ApiError && e.code === 'invalid_argument' ? (e.details.field as Credential | 'channel' | undefined) : undefined;
      if (field && field in formatKeys) {
        // koe refuses to send to its own network unless the operator allows it: a reason of its own.
        const private_ = field === 'webhook_url' && e instanceof ApiError && /private|this machine|loopback|localhost/i.test(e.message);
        setSaid((x) => ({ ...x, [field]: private_ ? t('whURLPrivate') : t(formatKeys[field]) }));
        inputs.current[field]?.focus();
      } else {
        setErr(errorText(e));
      }
    } finally {
      setBusy(false);
    }
  };

  const channelErr = problemText('channel');
  return (
    <form class="slack-form" noValidate onSubmit={submit} data-testid="slack-form">
      {instNote && (
        <p class="slack-inst" role="note" data-testid="slack-installation">
          {t(instNote)}
        </p>
      )}
      <div class="field">
        <label for="slack-channel">{t('slackChannel')}</label>
        <input
          id="slack-channel"
          ref={(el) => void (inputs.current.channel = el)}
          value={d.channel}
          dir="ltr"
          spellcheck={false}
          autoComplete="off"
          autoCapitalize="off"
          placeholder="C0123ABCD"
          maxLength={80}
          aria-invalid={channelErr ? 'true' : undefined}
          aria-describedby={`slack-channel-h${channelErr ? ' slack-channel-e' : ''}`}
          onInput={(e) => set('channel', e.currentTarget.value)}
        />
        {channelErr && (
          <p class="error-text" id="slack-channel-e" data-testid="slack-channel-error">
            {channelErr}
          </p>
        )}
        <p class="hint" id="slack-channel-h">
          {t('slackChannelHint')}
        </p>
      </div>
      {credentials.map((f) => (
        <CredentialField
          key={f}
          f={f}
          from={source(c, inst, f)}
          value={d[f]}
          error={problemText(f)}
          inputRef={(el) => void (inputs.current[f] = el)}
          onInput={(v) => set(f, v)}
          onClear={() => void clear(f)}
        />
      ))}
      <fieldset class="slack-what">
        <legend class="label">{t('slackWhat')}</legend>
        <label class="check check-block slack-check">
          <input type="checkbox" checked={d.reviews} onChange={(e) => set('reviews', e.currentTarget.checked)} data-testid="slack-reviews" aria-describedby="slack-reviews-h" />
          <span>
            {t('slackReviews')}
            <span class="hint" id="slack-reviews-h">
              {t('slackReviewsHint')}
              {webhookOnly && ` ${t('slackModeWebhook')}`}
            </span>
          </span>
        </label>
        <label class="check check-block slack-check">
          <input type="checkbox" checked={d.digest} onChange={(e) => set('digest', e.currentTarget.checked)} data-testid="slack-digest" aria-describedby="slack-digest-h" />
          <span>
            {t('slackDigest')}
            <span class="hint" id="slack-digest-h">
              {t('slackDigestHint')}
            </span>
          </span>
        </label>
      </fieldset>
      <p class="error-text" role="alert" data-testid="slack-form-error">
        {err}
      </p>
      <div class="row-actions">
        <button type="submit" class="btn btn-primary" disabled={busy} data-testid="slack-save">
          {c ? t('save') : t('slackConnect')}
        </button>
      </div>
    </form>
  );
}

const hintKeys: Record<Credential, Key> = { bot_token: 'slackBotTokenHint', signing_secret: 'slackSigningSecretHint', webhook_url: 'slackWebhookURLHint' };
const placeholders: Record<Credential, string> = { bot_token: 'xoxb-…', signing_secret: '', webhook_url: 'https://hooks.slack.com/services/…' };
const fromKeys = { event: 'slackCredSet', installation: 'slackCredInstallation', none: 'slackCredNone' } as const;

/** A credential: whether (and whose) it is set, a password-type field that keeps it when left empty, and Clear. */
function CredentialField({
  f, from, value, error, inputRef, onInput, onClear,
}: {
  f: Credential;
  from: 'event' | 'installation' | 'none';
  value: string;
  error: string;
  inputRef: (el: HTMLInputElement | null) => void;
  onInput: (v: string) => void;
  onClear: () => void;
}) {
  useLocale();
  const id = `slack-${f.replace('_', '-')}`;
  const label = t(labelKeys[f]);
  const described = `${id}-s ${id}-h${error ? ` ${id}-e` : ''}`;
  return (
    <div class="field slack-cred" data-cred={f} data-from={from}>
      <div class="slack-cred-head">
        <label for={id}>{label}</label>
        <span class={`slack-cred-state slack-cred-${from}`} id={`${id}-s`} data-testid={`${f}-state`}>
          {t(fromKeys[from])}
        </span>
      </div>
      <div class="copy-row">
        <input
          id={id}
          ref={inputRef}
          type="password"
          autoComplete="new-password"
          spellcheck={false}
          dir="ltr"
          value={value}
          maxLength={500}
          placeholder={from === 'event' ? '••••••••' : placeholders[f]}
          aria-invalid={error ? 'true' : undefined}
          aria-describedby={described}
          onInput={(e) => onInput(e.currentTarget.value)}
        />
        {from === 'event' && (
          <button type="button" class="btn btn-ghost btn-danger" onClick={onClear} aria-label={t('slackClearNamed', { what: label })} data-action={`clear-${f}`}>
            {t('slackClear')}
          </button>
        )}
      </div>
      {error && (
        <p class="error-text" id={`${id}-e`} data-testid={`${f}-error`}>
          {error}
        </p>
      )}
      <p class="hint" id={`${id}-h`}>
        {t(hintKeys[f])}
        {from === 'event' && ` ${t('slackKeepHint')}`}
      </p>
    </div>
  );
}
