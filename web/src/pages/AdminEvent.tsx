// Staff: one event: settings, talks (Q&A open/closed), and moderation of a
// talk's questions (highlight, answered, hide, edit, reply), all live.
import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { ApiError, api } from '../api';
import { t, useLocale } from '../i18n';
import type { Tab, TalkState } from '../state/questions';
import { caps, meRole, visibleTalks, type Caps } from '../state/staff';
import { countChars, maxQuestion } from '../state/text';
import type { EventRole, Question, Talk } from '../types';
import { ConnectionBanner, Header, Notice, Spinner, StatusPill } from '../ui/chrome';
import { errorText } from '../ui/errors';
import { ExportMenu, exportRights } from '../ui/exportmenu';
import { fmtDateTime } from '../ui/format';
import { useNow, useTitle } from '../ui/hooks';
import { PhaseBadge, QuestionCard, Tabs, TalkMeta } from '../ui/qa';
import { SignIn } from '../ui/signin';
import { roleName, StaffTools } from '../ui/staff';
import { toast } from '../ui/toast';
import { useWhoami } from '../ui/whoami';
import { useEventLive, useTalkSession } from './Audience';
import { EventForm, TalkForm } from './forms';
import { PollsPanel } from './PollsPanel';
import '../styles/admin.css';
import { useJoinBase } from '../ui/usejoinbase';
import { defaultAccent, isAccent, logoProblem, logoURL, maxLogoBytes, maxLogoPixels, normalizeAccent, textOn } from '../state/branding';
import type { KoeEvent } from '../types';
import '../styles/schedule.css';

async function act(fn: () => Promise<unknown>, done?: string) {
  try {
    await fn();
    if (done) toast(done);
  } catch (e) {
    toast(errorText(e), 'error');
  }
}

/** The signed-in staff's role in an event and, for a presenter, its talks; null while loading. */
export function useEventRole(eventID: number) {
  const who = useWhoami();
  const [me, setMe] = useState<{ role: EventRole | null; talks: number[] } | 'out' | null>(null);
  const [err, setErr] = useState<unknown>(null);
  const check = () =>
    api.me(eventID).then(
      (m) => setMe(meRole(m)),
      (e) => (e instanceof ApiError && (e.status === 401 || e.status === 403) ? setMe('out') : setErr(e)),
    );
  const whoKey = who.status === 'in' ? JSON.stringify(who.who.events) + who.who.admin : who.status;
  useEffect(() => void check(), [eventID, whoKey]);
  return { me, err, check };
}

/**
 * A staff page of an event: a spinner while it asks who the caller is, sign-in for
 * nobody, refusal (with a way back) for one without a role the page allows, else children.
 */
export function RoleGate({
  eventID,
  title,
  allow,
  refusal,
  children,
}: {
  eventID: number;
  title: string;
  /** Which roles may see the page; any role of the event when left out. */
  allow?: (role: EventRole) => boolean;
  /** What a caller without such a role is told; they are offered the way back to the event (or, with no role at all, to their events). */
  refusal: string;
  children: (me: { role: EventRole; talks: number[] }) => ComponentChildren;
}) {
  useLocale();
  const { me, err, check } = useEventRole(eventID);
  if (me === null && !err) {
    return (
      <>
        <Header title={title} />
        <Spinner />
      </>
    );
  }
  if (err || me === 'out' || !me?.role || (allow && !allow(me.role))) {
    const noRole = !!me && me !== 'out' && !me.role;
    return (
      <>
        <Header title={title}>
          <StaffTools />
        </Header>
        <main id="main" class="page narrow">
          {err ? (
            <Notice kind="error">{errorText(err)}</Notice>
          ) : me === 'out' ? (
            <SignIn onDone={() => void check()} />
          ) : (
            <>
              <Notice kind="warn">{noRole ? t('noRoleInEvent') : refusal}</Notice>
              <p>{noRole ? <a href="/admin">← {t('backToEvents')}</a> : <a href={`/admin/e/${eventID}`}>← {t('backToEvent')}</a>}</p>
            </>
          )}
        </main>
      </>
    );
  }
  return <>{children({ role: me.role, talks: me.talks })}</>;
}

export function AdminEvent({ eventID, talkID }: { eventID: number; talkID?: number }) {
  return (
    <RoleGate eventID={eventID} title={t('adminTitle')} refusal={t('noRoleInEvent')}>
      {(me) => <EventDesk eventID={eventID} talkID={talkID} role={me.role} limit={me.talks} />}
    </RoleGate>
  );
}

function EventDesk({ eventID, talkID, role, limit }: { eventID: number; talkID?: number; role: EventRole; limit: number[] }) {
  const can = caps(role);
  const mayExport = exportRights(role, limit);
  const now = useNow();
  const { live, prog, programme, status, error } = useEventLive(eventID);
  const event = programme.event;
  const [editTalk, setEditTalk] = useState<number | null>(null);
  useTitle(event ? `${t('adminTitle')}: ${event.title}` : t('adminTitle'));
  const talks = visibleTalks(programme.ordered(now), limit);
  const mayTalk = !talkID || limit.length === 0 || limit.includes(talkID);
  const tz = event?.time_zone ?? 'UTC';
  const base = useJoinBase();
  const joinURL = event ? `${base}/j/${event.join_code}` : '';

  return (
    <>
      <Header title={event?.title} wide>
        <StatusPill status={status} />
        <StaffTools />
      </Header>
      <ConnectionBanner status={status} />
      <main id="main" class="page admin admin-wide">
        <p class="crumbs">
          <a href="/admin">← {t('backToEvents')}</a>
        </p>
        {error ? (
          <Notice kind="error">{errorText(error)}</Notice>
        ) : !event ? (
          <Spinner />
        ) : (
          <div class="desk">
            <div class="desk-side">
              <section class="card pad event-head">
                <div class="event-head-top">
                  <h1>{event.title}</h1>
                  <span class={`role-chip role-${role}`} data-testid="my-role">
                    {roleName(role)}
                  </span>
                </div>
                <dl class="facts">
                  <div>
                    <dt>{t('joinCode')}</dt>
                    <dd>
                      <span class="code-chip code-chip-lg" data-testid="admin-code">
                        {event.join_code}
                      </span>
                    </dd>
                  </div>
                  <div>
                    <dt>{t('joinLink')}</dt>
                    <dd>
                      <a href={joinURL}>{joinURL.replace(/^https?:\/\//, '')}</a>
                    </dd>
                  </div>
                  {event.starts_at && (
                    <div>
                      <dt>{t('when')}</dt>
                      <dd>
                        {`${fmtDateTime(event.starts_at, tz)} (${tz})`}
                      </dd>
                    </div>
                  )}
                </dl>
                {(can.staff || can.audit || can.moderate) && (
                  <div class="row-actions event-links">
                    {can.moderate && (
                      <a class="btn btn-small btn-primary" href={`/admin/e/${eventID}/moderation`} data-testid="moderation-link">
                        {t('modConsole')}
                      </a>
                    )}
                    {can.moderate && (
                      <a class="btn btn-small" href={`/admin/e/${eventID}/feed`} data-testid="feed-link">
                        {t('feedTitle')}
                      </a>
                    )}
                    {can.moderate && (
                      <a class="btn btn-small" href={`/admin/e/${eventID}/sources`} data-testid="sources-link">
                        {t('sourcesTitle')}
                      </a>
                    )}
                    {can.manage && (
                      <a class="btn btn-small" href={`/admin/e/${eventID}/integrations`} data-testid="integrations-link">
                        {t('integrationsTitle')}
                      </a>
                    )}
                    {can.manage && (
                      <a class="btn btn-small" href={`/admin/e/${eventID}/screens`} data-testid="screens-link">
                        {t('screenLinksButton')}
                      </a>
                    )}
                    {can.manage && (
                      <a class="btn btn-small" href={`/admin/e/${eventID}/schedule`} data-testid="schedule-link">
                        {t('scheduleLink')}
                      </a>
                    )}
                    {can.staff && (
                      <a class="btn btn-small" href={`/admin/e/${eventID}/staff`} data-testid="staff-link">
                        {t('staffAndInvitations')}
                      </a>
                    )}
                    {can.audit && (
                      <a class="btn btn-small" href={`/admin/e/${eventID}/audit`} data-testid="audit-link">
                        {t('auditTitle')}
                      </a>
                    )}
                    {mayExport.event && (
                      <a class="btn btn-small" href={`/admin/e/${eventID}/report`} data-testid="report-link">
                        {t('reportLink')}
                      </a>
                    )}
                  </div>
                )}
                {limit.length > 0 && <p class="muted small">{t('presenterLimited')}</p>}
                {mayExport.event && <ExportMenu eventID={eventID} talkID={null} mayAll={mayExport.all} variant="inline" />}
                {can.manage && (
                <details class="settings">
                  <summary>{t('editEvent')}</summary>
                  <EventForm
                    key={event.version}
                    event={event}
                    submitLabel={t('save')}
                    onSubmit={async (body) => {
                      // Settings are replaced whole: the form holds neither the accent nor the Q&A schedule, so keep them.
                      const settings = body.settings as Record<string, unknown> | undefined;
                      const e = await api.updateEvent(eventID, settings ? { ...body, settings: { accent: event.settings.accent ?? '', qa_schedule: event.settings.qa_schedule, ...settings } } : body);
                      prog.programme.own({ event: e });
                      toast(t('saved'));
                    }}
                  />
                  <Branding event={event} onEvent={(e) => prog.programme.own({ event: e })} />
                </details>
                )}
              </section>
              <section class="card pad" aria-labelledby="talks-h">
                <h2 id="talks-h">{t('talks')}</h2>
                <ul class="admin-talks">
                  {talks.map((tk) => (
                    <li key={tk.id} class={tk.id === talkID ? 'admin-talk admin-talk-current' : 'admin-talk'} data-talk={tk.id}>
                      {editTalk === tk.id ? (
                        <TalkForm
                          talk={tk}
                          tz={tz}
                          submitLabel={t('save')}
                          onCancel={() => setEditTalk(null)}
                          onSubmit={async (body) => {
                            prog.programme.own({ talk: await api.updateTalk(eventID, tk.id, body) });
                            setEditTalk(null);
                            toast(t('saved'));
                          }}
                        />
                      ) : (
                        <>
                          <div class="admin-talk-head">
                            <PhaseBadge talk={tk} now={now} />
                            <span class={tk.qa_open ? 'qa-state qa-open' : 'qa-state qa-closed'}>{tk.qa_open ? t('qaOpenShort') : t('qaClosedShort')}</span>
                            {tk.room && <span class="room-chip" data-testid="talk-room">{tk.room}</span>}
                          </div>
                          <a class="admin-talk-title" href={`/admin/e/${eventID}/t/${tk.id}`} aria-current={tk.id === talkID ? 'page' : undefined}>
                            {tk.title}
                          </a>
                          <TalkMeta talk={tk} tz={tz} />
                          {tk.removed_from_schedule && (
                            <p class="talk-removed">
                              <span class="badge badge-removed" data-testid="talk-removed">
                                {t('removedFromSchedule')}
                              </span>
                              <span class="hint">{t('removedFromScheduleHint')}</span>
                            </p>
                          )}
                          {event.settings.qa_schedule?.follow && tk.starts_at && (
                            <p class={tk.qa_manual ? 'qa-sched qa-sched-manual' : 'qa-sched'} data-testid="qa-schedule-state">
                              {tk.qa_manual ? t('qaSetByHand') : t('qaFollowsSchedule')}
                              {tk.qa_manual && can.manage && (
                                <button
                                  type="button"
                                  class="btn btn-small btn-ghost"
                                  data-testid="qa-give-back"
                                  onClick={() => act(async () => prog.programme.own({ talk: await api.updateTalk(eventID, tk.id, { qa_manual: false }) }), t('qaGivenBack'))}
                                >
                                  {t('qaGiveBack')}
                                </button>
                              )}
                            </p>
                          )}
                          <div class="row-actions">
                            <a class="btn btn-small btn-primary" href={`/admin/e/${eventID}/t/${tk.id}`}>
                              {t('moderate')}
                            </a>
                            {can.manage && (
                              <button
                                type="button"
                                class="btn btn-small"
                                onClick={() => act(async () => prog.programme.own({ talk: await api.updateTalk(eventID, tk.id, { qa_open: !tk.qa_open, qa_manual: true }) }))}
                              >
                                {tk.qa_open ? t('closeQA') : t('openQA')}
                              </button>
                            )}
                            <a class="btn btn-small" href={`/e/${eventID}/t/${tk.id}/screen`} target="_blank" rel="noopener">
                              {t('present')}
                            </a>
                            {can.manage && (
                              <button type="button" class="btn btn-small btn-ghost" onClick={() => setEditTalk(tk.id)}>
                                {t('edit')}
                              </button>
                            )}
                          </div>
                        </>
                      )}
                    </li>
                  ))}
                </ul>
                {talks.length === 0 && !can.manage && <p class="empty">{t('noTalks')}</p>}
                {can.manage && (
                  <details class="settings" open={talks.length === 0}>
                    <summary>{t('newTalk')}</summary>
                    <TalkForm
                      tz={tz}
                      submitLabel={t('addTalk')}
                      onSubmit={async (body) => {
                        prog.programme.own({ talk: await api.createTalk(eventID, body) });
                        toast(t('created'));
                      }}
                    />
                  </details>
                )}
              </section>
            </div>
            <div class={talkID ? 'desk-main desk-main-active' : 'desk-main'}>
              {talkID && !mayTalk ? (
                <Notice kind="warn">{t('notYourTalk')}</Notice>
              ) : talkID ? (
                <Moderation key={talkID} eventID={eventID} talkID={talkID} live={live} talk={programme.talks.get(talkID)} now={now} tz={tz} can={can} />
              ) : (
                <p class="empty">{t('noTalkSelected')}</p>
              )}
            </div>
          </div>
        )}
      </main>
    </>
  );
}

function Moderation({ eventID, talkID, live, talk: progTalk, now, tz, can }: { eventID: number; talkID: number; live: Parameters<typeof useTalkSession>[0]; talk?: Talk; now: number; tz: string; can: Caps }) {
  const { session, state, ready, error } = useTalkSession(live, eventID, talkID, true);
  const [tab, setTab] = useState<Tab>('top');
  const [editing, setEditing] = useState<number | null>(null);
  if (error) return <Notice kind="error">{errorText(error)}</Notice>;
  if (!state || !ready || !state.talk) return <Spinner />;
  const talk = state.talk;
  const hl = talk.highlighted_question_id;
  const highlighted = state.highlighted();
  const list = state.list(tab);
  return (
    <section class="card pad moderation" aria-labelledby="mod-h">
      <div class="mod-head">
        <div>
          <h2 id="mod-h">{(progTalk ?? talk).title}</h2>
          <TalkMeta talk={progTalk ?? talk} tz={tz} />
        </div>
        <div class="row-actions">
          <a class="btn btn-small" href={`/e/${eventID}/t/${talkID}/screen`} target="_blank" rel="noopener">
            {t('present')}
          </a>
          <a class="btn btn-small btn-ghost" href={`/e/${eventID}/t/${talkID}`}>
            {t('audienceView')}
          </a>
          <a class="btn btn-small btn-ghost" href={`/admin/e/${eventID}/t/${talkID}/report`} data-testid="talk-report-link">
            {t('reportTalkLink')}
          </a>
          <ExportMenu eventID={eventID} talkID={talkID} mayAll={can.moderate} />
        </div>
      </div>
      {!talk.qa_open && <Notice kind="warn">{t('qaClosedBanner')}</Notice>}
      <PollsPanel eventID={eventID} talkID={talkID} session={session} live={live} canModerate={can.moderate} />
      {highlighted && (
        <div class="mod-onscreen">
          <QuestionCard q={highlighted} state={state} now={now} pinned replyAs="staff" actions={<Actions q={highlighted} hl={hl} state={state} eventID={eventID} talkID={talkID} onEdit={setEditing} can={can} />} />
        </div>
      )}
      <Tabs tabs={['top', 'recent', 'answered', 'hidden']} current={tab} onChange={setTab} counts={state.counts()} />
      <div id="question-panel" role="tabpanel" aria-labelledby={`tab-${tab}`} class="q-list" data-testid="admin-list">
        {list.length === 0 ? (
          <p class="empty">{tab === 'answered' ? t('emptyAnswered') : tab === 'hidden' ? t('emptyHidden') : t('emptyTop')}</p>
        ) : (
          list.map((q) => (
            <QuestionCard
              key={q.id}
              q={q}
              state={state}
              now={now}
              replyAs="staff"
              editing={editing === q.id ? <EditBody q={q} state={state} onDone={() => setEditing(null)} /> : undefined}
              actions={<Actions q={q} hl={hl} state={state} eventID={eventID} talkID={talkID} onEdit={setEditing} can={can} />}
            />
          ))
        )}
      </div>
    </section>
  );
}

function Actions({ q, hl, state, eventID, talkID, onEdit, can }: { q: Question; hl: number; state: TalkState; eventID: number; talkID: number; onEdit: (id: number) => void; can: Caps }) {
  const upd = (body: { answered?: boolean; hidden?: boolean }) =>
    act(async () => state.own(await api.updateQuestion(eventID, talkID, q.id, body)));
  return (
    <>
      {!q.hidden && (
        <button
          type="button"
          class={q.id === hl ? 'btn btn-small btn-primary' : 'btn btn-small'}
          aria-pressed={q.id === hl}
          data-action="highlight"
          onClick={() => act(async () => state.ownTalk(await api.highlight(eventID, talkID, q.id === hl ? null : q.id)))}
        >
          {q.id === hl ? t('unhighlight') : t('highlight')}
        </button>
      )}
      <button type="button" class="btn btn-small" data-action="answered" onClick={() => upd({ answered: !q.answered })}>
        {q.answered ? t('markUnanswered') : t('markAnswered')}
      </button>
      {can.moderate && (
        <button type="button" class="btn btn-small btn-danger" data-action="hide" onClick={() => upd({ hidden: !q.hidden })}>
          {q.hidden ? t('unhide') : t('hide')}
        </button>
      )}
      {can.moderate && (
        <button type="button" class="btn btn-small btn-ghost" data-action="edit" onClick={() => onEdit(q.id)}>
          {t('edit')}
        </button>
      )}
    </>
  );
}

function EditBody({ q, state, onDone }: { q: Question; state: TalkState; onDone: () => void }) {
  const [body, setBody] = useState(q.body);
  const n = countChars(body);
  const id = `edit-${q.id}`;
  return (
    <form
      class="edit-form"
      onSubmit={(e) => {
        e.preventDefault();
        void act(async () => {
          state.own(await api.updateQuestion(q.event_id, q.talk_id, q.id, { body }));
          onDone();
        }, t('edited'));
      }}
    >
      <label for={id} class="sr-only">
        {t('questionBody')}
      </label>
      <textarea id={id} value={body} rows={3} dir="auto" onInput={(e) => setBody(e.currentTarget.value)} autoFocus />
      <div class="reply-form-row">
        <span class={n > maxQuestion ? 'counter counter-over' : 'counter'}>{t('charCount', { n, max: maxQuestion })}</span>
        <button type="button" class="btn btn-small btn-ghost" onClick={onDone}>
          {t('cancel')}
        </button>
        <button type="submit" class="btn btn-small btn-primary" disabled={n < 1 || n > maxQuestion}>
          {t('save')}
        </button>
      </div>
    </form>
  );
}

const kib = (bytes: number) => Math.ceil(bytes / 1024);

/** A logo upload's refusal in the user's words: the server's limits by code and field, else the usual. */
function logoErrorText(e: unknown, file: File): string {
  if (e instanceof ApiError && e.status === 413) return t('logoTooLarge', { kib: kib(file.size), max: kib(maxLogoBytes) });
  if (e instanceof ApiError && e.code === 'invalid_argument' && e.details.field === 'logo') return t('logoInvalid');
  return errorText(e);
}

/** The image's size in pixels, or null when the browser cannot decode it. */
async function imageSize(file: File): Promise<{ w: number; h: number } | null> {
  if (typeof createImageBitmap !== 'function') return { w: 0, h: 0 }; // cannot tell: the server checks
  try {
    const bmp = await createImageBitmap(file);
    const size = { w: bmp.width, h: bmp.height };
    bmp.close();
    return size;
  } catch {
    return null;
  }
}

/**
 * The event's accent colour and logo (owners). The colour is saved with
 * the other settings (PATCH, settings replaced whole); the logo is sent as
 * the image itself, checked here first for type, bytes and pixels so that
 * a refusal comes at once and in the user's words.
 */
function Branding({ event, onEvent }: { event: KoeEvent; onEvent: (e: KoeEvent) => void }) {
  const saved = event.settings.accent ?? '';
  const [text, setText] = useState(saved);
  const [accentErr, setAccentErr] = useState('');
  const [logoErr, setLogoErr] = useState('');
  const [busy, setBusy] = useState<'' | 'accent' | 'logo'>('');
  useEffect(() => {
    setText(saved);
    setAccentErr('');
  }, [saved]);
  const typed = normalizeAccent(text);
  const sample = typed && isAccent(typed) ? typed : '';
  const p = `ev${event.id}`;
  const logo = logoURL(event);

  const saveAccent = async (accent: string) => {
    setBusy('accent');
    setAccentErr('');
    try {
      const { logo: _logo, ...settings } = event.settings;
      onEvent(await api.updateEvent(event.id, { settings: { ...settings, accent } }));
      toast(accent ? t('accentSaved') : t('accentReset'));
    } catch (e) {
      setAccentErr(e instanceof ApiError && e.details.field === 'settings.accent' ? t('accentInvalid') : errorText(e));
    } finally {
      setBusy('');
    }
  };
  const submitAccent = (e: Event) => {
    e.preventDefault();
    if (typed === null) {
      setAccentErr(t('accentInvalid'));
      return;
    }
    void saveAccent(typed);
  };

  const pickLogo = async (input: HTMLInputElement) => {
    const file = input.files?.[0];
    input.value = ''; // choosing the same file again is a new choice
    if (!file) return;
    setLogoErr('');
    const problem = logoProblem(file);
    if (problem === 'size') return setLogoErr(t('logoTooLarge', { kib: kib(file.size), max: kib(maxLogoBytes) }));
    if (problem === 'type') return setLogoErr(t('logoWrongType'));
    setBusy('logo');
    try {
      const size = await imageSize(file);
      if (!size) return setLogoErr(t('logoInvalid'));
      if (size.w > maxLogoPixels || size.h > maxLogoPixels) return setLogoErr(t('logoTooManyPixels', { w: size.w, h: size.h, max: maxLogoPixels }));
      onEvent(await api.uploadLogo(event.id, file));
      toast(t('logoUploaded'));
    } catch (e) {
      setLogoErr(logoErrorText(e, file));
    } finally {
      setBusy('');
    }
  };
  const removeLogo = async () => {
    setBusy('logo');
    setLogoErr('');
    try {
      onEvent(await api.deleteLogo(event.id));
      toast(t('logoRemoved'));
    } catch (e) {
      setLogoErr(errorText(e));
    } finally {
      setBusy('');
    }
  };

  return (
    <section class="branding" aria-labelledby={`${p}-branding`} data-testid="branding">
      <h3 id={`${p}-branding`}>{t('brandingTitle')}</h3>
      <p class="muted small">{t('brandingLead')}</p>
      <form onSubmit={submitAccent} noValidate>
        <fieldset>
          <legend>{t('accentLabel')}</legend>
          <div class="accent-row">
            <input
              type="color"
              id={`${p}-accent-pick`}
              aria-label={t('accentPick')}
              value={sample || defaultAccent}
              onInput={(e) => {
                setText(e.currentTarget.value);
                setAccentErr('');
              }}
              data-testid="accent-pick"
            />
            <label for={`${p}-accent`} class="sr-only">
              {t('accentHex')}
            </label>
            <input
              type="text"
              id={`${p}-accent`}
              value={text}
              placeholder={t('accentDefaultHint')}
              maxLength={9}
              spellcheck={false}
              autoComplete="off"
              aria-invalid={typed === null}
              aria-describedby={`${p}-accent-hint ${p}-accent-err`}
              onInput={(e) => {
                setText(e.currentTarget.value);
                setAccentErr('');
              }}
              data-testid="accent-text"
            />
            <span class="accent-sample" aria-hidden="true" style={sample ? { '--sample-bg': sample, '--sample-text': textOn(sample) } : undefined} data-testid="accent-sample">
              {t('accentPreview')}
            </span>
          </div>
          <p class="muted small" id={`${p}-accent-hint`}>
            {t('accentHint')}
          </p>
          <p class="error-text" id={`${p}-accent-err`} role="alert" data-testid="accent-error">
            {accentErr}
          </p>
          <div class="row-actions">
            <button type="submit" class="btn btn-small btn-primary" disabled={busy !== '' || typed === saved} data-testid="accent-save">
              {t('accentSave')}
            </button>
            <button type="button" class="btn btn-small" disabled={busy !== '' || saved === ''} onClick={() => void saveAccent('')} title={t('accentDefaultHint')} data-testid="accent-default">
              {t('accentDefault')}
            </button>
          </div>
        </fieldset>
      </form>
      <fieldset>
        <legend>{t('logoLabel')}</legend>
        <div class="logo-row">
          {logo ? (
            <img class="logo-preview" src={logo} alt={t('logoAlt', { title: event.title })} data-testid="logo-preview" />
          ) : (
            <span class="muted small" data-testid="logo-none">
              {t('logoNone')}
            </span>
          )}
        </div>
        <div class="logo-row">
          <label for={`${p}-logo`} class="sr-only">
            {t('logoLabel')}
          </label>
          <input
            type="file"
            id={`${p}-logo`}
            accept="image/png,image/jpeg,image/webp"
            aria-describedby={`${p}-logo-hint ${p}-logo-err`}
            disabled={busy !== ''}
            onChange={(e) => void pickLogo(e.currentTarget)}
            data-testid="logo-file"
          />
          {logo && (
            <button type="button" class="btn btn-small btn-danger" disabled={busy !== ''} onClick={() => void removeLogo()} data-testid="logo-remove">
              {t('logoRemove')}
            </button>
          )}
          {busy === 'logo' && <span class="muted small">{t('logoUploading')}</span>}
        </div>
        <p class="muted small" id={`${p}-logo-hint`}>
          {t('logoHint', { kib: kib(maxLogoBytes), px: maxLogoPixels })}
        </p>
        <p class="error-text" id={`${p}-logo-err`} role="alert" data-testid="logo-error">
          {logoErr}
        </p>
      </fieldset>
    </section>
  );
}
