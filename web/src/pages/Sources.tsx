// Where an event's posts come from: its sources (Mastodon, Bluesky, X, a
// signed webhook) with their health, read every 5 s while the page is
// open (health is not streamed). Owners add, edit, switch off and delete
// them; moderators see them.
import { useEffect, useRef, useState } from 'preact/hooks';
import { api } from '../api';
import { t, useLocale, type Key } from '../i18n';
import { draftOf, platformName, sourceBody, type Draft } from '../state/posts';
import { caps } from '../state/staff';
import type { CreatedSource, EventRole, Source, SourceKind } from '../types';
import { Header, Notice, Spinner } from '../ui/chrome';
import { errorText } from '../ui/errors';
import { fmtTime, relTime } from '../ui/format';
import { useNow, useTitle } from '../ui/hooks';
import { copyText, SecretField, StaffTools } from '../ui/staff';
import { toast } from '../ui/toast';
import { useJoinBase } from '../ui/usejoinbase';
import { FeedGate, FeedNav, PlatformBadge } from './Feed';
import '../styles/admin.css';
import '../styles/moderation.css';
import '../styles/feed.css';

/** How often the page reads the sources' health. */
const pollMs = 5000;

export function SourcesPage({ eventID }: { eventID: number }) {
  useLocale();
  return <FeedGate eventID={eventID} title={t('sourcesTitle')}>{(role) => <Sources eventID={eventID} role={role} />}</FeedGate>;
}

const kinds: SourceKind[] = ['mastodon', 'bluesky', 'x', 'webhook'];

const stateKeys: Record<string, Key> = {
  stopped: 'healthStopped', starting: 'healthStarting', streaming: 'healthStreaming', polling: 'healthPolling', listening: 'healthListening', waiting: 'healthWaiting',
  failed: 'healthFailed',
};

function Sources({ eventID, role }: { eventID: number; role: EventRole }) {
  const canEdit = caps(role).manage;
  const now = useNow(5000);
  const [title, setTitle] = useState('');
  useEffect(() => void api.event(eventID).then((e) => setTitle(e.title), () => {}), [eventID]);
  useTitle(title ? `${t('sourcesTitle')}: ${title}` : t('sourcesTitle'));
  const [sources, setSources] = useState<Source[] | null>(null);
  const [err, setErr] = useState<unknown>(null);
  const [adding, setAdding] = useState(false);
  const [editing, setEditing] = useState<number | null>(null);
  // A new webhook's (or a rotated) signing secret: shown once.
  const [secret, setSecret] = useState<{ source: Source; secret: string } | null>(null);

  const load = () =>
    api.sources(eventID).then(
      (r) => {
        setSources(r.sources ?? []);
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

  // koe gives the webhook's path; the relay needs koe's public address in front of it.
  const base = useJoinBase();
  const hookURL = (s: Source) => (s.webhook_url?.startsWith('/') ? base + s.webhook_url : (s.webhook_url ?? ''));
  const put = (s: Source) => setSources((list) => (list ?? []).map((x) => (x.id === s.id ? s : x)));

  return (
    <>
      <Header title={title || t('sourcesTitle')} wide>
        <StaffTools />
      </Header>
      <main id="main" class="page admin sources-page">
        <FeedNav eventID={eventID} current="sources" />
        <div class="feed-head">
          <h1>{t('sourcesTitle')}</h1>
          {canEdit && !adding && (
            <button type="button" class="btn btn-primary btn-small" onClick={() => setAdding(true)} data-testid="add-source">
              {t('addSource')}
            </button>
          )}
        </div>
        <p class="lead small muted">{t('sourcesLead')}</p>
        {!canEdit && <Notice>{t('sourcesOwnersOnly')}</Notice>}
        {err !== null && sources !== null && <Notice kind="error">{errorText(err)}</Notice>}
        {secret && <WebhookSecret source={secret.source} url={hookURL(secret.source)} secret={secret.secret} onClose={() => setSecret(null)} />}
        {adding && (
          <section class="card pad" aria-labelledby="add-source-h">
            <h2 id="add-source-h">{t('addSource')}</h2>
            <SourceForm
              eventID={eventID}
              onCancel={() => setAdding(false)}
              onSaved={(s) => {
                const created = s as CreatedSource;
                setAdding(false);
                setSources((list) => [...(list ?? []), created]);
                if (created.secret) setSecret({ source: created, secret: created.secret });
                toast(t('sourceAdded'));
              }}
            />
          </section>
        )}
        {sources === null ? (
          err ? <Notice kind="error">{errorText(err)}</Notice> : <Spinner />
        ) : sources.length === 0 ? (
          !adding && (
            <p class="empty" data-testid="sources-empty">
              {canEdit ? t('noSourcesOwner') : t('noSources')}
            </p>
          )
        ) : (
          <ul class="source-list" data-testid="source-list">
            {sources.map((s) =>
              editing === s.id ? (
                <li key={s.id} class="card pad source">
                  <h2 class="source-edit-h">{t('editSourceNamed', { name: s.name })}</h2>
                  <SourceForm
                    eventID={eventID}
                    source={s}
                    onCancel={() => setEditing(null)}
                    onSaved={(n) => {
                      put(n);
                      setEditing(null);
                      toast(t('saved'));
                    }}
                  />
                </li>
              ) : (
                <SourceCard
                  key={s.id}
                  s={s}
                  url={hookURL(s)}
                  now={now}
                  canEdit={canEdit}
                  onEdit={() => setEditing(s.id)}
                  onToggle={async (on) => {
                    try {
                      put(await api.updateSource(eventID, s.id, { enabled: on }));
                      toast(on ? t('sourceEnabled') : t('sourceDisabled'));
                    } catch (e) {
                      toast(errorText(e), 'error');
                    }
                  }}
                  onDelete={async () => {
                    if (!confirm(t('confirmDeleteSource', { name: s.name }))) return;
                    try {
                      await api.deleteSource(eventID, s.id);
                      setSources((list) => (list ?? []).filter((x) => x.id !== s.id));
                      toast(t('deleted'));
                    } catch (e) {
                      toast(errorText(e), 'error');
                    }
                  }}
                  onRotate={async () => {
                    if (!confirm(t('confirmRotateSecret'))) return;
                    try {
                      const r = await api.rotateSourceSecret(eventID, s.id);
                      setSecret({ source: s, secret: r.secret });
                      void load();
                    } catch (e) {
                      toast(errorText(e), 'error');
                    }
                  }}
                />
              ),
            )}
          </ul>
        )}
      </main>
    </>
  );
}

function healthName(state: string): string {
  return stateKeys[state] ? t(stateKeys[state]) : state;
}

function SourceCard({
  s, url, now, canEdit, onEdit, onToggle, onDelete, onRotate,
}: {
  s: Source;
  url: string;
  now: number;
  canEdit: boolean;
  onEdit: () => void;
  onToggle: (on: boolean) => void;
  onDelete: () => void;
  onRotate: () => void;
}) {
  useLocale();
  const h = s.health;
  const state = s.enabled ? h?.state || 'starting' : 'stopped';
  const c = s.config;
  const rl = h?.rate_limit;
  return (
    <li class={`card pad source source-${state}`} data-sid={s.id} data-testid="source" data-state={state}>
      <div class="source-head">
        <PlatformBadge kind={s.kind} />
        <h2 class="source-name" dir="auto">
          {s.name}
        </h2>
        <span class={`health health-${state}`} data-testid="health">
          <span class="health-dot" aria-hidden="true" />
          {healthName(state)}
        </span>
      </div>
      <p class="source-follows small">
        {c.instance && s.kind !== 'webhook' && (
          <span class="source-instance" dir="ltr">
            {c.instance.replace(/^https?:\/\//, '')}
          </span>
        )}
        {(c.hashtags ?? []).map((h2) => (
          <span key={`h-${h2}`} class="chip term" dir="auto">
            #{h2}
          </span>
        ))}
        {(c.keywords ?? []).map((k) => (
          <span key={`k-${k}`} class="chip term term-keyword" dir="auto">
            “{k}”
          </span>
        ))}
        {s.kind === 'bluesky' && c.handle && <span class="muted" dir="ltr">@{c.handle.replace(/^@/, '')}</span>}
        {s.kind !== 'webhook' && <span class="muted">{c.secret_set ? t('credentialSet') : t('credentialNone')}</span>}
        {s.moderation && <span class="muted">{s.moderation === 'pre' ? t('sourcePre') : t('sourcePost')}</span>}
      </p>
      <dl class="source-facts">
        <div>
          <dt>{t('lastPost')}</dt>
          <dd data-testid="last-post">{h?.last_post_at ? relTime(h.last_post_at, now) : t('noPostYet')}</dd>
        </div>
        <div>
          <dt>{t('postsStored')}</dt>
          <dd>{h?.posts ?? 0}</dd>
        </div>
        {h && h.lag_seconds > 0 && (
          <div>
            <dt>{t('lag')}</dt>
            <dd>{t('seconds', { n: h.lag_seconds < 10 ? h.lag_seconds.toFixed(1) : Math.round(h.lag_seconds) })}</dd>
          </div>
        )}
        {rl && (
          <div data-testid="rate-limit">
            <dt>{t('rateLimit')}</dt>
            <dd class={rl.remaining <= Math.max(1, rl.limit / 10) ? 'rl-low' : ''}>
              {t('rateLimitLeft', { remaining: rl.remaining, limit: rl.limit })}
              {rl.reset && <span class="muted small"> · {t('rateLimitReset', { time: fmtTime(rl.reset) })}</span>}
            </dd>
          </div>
        )}
      </dl>
      {h?.last_error && (
        <p class={state === 'failed' ? 'source-error source-error-bad' : 'source-error'} data-testid="last-error" dir="auto">
          <strong>{t('lastError')}</strong> {h.last_error}
          {h.last_error_at && <span class="muted small"> · {relTime(h.last_error_at, now)}</span>}
        </p>
      )}
      {s.kind === 'webhook' && url && <CopyField id={`wh-url-${s.id}`} label={t('webhookURL')} value={url} />}
      {canEdit && (
        <div class="row-actions source-actions">
          <label class="check source-switch">
            <input type="checkbox" checked={s.enabled} onChange={(e) => onToggle(e.currentTarget.checked)} data-testid="source-enabled" />
            <span>{t('sourceOn')}</span>
          </label>
          <button type="button" class="btn btn-small" onClick={onEdit} data-action="edit">
            {t('edit')}
          </button>
          {s.kind === 'webhook' && (
            <button type="button" class="btn btn-small" onClick={onRotate} data-action="rotate">
              {t('newSigningSecret')}
            </button>
          )}
          <button type="button" class="btn btn-small btn-ghost btn-danger" onClick={onDelete} data-action="delete" aria-label={t('deleteNamed', { name: s.name })}>
            {t('delete')}
          </button>
        </div>
      )}
      {!canEdit && <p class="muted small">{s.enabled ? t('sourceOnRead') : t('sourceOffRead')}</p>}
    </li>
  );
}

/** A read-only value with a copy button (a URL: not a secret). */
function CopyField({ id, label, value }: { id: string; label: string; value: string }) {
  useLocale();
  const input = useRef<HTMLInputElement>(null);
  return (
    <div class="field copy-field">
      <label for={id}>{label}</label>
      <div class="copy-row">
        <input id={id} ref={input} readOnly value={value} dir="ltr" onFocus={(e) => e.currentTarget.select()} spellcheck={false} data-testid="webhook-url" />
        <button type="button" class="btn" onClick={async () => toast((await copyText(value, input.current)) ? t('copied') : t('copyFailed'), 'info')}>
          {t('copy')}
        </button>
      </div>
    </div>
  );
}

/** How a relay signs its requests, with the source's URL and secret. */
function WebhookSecret({ source, url, secret, onClose }: { source: Source; url: string; secret: string; onClose: () => void }) {
  useLocale();
  return (
    <section class="card pad secret-box webhook-secret" aria-labelledby="wh-secret-h" data-testid="webhook-secret">
      <h2 id="wh-secret-h">{t('webhookSecretTitle', { name: source.name })}</h2>
      {url && <CopyField id="wh-new-url" label={t('webhookURL')} value={url} />}
      <SecretField id="wh-secret" label={t('signingSecret')} value={secret} hint={t('shownOnce')} />
      <SignatureRecipe />
      <button type="button" class="btn btn-small" onClick={onClose}>
        {t('secretSaved')}
      </button>
    </section>
  );
}

function SignatureRecipe() {
  useLocale();
  return (
    <div class="recipe">
      <p class="small">{t('webhookRecipeLead')}</p>
      <pre class="recipe-code" dir="ltr">
        {'POST {URL}\nContent-Type: application/json\nX-Koe-Timestamp: {unix seconds}\nX-Koe-Signature: sha256=HEX(HMAC-SHA256(secret, timestamp + "." + body))\n\n{"posts":[{"id":"…","author":{"handle":"…","name":"…"},"text":"…","url":"…"}]}'}
      </pre>
      <p class="hint">{t('webhookRecipeHint')}</p>
    </div>
  );
}

const kindHints: Record<SourceKind, Key> = { mastodon: 'kindMastodonHint', bluesky: 'kindBlueskyHint', x: 'kindXHint', webhook: 'kindWebhookHint' };

function SourceForm({ eventID, source, onSaved, onCancel }: { eventID: number; source?: Source; onSaved: (s: Source) => void; onCancel: () => void }) {
  useLocale();
  const [d, setD] = useState<Draft>(() => draftOf(source));
  const [busy, setBusy] = useState(false);
  const [err, setErr] = useState('');
  const set = <K extends keyof Draft>(k: K, v: Draft[K]) => setD((x) => ({ ...x, [k]: v }));
  const id = (f: string) => `src-${source?.id ?? 'new'}-${f}`;
  const creating = !source;
  const hasSecret = !!source?.config.secret_set;
  const secretLabel: Record<SourceKind, Key> = { mastodon: 'mastodonToken', bluesky: 'blueskyAppPassword', x: 'xBearer', webhook: 'signingSecret' };
  const secretHint: Record<SourceKind, Key> = { mastodon: 'mastodonTokenHint', bluesky: 'blueskyAppPasswordHint', x: 'xBearerHint', webhook: 'signingSecret' };

  return (
    <form
      class="source-form"
      data-testid="source-form"
      onSubmit={async (e) => {
        e.preventDefault();
        setBusy(true);
        setErr('');
        try {
          const body = sourceBody(d, creating);
          onSaved(creating ? await api.createSource(eventID, body) : await api.updateSource(eventID, source.id, body));
        } catch (e2) {
          setErr(errorText(e2));
        } finally {
          setBusy(false);
        }
      }}
    >
      {creating ? (
        <fieldset class="radio-cards source-kinds">
          <legend class="label">{t('sourceKind')}</legend>
          {kinds.map((k) => (
            <label key={k} class="radio-card">
              <input type="radio" name="source-kind" value={k} checked={d.kind === k} onChange={() => set('kind', k)} data-kind={k} />
              <span>
                <strong>{platformName(k)}</strong>
                <span class="hint">{t(kindHints[k])}</span>
              </span>
            </label>
          ))}
        </fieldset>
      ) : (
        <p>
          <PlatformBadge kind={d.kind} />
        </p>
      )}
      <div class="form-grid">
        <div class="field">
          <label for={id('name')}>{t('sourceName')}</label>
          <input id={id('name')} value={d.name} maxLength={80} dir="auto" placeholder={platformName(d.kind)} onInput={(e) => set('name', e.currentTarget.value)} />
        </div>
        <div class="field">
          <label for={id('mod')}>{t('sourceModeration')}</label>
          <select id={id('mod')} value={d.moderation} onChange={(e) => set('moderation', e.currentTarget.value as Draft['moderation'])}>
            <option value="">{t('sourceModInherit')}</option>
            <option value="post">{t('modePost')}</option>
            <option value="pre">{t('modePre')}</option>
          </select>
        </div>
      </div>
      {d.kind === 'mastodon' && (
        <div class="field">
          <label for={id('instance')}>{t('mastodonInstance')}</label>
          <input id={id('instance')} type="url" required value={d.instance} dir="ltr" placeholder="https://mastodon.social" onInput={(e) => set('instance', e.currentTarget.value)} />
        </div>
      )}
      {d.kind !== 'webhook' && (
        <div class="field">
          <label for={id('tags')}>{t('hashtags')}</label>
          <input id={id('tags')} value={d.hashtags} dir="auto" placeholder="#pyconjp #pycon2026" onInput={(e) => set('hashtags', e.currentTarget.value)} aria-describedby={id('tags-h')} />
          <p class="hint" id={id('tags-h')}>
            {d.kind === 'mastodon' ? t('hashtagsHintMastodon') : t('hashtagsHint')}
          </p>
        </div>
      )}
      {(d.kind === 'bluesky' || d.kind === 'x') && (
        <div class="field">
          <label for={id('kw')}>{t('keywords')}</label>
          <input id={id('kw')} value={d.keywords} dir="auto" placeholder={t('keywordsPlaceholder')} onInput={(e) => set('keywords', e.currentTarget.value)} aria-describedby={id('kw-h')} />
          <p class="hint" id={id('kw-h')}>
            {t('keywordsHint')}
          </p>
        </div>
      )}
      {d.kind === 'bluesky' && (
        <div class="field">
          <label for={id('handle')}>{t('blueskyHandle')}</label>
          <input id={id('handle')} value={d.handle} dir="ltr" placeholder="koe-bot.bsky.social" autoComplete="off" onInput={(e) => set('handle', e.currentTarget.value)} />
        </div>
      )}
      {d.kind !== 'webhook' && (
        <div class="field">
          <label for={id('secret')}>
            {t(secretLabel[d.kind])}
            {d.kind !== 'x' && <span class="muted"> ({t('optional')})</span>}
          </label>
          <input
            id={id('secret')}
            type="password"
            autoComplete="new-password"
            value={d.secret}
            required={d.kind === 'x' && !hasSecret}
            placeholder={hasSecret ? t('secretKept') : ''}
            onInput={(e) => set('secret', e.currentTarget.value)}
            aria-describedby={id('secret-h')}
            spellcheck={false}
          />
          <p class="hint" id={id('secret-h')}>
            {t(secretHint[d.kind])}
          </p>
          {hasSecret && d.kind !== 'x' && (
            <label class="check">
              <input type="checkbox" checked={d.clearSecret} disabled={!!d.secret} onChange={(e) => set('clearSecret', e.currentTarget.checked)} />
              <span>{t('removeCredential')}</span>
            </label>
          )}
        </div>
      )}
      {d.kind === 'bluesky' && (
        <details class="settings">
          <summary>{t('advanced')}</summary>
          <div class="field">
            <label for={id('jet')}>{t('jetstreamURL')}</label>
            <input id={id('jet')} value={d.jetstream} dir="ltr" placeholder="wss://jetstream2.us-east.bsky.network/subscribe" onInput={(e) => set('jetstream', e.currentTarget.value)} />
            <p class="hint">{t('jetstreamHint')}</p>
          </div>
        </details>
      )}
      {d.kind === 'webhook' && (creating ? <p class="hint">{t('webhookCreateHint')}</p> : <SignatureRecipe />)}
      <p class="error-text" role="alert">
        {err}
      </p>
      <div class="row-actions">
        <button type="submit" class="btn btn-primary" disabled={busy} data-testid="source-save">
          {creating ? t('addSource') : t('save')}
        </button>
        <button type="button" class="btn btn-ghost" onClick={onCancel}>
          {t('cancel')}
        </button>
      </div>
    </form>
  );
}
