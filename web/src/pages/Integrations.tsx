// An event's integrations (docs/architecture.md "Integrations"): its
// outbound webhooks with their health, read every 5 s while the page is
// open (health is not streamed), and each one's delivery log; below them
// its Slack connection (IntegrationsSlack.tsx). Owners only: the server
// refuses everyone else, so the page does not offer it.
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, api } from '../api';
import { t, useLocale, type Key } from '../i18n';
import { caps } from '../state/staff';
import {
  deliveryTime, draftProblems, emptyLog, hookBody, hookDraft, hookHealth, isPrivate, latencyText, mayRedeliver, mergeHooks, prettyJSON, putHook,
  shortURL, webhookEvents, withDelivery, withFirstPage, withOlderPage, withoutSecret, type DeliveryLog, type HookDraft, type HookHealth,
} from '../state/webhooks';
import type { CreatedWebhook, Delivery, DeliveryState, Webhook, WebhookEvent } from '../types';
import { Header, Notice, Spinner } from '../ui/chrome';
import { errorText, run } from '../ui/errors';
import { useNow, useTitle } from '../ui/hooks';
import { HealthFacts, logTime } from '../ui/health';
import { SecretField, StaffTools } from '../ui/staff';
import { toast } from '../ui/toast';
import { RoleGate } from './AdminEvent';
import { SlackSection } from './IntegrationsSlack';
import '../styles/admin.css';
import '../styles/moderation.css';
import '../styles/feed.css';

/** How often the page reads the webhooks' health, and an open log its newest deliveries. */
const pollMs = 5000;
const logPollMs = 3000;

export function IntegrationsPage({ eventID }: { eventID: number }) {
  return (
    <RoleGate eventID={eventID} title={t('integrationsTitle')} allow={(role) => caps(role).manage} refusal={t('integrationsOwnersOnly')}>
      {() => <Integrations eventID={eventID} />}
    </RoleGate>
  );
}

const eventHints: Record<WebhookEvent, Key> = {
  'question.created': 'evQuestionCreated', 'question.approved': 'evQuestionApproved', 'question.answered': 'evQuestionAnswered',
  'question.updated': 'evQuestionUpdated', 'reply.created': 'evReplyCreated', 'talk.created': 'evTalkCreated', 'talk.updated': 'evTalkUpdated',
  'event.updated': 'evEventUpdated', 'post.featured': 'evPostFeatured',
  'poll.opened': 'evPollOpened', 'poll.closed': 'evPollClosed', 'review.created': 'evReviewCreated', 'review.decided': 'evReviewDecided',
};

const healthKeys: Record<HookHealth, Key> = {
  ok: 'whHealthOK', failing: 'whHealthFailing', idle: 'whHealthIdle', off: 'whHealthOff', suspended: 'whHealthSuspended',
};

function Integrations({ eventID }: { eventID: number }) {
  const now = useNow(10_000);
  const [title, setTitle] = useState('');
  useEffect(() => void api.event(eventID).then((e) => setTitle(e.title), () => {}), [eventID]);
  useTitle(title ? `${t('integrationsTitle')}: ${title}` : t('integrationsTitle'));
  const [hooks, setHooks] = useState<Webhook[] | null>(null);
  const [err, setErr] = useState<unknown>(null);
  const [adding, setAdding] = useState(false);
  const [editing, setEditing] = useState<number | null>(null);
  // A new (or renewed) signing secret: shown once.
  const [secret, setSecret] = useState<{ url: string; secret: string } | null>(null);

  const load = () =>
    api.webhooks(eventID).then(
      (r) => {
        setHooks((list) => mergeHooks(list, r.webhooks ?? []));
        setErr(null);
      },
      setErr,
    );
  useEffect(() => {
    void load();
    const timer = setInterval(() => {
      if (!document.hidden) void load();
    }, pollMs);
    return () => clearInterval(timer);
  }, [eventID]);

  const put = (w: Webhook | CreatedWebhook) => setHooks((list) => putHook(list ?? [], withoutSecret(w)));
  const shown = (c: CreatedWebhook) => setSecret({ url: c.url, secret: c.secret });

  return (
    <>
      <Header title={title || t('integrationsTitle')} wide>
        <StaffTools />
      </Header>
      <main id="main" class="page admin integrations-page">
        <p class="crumbs">
          <a href={`/admin/e/${eventID}`}>← {t('backToEvent')}</a>
        </p>
        <h1>{t('integrationsTitle')}</h1>
        <p class="lead small muted">{t('integrationsLead')}</p>
        <div class="feed-head hooks-head">
          <h2>{t('webhooksTitle')}</h2>
          {!adding && (
            <button type="button" class="btn btn-primary btn-small" onClick={() => setAdding(true)} data-testid="add-webhook">
              {t('addWebhook')}
            </button>
          )}
        </div>
        <p class="small muted hooks-lead">{t('webhooksLead')}</p>
        {err !== null && hooks !== null && <Notice kind="error">{errorText(err)}</Notice>}
        {secret && <SecretBox url={secret.url} secret={secret.secret} onClose={() => setSecret(null)} />}
        {adding && (
          <section class="card pad" aria-labelledby="add-webhook-h">
            <h3 id="add-webhook-h">{t('addWebhook')}</h3>
            <HookForm
              eventID={eventID}
              onCancel={() => setAdding(false)}
              onSaved={(w) => {
                setAdding(false);
                put(w);
                shown(w as CreatedWebhook);
                toast(t('webhookAdded'));
              }}
            />
          </section>
        )}
        {hooks === null ? (
          err ? <Notice kind="error">{errorText(err)}</Notice> : <Spinner />
        ) : hooks.length === 0 ? (
          !adding && (
            <p class="empty" data-testid="webhooks-empty">
              {t('noWebhooks')}
            </p>
          )
        ) : (
          <ul class="hook-list" data-testid="webhook-list">
            {hooks.map((w) =>
              editing === w.id ? (
                <li key={w.id} class="card pad hook">
                  <h3 class="hook-edit-h">{t('editWebhook')}</h3>
                  <HookForm
                    eventID={eventID}
                    hook={w}
                    onCancel={() => setEditing(null)}
                    onSaved={(n) => {
                      put(n);
                      setEditing(null);
                      toast(t('saved'));
                    }}
                  />
                </li>
              ) : (
                <HookCard
                  key={w.id}
                  eventID={eventID}
                  w={w}
                  now={now}
                  onChanged={put}
                  onEdit={() => setEditing(w.id)}
                  onSecret={shown}
                  onDeleted={() => setHooks((list) => (list ?? []).filter((x) => x.id !== w.id))}
                />
              ),
            )}
          </ul>
        )}
        <SlackSection eventID={eventID} />
      </main>
    </>
  );
}

function HookCard({
  eventID, w, now, onChanged, onEdit, onSecret, onDeleted,
}: {
  eventID: number;
  w: Webhook;
  now: number;
  onChanged: (w: Webhook) => void;
  onEdit: () => void;
  onSecret: (c: CreatedWebhook) => void;
  onDeleted: () => void;
}) {
  useLocale();
  const health = hookHealth(w);
  const h = w.health;
  // The latest attempt failed: its error is the news. After a success it is history, told quietly.
  const failing = health === 'failing' || health === 'suspended';
  const [logOpen, setLogOpen] = useState(false);
  // A delivery an action made (a test), for the log to show at once.
  const [made, setMade] = useState<Delivery | null>(null);
  // One action at a time. Buttons are not disabled meanwhile: a disabled button loses the keyboard focus.
  const busy = useRef(false);
  const name = shortURL(w.url);
  const logID = `hook-log-${w.id}`;
  const act = async <T,>(fn: () => Promise<T>, done?: string) => {
    if (busy.current) return undefined;
    busy.current = true;
    try {
      return await run(fn, done);
    } finally {
      busy.current = false;
    }
  };
  // The switch shows what was asked for until koe answers (then what koe says).
  const [asked, setAsked] = useState<boolean | null>(null);
  const enable = async (on: boolean) => {
    setAsked(on);
    const n = await act(() => api.updateWebhook(eventID, w.id, { enabled: on }), on ? t('whOnToast') : t('whOffToast'));
    if (n) onChanged(n);
    setAsked(null);
  };
  return (
    <li class={`card pad hook hook-state-${health}`} data-testid="webhook" data-wid={w.id} data-health={health}>
      <div class="hook-head">
        <h3 class="hook-url" dir="ltr" title={w.url}>
          {name}
        </h3>
        <span class={`health hook-health hook-health-${health}`} data-testid="hook-health">
          <span class="health-dot" aria-hidden="true" />
          {t(healthKeys[health])}
        </span>
      </div>
      <p class={w.description ? 'hook-desc' : 'hook-desc muted'} dir="auto">
        {w.description || t('whNoDescription')}
      </p>
      {w.disabled_reason && (
        <div class="hook-suspended-banner" role="status" data-testid="hook-suspended">
          <p>
            <strong>{t('whSuspendedTitle')}</strong>
            <span dir="auto"> {w.disabled_reason}</span>
          </p>
          <p class="small">{t('whSuspendedHint')}</p>
          <button type="button" class="btn btn-small btn-primary" onClick={() => void enable(true)} data-action="enable-again">
            {t('whEnableAgain')}
          </button>
        </div>
      )}
      <ul class="hook-events" aria-label={t('whEvents')}>
        {w.events.map((e) => (
          <li key={e} class={isPrivate(e) ? 'chip hook-event hook-event-private' : 'chip hook-event'} data-event={e}>
            <code>{e}</code>
            {isPrivate(e) && <span class="hook-private"> · {t('whPrivateChip')}</span>}
          </li>
        ))}
      </ul>
      <HealthFacts h={h} now={now} failing={failing} testid="hook-" />
      <div class="row-actions source-actions">
        <label class="check source-switch">
          <input type="checkbox" checked={asked ?? w.enabled} onChange={(e) => void enable(e.currentTarget.checked)} data-testid="hook-enabled" />
          <span>{t('whOn')}</span>
        </label>
        <button type="button" class="btn btn-small" onClick={onEdit} data-action="edit">
          {t('edit')}
        </button>
        <button
          type="button"
          class="btn btn-small"
          disabled={!w.enabled}
          data-action="ping"
          onClick={async () => {
            const d = await act(() => api.pingWebhook(eventID, w.id), t('whPingSent'));
            if (d) {
              setMade(d);
              setLogOpen(true);
            }
          }}
        >
          {t('whSendPing')}
        </button>
        <button
          type="button"
          class="btn btn-small"
          data-action="renew"
          onClick={async () => {
            if (!confirm(t('confirmRenewWebhookSecret'))) return;
            const c = await act(() => api.renewWebhookSecret(eventID, w.id));
            if (c) {
              onChanged(c);
              onSecret(c);
            }
          }}
        >
          {t('whRenewSecret')}
        </button>
        <button
          type="button"
          class="btn btn-small btn-ghost btn-danger"
          data-action="delete"
          aria-label={t('deleteWebhookNamed', { url: name })}
          onClick={async () => {
            if (!confirm(t('confirmDeleteWebhook', { url: name }))) return;
            if ((await act(() => api.deleteWebhook(eventID, w.id).then(() => true), t('deleted'))) === true) onDeleted();
          }}
        >
          {t('delete')}
        </button>
      </div>
      <h4 class="hook-log-h">
        <button type="button" class="link-btn hook-log-toggle" aria-expanded={logOpen} aria-controls={logID} onClick={() => setLogOpen((o) => !o)} data-testid="log-toggle">
          <span aria-hidden="true">{logOpen ? '▾' : '▸'}</span> {t('deliveriesTitle')}
        </button>
      </h4>
      <div id={logID} hidden={!logOpen}>
        {logOpen && <DeliveryLogView eventID={eventID} w={w} made={made} name={name} />}
      </div>
    </li>
  );
}

const stateKeys: Record<DeliveryState, Key> = { pending: 'dlPending', delivered: 'dlDelivered', failed: 'dlFailed' };
const filters: (DeliveryState | '')[] = ['', 'pending', 'delivered', 'failed'];

function DeliveryLogView({ eventID, w, made, name }: { eventID: number; w: Webhook; made: Delivery | null; name: string }) {
  useLocale();
  const [filter, setFilter] = useState<DeliveryState | ''>('');
  const [log, setLog] = useState<DeliveryLog | null>(null);
  const [err, setErr] = useState<unknown>(null);
  const [more, setMore] = useState(false);
  const filterRef = useRef(filter);
  filterRef.current = filter;

  const refresh = () => {
    const f = filter;
    return api.deliveries(eventID, w.id, { state: f }).then(
      (page) => {
        if (filterRef.current !== f) return;
        setLog((l) => withFirstPage(l ?? emptyLog, page));
        setErr(null);
      },
      setErr,
    );
  };
  useEffect(() => {
    setLog(null);
    void refresh();
    const timer = setInterval(() => {
      if (!document.hidden) void refresh();
    }, logPollMs);
    return () => clearInterval(timer);
  }, [eventID, w.id, filter]);
  // The health moved (an attempt finished): the log did too.
  useEffect(() => void refresh(), [w.version, w.health?.last_success_at, w.health?.last_error_at, w.health?.backlog]);
  useEffect(() => {
    if (made) setLog((l) => withDelivery(l ?? emptyLog, made, filterRef.current));
  }, [made]);

  const older = async () => {
    if (!log?.next) return;
    setMore(true);
    const f = filter;
    try {
      const page = await api.deliveries(eventID, w.id, { state: f, before: log.next });
      if (filterRef.current === f) setLog((l) => withOlderPage(l ?? emptyLog, page));
    } catch (e) {
      toast(errorText(e), 'error');
    } finally {
      setMore(false);
    }
  };
  const selectID = `dl-filter-${w.id}`;
  return (
    <section class="hook-log" aria-label={t('deliveriesOf', { url: name })} data-testid="delivery-log">
      <div class="hook-log-head">
        <span class="inline-field">
          <label for={selectID}>{t('dlFilter')}</label>
          <select id={selectID} class="select-small" value={filter} onChange={(e) => setFilter(e.currentTarget.value as DeliveryState | '')} data-testid="dl-filter">
            {filters.map((f) => (
              <option key={f} value={f}>
                {f ? t(stateKeys[f]) : t('dlAll')}
              </option>
            ))}
          </select>
        </span>
        <button type="button" class="btn btn-small btn-ghost" onClick={() => void refresh()}>
          {t('dlRefresh')}
        </button>
      </div>
      {err !== null && <Notice kind="error">{errorText(err)}</Notice>}
      {log === null ? (
        err ? null : <Spinner />
      ) : log.items.length === 0 ? (
        <p class="empty dl-empty" data-testid="dl-empty">
          {filter ? t('dlEmptyFiltered') : t('dlEmpty')}
        </p>
      ) : (
        <ol class="dl-list" data-testid="deliveries">
          {log.items.map((d) => (
            <DeliveryRow key={d.id} d={d} onRedeliver={async () => {
              const n = await run(() => api.redeliver(eventID, w.id, d.id), t('dlRedelivered'));
              if (n) setLog((l) => withDelivery(l ?? emptyLog, n, filterRef.current));
            }} />
          ))}
        </ol>
      )}
      {log?.next && (
        <p class="feed-more">
          <button type="button" class="btn btn-small" disabled={more} onClick={() => void older()} data-testid="dl-older">
            {t('dlOlder')}
          </button>
        </p>
      )}
    </section>
  );
}

function DeliveryRow({ d, onRedeliver }: { d: Delivery; onRedeliver: () => Promise<void> }) {
  useLocale();
  const [busy, setBusy] = useState(false);
  const last = d.last;
  const at = deliveryTime(d);
  // A pending delivery that failed waits for its next try: the owner who fixed the receiver need not wait.
  const retryable = d.state === 'pending' && d.attempts > 0;
  return (
    <li class={`dl dl-${d.state}`} data-testid="delivery" data-did={d.id} data-key={d.key} data-state={d.state} data-type={d.type} data-attempts={d.attempts}>
      <div class="dl-head">
        <time class="dl-time" dateTime={at}>
          {logTime(at)}
        </time>
        <code class="dl-type">{d.type}</code>
        {d.type === 'ping' && <span class="muted small">({t('dlPing')})</span>}
        <span class={`dl-state dl-state-${d.state}`} data-testid="dl-state">
          {t(stateKeys[d.state] ?? 'dlPending')}
        </span>
      </div>
      <dl class="dl-facts">
        <div>
          <dt>{t('dlStatus')}</dt>
          <dd data-testid="dl-status">{last ? (last.status ? String(last.status) : t('dlNoAnswer')) : '—'}</dd>
        </div>
        <div>
          <dt>{t('dlLatency')}</dt>
          <dd>{last ? latencyText(last.latency_ms) : '—'}</dd>
        </div>
        <div>
          <dt class="sr-only">{t('dlAttempts', { n: d.attempts })}</dt>
          <dd aria-hidden="true">{t('dlAttempts', { n: d.attempts })}</dd>
        </div>
        {d.state === 'pending' && d.attempts > 0 && d.next_at && (
          <div>
            <dt class="sr-only">{t('dlNextTry', { time: logTime(d.next_at) })}</dt>
            <dd aria-hidden="true" class="muted">{t('dlNextTry', { time: logTime(d.next_at) })}</dd>
          </div>
        )}
      </dl>
      {last?.error && (
        <p class="dl-error" dir="auto" data-testid="dl-error">
          {last.error}
        </p>
      )}
      <div class="dl-more">
        {last && (
          <details>
            <summary>{t('dlResponse')}</summary>
            <pre class="recipe-code" dir="ltr" data-testid="dl-response">{last.response || t('dlNoResponse')}</pre>
          </details>
        )}
        <details>
          <summary>{t('dlPayload')}</summary>
          <pre class="recipe-code" dir="ltr">{prettyJSON(d.payload)}</pre>
        </details>
        {(mayRedeliver(d) || retryable) && (
          <button
            type="button"
            class="btn btn-small dl-redeliver"
            aria-disabled={busy ? 'true' : undefined}
            aria-label={`${retryable ? t('dlRetryNow') : t('dlRedeliver')}: ${d.type}, ${logTime(at)}`}
            data-action="redeliver"
            onClick={async () => {
              if (busy) return;
              setBusy(true);
              try {
                await onRedeliver();
              } finally {
                setBusy(false);
              }
            }}
          >
            {retryable ? t('dlRetryNow') : t('dlRedeliver')}
          </button>
        )}
      </div>
    </li>
  );
}

/** The secret of a new or renewed webhook, once, with how a receiver checks it. */
function SecretBox({ url, secret, onClose }: { url: string; secret: string; onClose: () => void }) {
  useLocale();
  const box = useRef<HTMLElement>(null);
  useEffect(() => box.current?.scrollIntoView?.({ block: 'start' }), [secret]);
  return (
    <section ref={box} class="card pad secret-box webhook-secret" aria-labelledby="hook-secret-h" data-testid="webhook-secret" role="region">
      <h3 id="hook-secret-h">{t('whSecretTitle')}</h3>
      <p class="small" dir="ltr">
        {t('whSecretFor', { url: shortURL(url) })}
      </p>
      <SecretField id="hook-secret" label={t('signingSecret')} value={secret} hint={t('shownOnce')} />
      <div class="recipe">
        <p class="small">{t('whVerifyLead')}</p>
        <pre class="recipe-code" dir="ltr" data-testid="verify-recipe">
          {'POST {URL}\nContent-Type: application/json\nX-Koe-Delivery: {id: the same on every retry}\nX-Koe-Event: question.created\nX-Koe-Timestamp: {unix seconds}\nX-Koe-Signature: sha256=HEX(HMAC-SHA256(secret, timestamp + "." + body))\n\n{"id":"…","type":"question.created","created_at":"…","event_id":…,"data":{…}}'}
        </pre>
        <pre class="recipe-code" dir="ltr">
          {"// Node.js\nconst mac = crypto.createHmac('sha256', secret).update(`${timestamp}.${rawBody}`).digest('hex');\nconst ok = crypto.timingSafeEqual(Buffer.from(`sha256=${mac}`), Buffer.from(signature));"}
        </pre>
        <p class="hint">{t('whVerifyHint')}</p>
      </div>
      <button type="button" class="btn btn-small" onClick={onClose}>
        {t('secretSaved')}
      </button>
    </section>
  );
}

function HookForm({ eventID, hook, onSaved, onCancel }: { eventID: number; hook?: Webhook; onSaved: (w: Webhook) => void; onCancel: () => void }) {
  useLocale();
  const [d, setD] = useState<HookDraft>(() => hookDraft(hook));
  const [busy, setBusy] = useState(false);
  const [tried, setTried] = useState(false);
  const [err, setErr] = useState('');
  const [urlErr, setURLErr] = useState('');
  const urlInput = useRef<HTMLInputElement>(null);
  const firstBox = useRef<HTMLInputElement>(null);
  const id = (f: string) => `hook-${hook?.id ?? 'new'}-${f}`;
  const problems = draftProblems(d);
  const urlProblem = urlErr || (tried && problems.url ? t(problems.url === 'empty' ? 'whURLEmpty' : 'whURLFormat') : '');
  const eventsProblem = tried && problems.events ? t('whEventsEmpty') : '';
  const chosen = new Set(d.events);
  const toggle = (e: WebhookEvent, on: boolean) => setD((x) => ({ ...x, events: on ? [...x.events.filter((y) => y !== e), e] : x.events.filter((y) => y !== e) }));
  return (
    <form
      class="hook-form"
      data-testid="hook-form"
      noValidate
      onSubmit={async (ev) => {
        ev.preventDefault();
        setTried(true);
        setErr('');
        setURLErr('');
        if (problems.url) return urlInput.current?.focus();
        if (problems.events) return firstBox.current?.focus();
        const body = hookBody(d, hook);
        if (!body) return onCancel();
        setBusy(true);
        try {
          onSaved(hook ? await api.updateWebhook(eventID, hook.id, body) : await api.createWebhook(eventID, body));
        } catch (e) {
          if (e instanceof ApiError && e.code === 'invalid_argument' && e.details.field === 'url') {
            setURLErr(/private|this machine|loopback|localhost/i.test(e.message) ? t('whURLPrivate') : t('whURLFormat'));
            urlInput.current?.focus();
          } else if (e instanceof ApiError && e.code === 'invalid_argument' && e.details.field === 'events') {
            setErr(t('whEventsEmpty'));
          } else {
            setErr(errorText(e));
          }
        } finally {
          setBusy(false);
        }
      }}
    >
      <div class="field">
        <label for={id('url')}>{t('whURL')}</label>
        <input
          id={id('url')}
          ref={urlInput}
          type="url"
          inputMode="url"
          required
          value={d.url}
          dir="ltr"
          spellcheck={false}
          autoComplete="off"
          placeholder="https://hooks.example.com/koe"
          maxLength={2000}
          aria-invalid={urlProblem ? 'true' : undefined}
          aria-describedby={`${id('url-h')}${urlProblem ? ` ${id('url-e')}` : ''}`}
          onInput={(e) => {
            const v = e.currentTarget.value;
            setURLErr('');
            setD((x) => ({ ...x, url: v }));
          }}
        />
        {urlProblem && (
          <p class="error-text" id={id('url-e')} data-testid="url-error">
            {urlProblem}
          </p>
        )}
        <p class="hint" id={id('url-h')}>
          {t('whURLHint')}
        </p>
      </div>
      <div class="field">
        <label for={id('desc')}>
          {t('whDescription')} <span class="muted">({t('optional')})</span>
        </label>
        <input id={id('desc')} value={d.description} maxLength={200} dir="auto" aria-describedby={id('desc-h')} onInput={(e) => {
          const v = e.currentTarget.value;
          setD((x) => ({ ...x, description: v }));
        }} />
        <p class="hint" id={id('desc-h')}>
          {t('whDescriptionHint')}
        </p>
      </div>
      <fieldset class="hook-pick" aria-describedby={id('ev-h')} aria-invalid={eventsProblem ? 'true' : undefined}>
        <legend class="label">{t('whEvents')}</legend>
        <p class="hint hook-pick-hint" id={id('ev-h')}>
          {t('whEventsHint')}
        </p>
        <div class="hook-pick-grid">
          {webhookEvents.map((e, i) => (
            <label key={e} class={isPrivate(e) ? 'hook-pick-item hook-pick-private' : 'hook-pick-item'}>
              <input
                type="checkbox"
                ref={i === 0 ? firstBox : undefined}
                checked={chosen.has(e)}
                value={e}
                data-event={e}
                onChange={(x) => toggle(e, x.currentTarget.checked)}
              />
              <span>
                <code class="hook-pick-name">{e}</code>
                {isPrivate(e) && <span class="hook-private-chip">{t('whPrivateChip')}</span>}
                <span class="hint">{t(eventHints[e])}</span>
              </span>
            </label>
          ))}
        </div>
        {d.events.some(isPrivate) && (
          <p class="hook-private-note" role="note" data-testid="private-note">
            {t('whPrivateNote')}
          </p>
        )}
        {eventsProblem && (
          <p class="error-text" role="alert" data-testid="events-error">
            {eventsProblem}
          </p>
        )}
      </fieldset>
      <p class="error-text" role="alert">
        {err}
      </p>
      <div class="row-actions">
        <button type="submit" class="btn btn-primary" disabled={busy} data-testid="hook-save">
          {hook ? t('save') : t('addWebhook')}
        </button>
        <button type="button" class="btn btn-ghost" onClick={onCancel}>
          {t('cancel')}
        </button>
      </div>
    </form>
  );
}
