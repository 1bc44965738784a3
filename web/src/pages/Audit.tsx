// The audit log of an event (owners) or of the whole installation
// (admins): who did what, how, when, with before → after; filters, older
// pages, CSV and JSON export.
import { useEffect, useState } from 'preact/hooks';
import { api, auditPath, type AuditQuery } from '../api';
import { t, useLocale, type Key } from '../i18n';
import { actorName, auditTypes, caps, changes, localToISO, via } from '../state/staff';
import type { AuditEntry, KoeEvent, Whoami } from '../types';
import { Notice, Spinner } from '../ui/chrome';
import { errorText } from '../ui/errors';
import { fmtDateTime } from '../ui/format';
import { useTitle } from '../ui/hooks';
import { StaffPage } from '../ui/staff';
import { useEventRole } from './AdminEvent';
import '../styles/admin.css';

const typeKeys: Record<string, Key> = {
  'event.created': 'auditEventCreated',
  'event.updated': 'auditEventUpdated',
  'talk.created': 'auditTalkCreated',
  'talk.updated': 'auditTalkUpdated',
  'question.created': 'auditQuestionCreated',
  'question.updated': 'auditQuestionUpdated',
  'reply.created': 'auditReplyCreated',
  'reply.updated': 'auditReplyUpdated',
  'review.created': 'auditReviewCreated',
  'review.updated': 'auditReviewUpdated',
  'moderation.updated': 'auditModerationUpdated',
  'ban.created': 'auditBanCreated',
  'ban.removed': 'auditBanRemoved',
  'account.created': 'auditAccountCreated',
  'account.updated': 'auditAccountUpdated',
  'staff.set': 'auditStaffSet',
  'staff.removed': 'auditStaffRemoved',
  'invitation.created': 'auditInvitationCreated',
  'invitation.accepted': 'auditInvitationAccepted',
  'invitation.revoked': 'auditInvitationRevoked',
  'token.created': 'auditTokenCreated',
  'token.revoked': 'auditTokenRevoked',
  'session.created': 'auditSessionCreated',
  'session.revoked': 'auditSessionRevoked',
  'passkey.created': 'auditPasskeyCreated',
  'passkey.deleted': 'auditPasskeyDeleted',
};

const prefixKeys: Record<(typeof auditTypes)[number], Key> = {
  'event.': 'auditTypeEvent',
  'talk.': 'auditTypeTalk',
  'question.': 'auditTypeQuestion',
  'reply.': 'auditTypeReply',
  'review.': 'auditTypeReview',
  'moderation.': 'auditTypeModeration',
  'ban.': 'auditTypeBan',
  'staff.': 'auditTypeStaff',
  'invitation.': 'auditTypeInvitation',
  'account.': 'auditTypeAccount',
  'token.': 'auditTypeToken',
  'session.': 'auditTypeSession',
};

export function typeLabel(type: string): string {
  const k = typeKeys[type];
  return k ? t(k) : type;
}

const viaKeys = { session: 'viaSession', api_token: 'viaAPIToken', owner_token: 'viaOwnerToken', system: 'viaSystem', other: 'viaOther' } as const;

export function Audit({ eventID }: { eventID: number | null }) {
  useLocale();
  useTitle(t('auditTitle'));
  return (
    <StaffPage title={t('auditTitle')} wide>
      {(who) => (eventID ? <EventAudit eventID={eventID} /> : who.admin ? <AuditLog eventID={null} who={who} /> : <Notice kind="warn">{t('adminsOnly')}</Notice>)}
    </StaffPage>
  );
}

function EventAudit({ eventID }: { eventID: number }) {
  const { me, err } = useEventRole(eventID);
  const [event, setEvent] = useState<KoeEvent | null>(null);
  useEffect(() => {
    api.event(eventID).then(setEvent, () => undefined);
  }, [eventID]);
  if (err) return <Notice kind="error">{errorText(err)}</Notice>;
  if (!me) return <Spinner />;
  const back = (
    <p class="crumbs">
      <a href={`/admin/e/${eventID}`}>← {event?.title ?? t('backToEvent')}</a>
    </p>
  );
  if (me === 'out' || !caps(me.role).audit) {
    return (
      <>
        {back}
        <Notice kind="warn">{t('ownersOnlyAudit')}</Notice>
      </>
    );
  }
  return (
    <>
      {back}
      <AuditLog eventID={eventID} title={event?.title} />
    </>
  );
}

interface Person {
  id: string;
  name: string;
}

function AuditLog({ eventID, title, who }: { eventID: number | null; title?: string; who?: Whoami }) {
  const [people, setPeople] = useState<Person[]>([]);
  const [account, setAccount] = useState('');
  const [type, setType] = useState('');
  const [since, setSince] = useState('');
  const [until, setUntil] = useState('');
  const [query, setQuery] = useState<AuditQuery>({});
  const [entries, setEntries] = useState<AuditEntry[] | null>(null);
  const [next, setNext] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [err, setErr] = useState('');

  useEffect(() => {
    const load = eventID
      ? api.staff(eventID).then((r) => r.staff.map((m) => ({ id: String(m.account_id), name: `${m.display_name} (@${m.login})` })))
      : api.accounts().then((r) => r.accounts.map((a) => ({ id: String(a.id), name: `${a.display_name} (@${a.login})` })));
    load.then(setPeople, () => undefined);
  }, [eventID, who]);

  const fetchPage = async (q: AuditQuery, append: boolean) => {
    setBusy(true);
    setErr('');
    try {
      const page = await api.audit(eventID, { ...q, limit: 50 });
      setEntries((cur) => (append && cur ? [...cur, ...page.entries] : page.entries));
      setNext(page.next_cursor);
    } catch (e) {
      setErr(errorText(e));
    } finally {
      setBusy(false);
    }
  };
  useEffect(() => void fetchPage(query, false), [eventID, query]);

  const apply = (e: Event) => {
    e.preventDefault();
    setQuery({ account, type, since: localToISO(since), until: localToISO(until) });
  };
  const reset = () => {
    setAccount('');
    setType('');
    setSince('');
    setUntil('');
    setQuery({});
  };
  // Names seen in the log that the list of people lacks (staff since removed).
  const known = new Map(people.map((p) => [p.id, p.name]));
  for (const e of entries ?? []) {
    const n = actorName(e);
    if (typeof n === 'object' && !known.has(String(e.actor.account_id))) known.set(String(e.actor.account_id), `${n.name} (@${n.login})`);
  }

  return (
    <>
      <h1>
        {t('auditTitle')} {title && <span class="muted h-sub">{title}</span>}
        {!eventID && <span class="muted h-sub">{t('auditAllEvents')}</span>}
      </h1>
      <form class="card pad audit-filters" onSubmit={apply} aria-label={t('auditFilters')} data-testid="audit-filters">
        <div class="field">
          <label for="audit-who">{t('auditWho')}</label>
          <select id="audit-who" value={account} onChange={(e) => setAccount(e.currentTarget.value)}>
            <option value="">{t('auditEveryone')}</option>
            {[...known].map(([id, name]) => (
              <option key={id} value={id}>
                {name}
              </option>
            ))}
            <option value="0">{t('viaOwnerToken')}</option>
          </select>
        </div>
        <div class="field">
          <label for="audit-type">{t('auditWhat')}</label>
          <select id="audit-type" value={type} onChange={(e) => setType(e.currentTarget.value)}>
            <option value="">{t('auditAllTypes')}</option>
            {auditTypes.map((p) => (
              <option key={p} value={p}>
                {t(prefixKeys[p])}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="audit-since">{t('auditSince')}</label>
          <input id="audit-since" type="datetime-local" value={since} onInput={(e) => setSince(e.currentTarget.value)} />
        </div>
        <div class="field">
          <label for="audit-until">{t('auditUntil')}</label>
          <input id="audit-until" type="datetime-local" value={until} onInput={(e) => setUntil(e.currentTarget.value)} />
        </div>
        <div class="audit-filter-actions">
          <button type="submit" class="btn btn-primary btn-small">
            {t('auditApply')}
          </button>
          <button type="button" class="btn btn-ghost btn-small" onClick={reset}>
            {t('auditReset')}
          </button>
          <span class="audit-export">
            <span class="muted small">{t('auditExport')}</span>
            <a class="btn btn-small" href={auditPath(eventID, query, 'csv')} download data-testid="export-csv">
              CSV
            </a>
            <a class="btn btn-small" href={auditPath(eventID, query, 'json')} download data-testid="export-json">
              JSON
            </a>
          </span>
        </div>
      </form>
      {err && <Notice kind="error">{err}</Notice>}
      {entries === null && !err && <Spinner />}
      {entries && entries.length === 0 && <p class="empty">{t('auditEmpty')}</p>}
      {entries && entries.length > 0 && (
        <table class="audit-table" data-testid="audit-table">
          <caption class="sr-only">{t('auditTitle')}</caption>
          <thead>
            <tr>
              <th scope="col">{t('auditWhen')}</th>
              <th scope="col">{t('auditWho')}</th>
              <th scope="col">{t('auditHow')}</th>
              <th scope="col">{t('auditWhat')}</th>
              <th scope="col">{t('auditChange')}</th>
            </tr>
          </thead>
          <tbody>
            {entries.map((e) => (
              <Row key={e.id} e={e} showEvent={!eventID} />
            ))}
          </tbody>
        </table>
      )}
      {next && (
        <p class="audit-more">
          <button type="button" class="btn" disabled={busy} onClick={() => void fetchPage({ ...query, before: next }, true)} data-testid="audit-older">
            {busy ? t('loading') : t('auditOlder')}
          </button>
        </p>
      )}
    </>
  );
}

function Row({ e, showEvent }: { e: AuditEntry; showEvent: boolean }) {
  const n = actorName(e);
  const v = via(e);
  const diff = changes(e.before, e.after);
  return (
    <tr data-type={e.type}>
      <td data-label={t('auditWhen')}>
        <time dateTime={e.at}>{fmtDateTime(e.at)}</time>
      </td>
      <td data-label={t('auditWho')} class="audit-who">
        {n === 'system' ? t('viaSystem') : n === 'owner_token' ? t('viaOwnerToken') : (
          <>
            <span class="audit-name">{n.name}</span> <span class="muted small">@{n.login}</span>
          </>
        )}
      </td>
      <td data-label={t('auditHow')}>
        <span class={`via via-${v}`}>{t(viaKeys[v])}</span>
        {e.actor.addr && <span class="muted small audit-addr">{e.actor.addr}</span>}
      </td>
      <td data-label={t('auditWhat')}>
        <span class="audit-type">{typeLabel(e.type)}</span>
        {showEvent && e.event_id > 0 && <span class="muted small"> · {t('eventNumber', { n: e.event_id })}</span>}
        {e.talk_id > 0 && <span class="muted small"> · {t('talkNumber', { n: e.talk_id })}</span>}
      </td>
      <td data-label={t('auditChange')} class="audit-change">
        {diff.length === 0 ? (
          <span class="muted">—</span>
        ) : (
          <ul class="diff">
            {diff.map((c) => (
              <li key={c.field}>
                <code class="diff-field">{c.field}</code>{' '}
                {c.before !== '' && <del class="diff-before">{c.before}</del>}
                {c.before !== '' && c.after !== '' && <span aria-hidden="true"> → </span>}
                {c.after !== '' && <ins class="diff-after">{c.after}</ins>}
              </li>
            ))}
          </ul>
        )}
      </td>
    </tr>
  );
}
