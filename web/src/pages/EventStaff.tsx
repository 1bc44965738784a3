// An event's staff (owners): roles and talk limits, and invitations by
// single-use link (shown once, with a QR code).
import { useEffect, useState } from 'preact/hooks';
import { api } from '../api';
import { t, useLocale } from '../i18n';
import { caps, invitationHours, invitationLink, pending } from '../state/staff';
import type { EventRole, Invitation, IssuedInvitation, KoeEvent, StaffMember, Talk, Whoami } from '../types';
import { Notice, Spinner } from '../ui/chrome';
import { errorText } from '../ui/errors';
import { fmtDateTime } from '../ui/format';
import { useNow, useTitle } from '../ui/hooks';
import { QRCode } from '../ui/qr';
import { attempt, roleName, SecretField, StaffPage } from '../ui/staff';
import { toast } from '../ui/toast';
import { refreshWhoami } from '../ui/whoami';
import { useEventRole } from './AdminEvent';
import { roleDescription } from './Invite';
import '../styles/admin.css';
import { useJoinBase } from '../ui/usejoinbase';

const roles: EventRole[] = ['owner', 'moderator', 'presenter'];

export function EventStaff({ eventID }: { eventID: number }) {
  useLocale();
  useTitle(t('staffAndInvitations'));
  return (
    <StaffPage title={t('staffAndInvitations')} wide>
      {(who) => <StaffDesk eventID={eventID} who={who} />}
    </StaffPage>
  );
}

function StaffDesk({ eventID, who }: { eventID: number; who: Whoami }) {
  const { me, err: meErr } = useEventRole(eventID);
  const [event, setEvent] = useState<KoeEvent | null>(null);
  const [talks, setTalks] = useState<Talk[]>([]);
  const [err, setErr] = useState<unknown>(null);
  useEffect(() => {
    api.event(eventID).then(setEvent, setErr);
    api.talks(eventID).then((r) => setTalks(r.talks), () => undefined);
  }, [eventID]);
  const back = (
    <p class="crumbs">
      <a href={`/admin/e/${eventID}`}>← {event?.title ?? t('backToEvent')}</a>
    </p>
  );
  if (err || meErr) return <Notice kind="error">{errorText(err ?? meErr)}</Notice>;
  if (!me || !event) return <Spinner />;
  if (me === 'out' || !caps(me.role).staff) {
    return (
      <>
        {back}
        <Notice kind="warn">{t('ownersOnly')}</Notice>
      </>
    );
  }
  return (
    <>
      {back}
      <h1>
        {t('staffAndInvitations')} <span class="muted h-sub">{event.title}</span>
      </h1>
      <div class="two-col">
        <StaffList eventID={eventID} talks={talks} who={who} />
        <Invitations eventID={eventID} talks={talks} />
      </div>
    </>
  );
}

function TalkChecks({ talks, value, onChange, idPrefix }: { talks: Talk[]; value: number[]; onChange: (v: number[]) => void; idPrefix: string }) {
  if (talks.length === 0) return <p class="hint">{t('noTalks')}</p>;
  return (
    <fieldset class="checks talk-checks">
      <legend class="label">{t('limitToTalks')}</legend>
      {talks.map((tk) => (
        <label key={tk.id} class="check" for={`${idPrefix}-${tk.id}`}>
          <input
            id={`${idPrefix}-${tk.id}`}
            type="checkbox"
            checked={value.includes(tk.id)}
            onChange={(e) => onChange(e.currentTarget.checked ? [...value, tk.id] : value.filter((x) => x !== tk.id))}
          />
          <span>{tk.title}</span>
        </label>
      ))}
      <p class="hint">{t('limitToTalksHint')}</p>
    </fieldset>
  );
}

function StaffList({ eventID, talks, who }: { eventID: number; talks: Talk[]; who: Whoami }) {
  const [list, setList] = useState<StaffMember[] | null>(null);
  const [err, setErr] = useState('');
  const load = () => api.staff(eventID).then((r) => setList(r.staff), (e) => setErr(errorText(e)));
  useEffect(() => void load(), [eventID]);
  return (
    <section class="card pad" aria-labelledby="staff-h" data-testid="staff-list">
      <h2 id="staff-h">{t('staffTitle')}</h2>
      {err && <Notice kind="error">{err}</Notice>}
      {!list && !err && <Spinner />}
      {list && list.length === 0 && <p class="empty">{t('noStaff')}</p>}
      {list && (
        <ul class="item-list">
          {list.map((m) => (
            <Member key={`${m.account_id}:${m.role}:${m.talks.join(',')}`} m={m} eventID={eventID} talks={talks} self={who.account?.id === m.account_id} onChange={load} />
          ))}
        </ul>
      )}
    </section>
  );
}

function Member({ m, eventID, talks, self, onChange }: { m: StaffMember; eventID: number; talks: Talk[]; self: boolean; onChange: () => Promise<void> }) {
  const [role, setRole] = useState<EventRole>(m.role);
  const [limit, setLimit] = useState<number[]>(m.talks);
  const [err, setErr] = useState('');
  const changed = role !== m.role || (role === 'presenter' && limit.slice().sort().join() !== m.talks.slice().sort().join());
  const title = (id: number) => talks.find((x) => x.id === id)?.title ?? `#${id}`;
  const id = `member-${m.account_id}`;
  const run = async (fn: () => Promise<unknown>, done: string) => {
    setErr('');
    try {
      await fn();
      toast(done);
      if (self) await refreshWhoami();
      await onChange();
    } catch (e) {
      setErr(errorText(e));
    }
  };
  return (
    <li class="item-row member" data-login={m.login}>
      <div class="item-text">
        <span class="item-title">
          <bdi>{m.display_name}</bdi>
          {self && <span class="badge badge-mine">{t('you')}</span>}
        </span>
        <span class="muted small">
          @{m.login} · {m.role === 'presenter' && m.talks.length ? m.talks.map(title).join(', ') : m.role === 'presenter' ? t('allTalks') : roleDescription(m.role)}
        </span>
        {role === 'presenter' && <TalkChecks talks={talks} value={limit} onChange={setLimit} idPrefix={`${id}-talk`} />}
        <p class="error-text" role="alert">
          {err}
        </p>
      </div>
      <div class="member-actions">
        <label class="sr-only" for={`${id}-role`}>
          {t('roleFor', { name: m.display_name })}
        </label>
        <select id={`${id}-role`} value={role} onChange={(e) => setRole(e.currentTarget.value as EventRole)} class="select-small">
          {roles.map((r) => (
            <option key={r} value={r}>
              {roleName(r)}
            </option>
          ))}
        </select>
        {changed && (
          <button type="button" class="btn btn-small btn-primary" onClick={() => void run(() => api.setStaff(eventID, m.account_id, role, role === 'presenter' ? limit : []), t('saved'))}>
            {t('save')}
          </button>
        )}
        <button
          type="button"
          class="btn btn-small btn-danger"
          aria-label={t('removeNamed', { name: m.display_name })}
          onClick={() => confirm(t('confirmRemoveStaff', { name: m.display_name })) && void run(() => api.removeStaff(eventID, m.account_id), t('removed'))}
        >
          {t('remove')}
        </button>
      </div>
    </li>
  );
}

function Invitations({ eventID, talks }: { eventID: number; talks: Talk[] }) {
  const now = useNow();
  const [list, setList] = useState<Invitation[] | null>(null);
  const [issued, setIssued] = useState<IssuedInvitation | null>(null);
  const [err, setErr] = useState('');
  const [role, setRole] = useState<EventRole>('moderator');
  const [limit, setLimit] = useState<number[]>([]);
  const [hours, setHours] = useState(168);
  const [busy, setBusy] = useState(false);
  const load = () => api.invitations(eventID).then((r) => setList(r.invitations), (e) => setErr(errorText(e)));
  useEffect(() => void load(), [eventID]);
  const title = (id: number) => talks.find((x) => x.id === id)?.title ?? `#${id}`;
  const open = (list ?? []).filter((i) => pending(i, now));
  const base = useJoinBase();
  const link = issued ? invitationLink(base, issued.token) : '';
  return (
    <section class="card pad" aria-labelledby="inv-h" data-testid="invitations">
      <h2 id="inv-h">{t('invitations')}</h2>
      {issued && (
        <div class="secret-box" role="status" data-testid="invite-link">
          <p class="secret-title">{t('invitationCreated', { role: roleName(issued.role) })}</p>
          <div class="invite-share">
            <div class="invite-qr">
              <QRCode text={link} label={t('invitationQR')} />
            </div>
            <div class="invite-link-side">
              <SecretField id="invite-url" label={t('invitationLink')} value={link} hint={t('invitationOnce', { when: fmtDateTime(issued.expires_at) })} />
              <button type="button" class="btn btn-small" onClick={() => setIssued(null)}>
                {t('done')}
              </button>
            </div>
          </div>
        </div>
      )}
      <form
        class="form-grid"
        data-testid="invite-form"
        onSubmit={async (e) => {
          e.preventDefault();
          setBusy(true);
          setErr('');
          try {
            const inv = await api.invite(eventID, { role, talks: role === 'presenter' ? limit : [], expires_in_hours: hours });
            setIssued(inv);
            setLimit([]);
            await load();
          } catch (e2) {
            setErr(errorText(e2));
          } finally {
            setBusy(false);
          }
        }}
      >
        <fieldset class="field span-2 checks">
          <legend class="label">{t('inviteAs')}</legend>
          {roles.map((r) => (
            <label key={r} class="check check-block">
              <input type="radio" name="invite-role" value={r} checked={role === r} onChange={() => setRole(r)} />
              <span>
                <strong>{roleName(r)}</strong> <span class="muted small">{roleDescription(r)}</span>
              </span>
            </label>
          ))}
        </fieldset>
        {role === 'presenter' && (
          <div class="span-2">
            <TalkChecks talks={talks} value={limit} onChange={setLimit} idPrefix="invite-talk" />
          </div>
        )}
        <div class="field">
          <label for="invite-expiry">{t('linkValidFor')}</label>
          <select id="invite-expiry" value={String(hours)} onChange={(e) => setHours(Number(e.currentTarget.value))}>
            {invitationHours.map((h) => (
              <option key={h} value={String(h)}>
                {h < 48 ? t('inHours', { n: h }) : t('inDays', { n: h / 24 })}
              </option>
            ))}
          </select>
        </div>
        <p class="error-text span-2" role="alert">
          {err}
        </p>
        <div class="span-2">
          <button type="submit" class="btn btn-primary" disabled={busy}>
            {t('createInvitation')}
          </button>
        </div>
      </form>
      <h3 class="sub-h">{t('pendingInvitations')}</h3>
      {list && open.length === 0 && <p class="empty small">{t('noPendingInvitations')}</p>}
      <ul class="item-list" data-testid="pending-invitations">
        {open.map((i) => (
          <li key={i.id} class="item-row">
            <div class="item-text">
              <span class="item-title">
                <span class={`role-chip role-${i.role}`}>{roleName(i.role)}</span>
                {i.talks.length > 0 && <span class="muted small"> {i.talks.map(title).join(', ')}</span>}
              </span>
              <span class="muted small">
                {t('createdOn', { when: fmtDateTime(i.created_at) })} · {t('expiresOn', { when: fmtDateTime(i.expires_at) })}
              </span>
            </div>
            <button
              type="button"
              class="btn btn-small btn-danger"
              onClick={() => confirm(t('confirmRevokeInvitation')) && void attempt(async () => {
                await api.revokeInvitation(eventID, i.id);
                await load();
              }, t('revokedDone'))}
            >
              {t('revoke')}
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}
