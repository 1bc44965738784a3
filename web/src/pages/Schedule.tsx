// An event's schedule (owners; F21, docs/architecture.md "Conference
// operations"): import the talks from a pretalx/frab or Sessionize JSON
// file or URL (preview the plan, then apply it), keep a URL's schedule up
// to date, let the talks' Q&A open and close by their times, and set up
// one projector per room for the whole day.
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { ApiError, api } from '../api';
import { t, useLocale, type Key } from '../i18n';
import {
  byTime, changedRows, isScheduleURL, parseMinutes, parseRefresh, roomsKey, roomScreenPath, summarize,
} from '../state/schedule';
import { caps } from '../state/staff';
import type { ImportedTalk, ImportPlan, KoeEvent, QASchedule, ScheduleSource, Talk } from '../types';
import { Notice, Spinner } from '../ui/chrome';
import { errorText } from '../ui/errors';
import { fmtDate, fmtDateTime, fmtSpan, fmtTime } from '../ui/format';
import { useTitle } from '../ui/hooks';
import { copyText, StaffPage } from '../ui/staff';
import { toast } from '../ui/toast';
import { useJoinBase } from '../ui/usejoinbase';
import { useRooms } from '../ui/userooms';
import { useEventRole } from './AdminEvent';
import { useEventLive } from './Audience';
import '../styles/admin.css';
import '../styles/reactions.css';
import '../styles/schedule.css';

export function SchedulePage({ eventID }: { eventID: number }) {
  useLocale();
  useTitle(t('scheduleTitle'));
  return (
    <StaffPage title={t('scheduleTitle')} wide>
      {() => <Desk eventID={eventID} />}
    </StaffPage>
  );
}

/** The schedule's words for a refusal: the parser's message for a schedule it could not read, else the usual. */
function importError(e: unknown): string {
  if (e instanceof ApiError && e.status === 400 && e.message) return t('scheduleReadError', { msg: e.message });
  return errorText(e);
}

function Desk({ eventID }: { eventID: number }) {
  const { me, err: meErr } = useEventRole(eventID);
  const owner = !!me && me !== 'out' && caps(me.role).manage;
  const { prog, programme, error } = useEventLive(eventID);
  const event = programme.event;
  // Once a URL's schedule was read: offer to keep it up to date.
  const [importedURL, setImportedURL] = useState('');
  const [source, setSource] = useState<ScheduleSource | null | undefined>(undefined);
  useEffect(() => {
    if (!owner) return;
    api.scheduleSource(eventID).then(setSource, (e) => setSource(e instanceof ApiError && e.status === 404 ? null : undefined));
  }, [eventID, owner]);
  const back = (
    <p class="crumbs">
      <a href={`/admin/e/${eventID}`}>← {event?.title ?? t('backToEvent')}</a>
    </p>
  );
  if (meErr || error) {
    return (
      <>
        {back}
        <Notice kind="error">{errorText(meErr ?? error)}</Notice>
      </>
    );
  }
  if (!me || !event) return <Spinner />;
  if (!owner) {
    return (
      <>
        {back}
        <Notice kind="warn">{t('scheduleOwnersOnly')}</Notice>
      </>
    );
  }
  return (
    <div class="sched">
      {back}
      <h1>
        {t('scheduleTitle')} <span class="muted h-sub">{event.title}</span>
      </h1>
      <p class="muted">{t('scheduleLead')}</p>
      <ImportCard event={event} onURL={setImportedURL} />
      <SourceCard eventID={eventID} source={source} offerURL={importedURL} onSource={setSource} tz={event.time_zone} />
      <QAScheduleCard event={event} onEvent={(e) => prog.programme.own({ event: e })} />
      <RoomsCard eventID={eventID} rev={programme.rev} talks={programme.talks} event={event} />
    </div>
  );
}

type Input = { data: string } | { url: string };

function ImportCard({ event, onURL }: { event: KoeEvent; onURL: (url: string) => void }) {
  useLocale();
  const [mode, setMode] = useState<'file' | 'url'>('file');
  const [file, setFile] = useState<{ name: string; text: string } | null>(null);
  const [url, setURL] = useState('');
  const [plan, setPlan] = useState<ImportPlan | null>(null);
  // What the shown plan was made from: Apply sends exactly that.
  const previewed = useRef<Input | null>(null);
  const [busy, setBusy] = useState<'' | 'read' | 'preview' | 'apply'>('');
  const [err, setErr] = useState('');
  const fileInput = useRef<HTMLInputElement>(null);
  const clear = () => {
    setPlan(null);
    previewed.current = null;
    setErr('');
  };
  const input = (): Input | null => (mode === 'file' ? (file ? { data: file.text } : null) : isScheduleURL(url) ? { url: url.trim() } : null);
  const pick = async (el: HTMLInputElement) => {
    const f = el.files?.[0];
    clear();
    if (!f) {
      setFile(null);
      return;
    }
    setBusy('read');
    try {
      setFile({ name: f.name, text: await f.text() });
    } catch {
      setFile(null);
      setErr(t('scheduleFileUnreadable'));
    } finally {
      setBusy('');
    }
  };
  const preview = async (e: Event) => {
    e.preventDefault();
    const body = input();
    if (!body) {
      setErr(mode === 'file' ? t('scheduleChooseFile') : t('scheduleURLInvalid'));
      return;
    }
    clear();
    setBusy('preview');
    try {
      setPlan(await api.importSchedule(event.id, { ...body, dry_run: true }));
      previewed.current = body;
      if ('url' in body) onURL(body.url);
    } catch (e2) {
      setErr(importError(e2));
    } finally {
      setBusy('');
    }
  };
  const apply = async () => {
    const body = previewed.current;
    if (!body) return;
    setBusy('apply');
    setErr('');
    try {
      const done = await api.importSchedule(event.id, { ...body, dry_run: false });
      setPlan(done);
      previewed.current = null;
      const s = summarize(done);
      toast(t('scheduleAppliedToast', { added: s.added, changed: s.changed, removed: s.removed }));
    } catch (e2) {
      setErr(importError(e2));
    } finally {
      setBusy('');
    }
  };
  const p = `sched${event.id}`;
  return (
    <section class="card pad sched-card" aria-labelledby={`${p}-import-h`} data-testid="schedule-import">
      <h2 id={`${p}-import-h`}>{t('scheduleImportTitle')}</h2>
      <p class="muted small">{t('scheduleImportLead')}</p>
      <form onSubmit={preview} noValidate>
        <fieldset class="sched-modes">
          <legend class="sr-only">{t('scheduleFrom')}</legend>
          <label class="check">
            <input type="radio" name={`${p}-mode`} checked={mode === 'file'} onChange={() => (setMode('file'), clear())} data-testid="schedule-mode-file" />
            <span>{t('scheduleFromFile')}</span>
          </label>
          <label class="check">
            <input type="radio" name={`${p}-mode`} checked={mode === 'url'} onChange={() => (setMode('url'), clear())} data-testid="schedule-mode-url" />
            <span>{t('scheduleFromURL')}</span>
          </label>
        </fieldset>
        <div class="sched-input">
          {mode === 'file' ? (
            <div class="field">
              <label for={`${p}-file`}>{t('scheduleFileLabel')}</label>
              <input
                ref={fileInput}
                type="file"
                id={`${p}-file`}
                accept="application/json,.json"
                aria-describedby={`${p}-hint ${p}-err`}
                onChange={(e) => void pick(e.currentTarget)}
                data-testid="schedule-file"
              />
            </div>
          ) : (
            <div class="field">
              <label for={`${p}-url`}>{t('scheduleURLLabel')}</label>
              <input
                type="url"
                id={`${p}-url`}
                value={url}
                placeholder="https://pretalx.com/…/schedule/export/schedule.json"
                spellcheck={false}
                autoComplete="off"
                aria-describedby={`${p}-hint ${p}-err`}
                aria-invalid={url !== '' && !isScheduleURL(url) ? 'true' : undefined}
                onInput={(e) => {
                  setURL(e.currentTarget.value);
                  if (plan) clear();
                }}
                data-testid="schedule-url"
              />
            </div>
          )}
          <button type="submit" class="btn btn-primary" disabled={busy !== '' || !input()} data-testid="schedule-preview">
            {busy === 'preview' ? t('schedulePreviewing') : t('schedulePreview')}
          </button>
        </div>
        <p class="hint" id={`${p}-hint`}>
          {mode === 'file' ? t('scheduleFileHint') : t('scheduleURLHint')}
        </p>
        <p class="error-text" id={`${p}-err`} role="alert" data-testid="schedule-error">
          {err}
        </p>
      </form>
      {plan && (
        <PlanView
          plan={plan}
          tz={event.time_zone}
          busy={busy === 'apply'}
          onApply={plan.applied ? undefined : () => void apply()}
          onCancel={plan.applied ? undefined : clear}
        />
      )}
    </section>
  );
}

const formatName: Record<string, string> = { pretalx: 'pretalx / frab', sessionize: 'Sessionize' };

const fieldName: Record<keyof ImportedTalk, Key> = {
  source_id: 'scheduleFieldSource',
  title: 'titleLabel',
  speaker: 'speakerLabel',
  room: 'scheduleRoom',
  track: 'scheduleTrack',
  language: 'scheduleLanguage',
  starts_at: 'startsLabel',
  ends_at: 'endsLabel',
};

function when(x: Pick<ImportedTalk, 'starts_at' | 'ends_at'>, tz: string): string {
  return x.starts_at ? `${fmtDate(x.starts_at, tz)} ${fmtSpan(x.starts_at, x.ends_at, tz)}` : t('scheduleUntimed');
}

function PlanView({ plan, tz, busy, onApply, onCancel }: { plan: ImportPlan; tz: string; busy: boolean; onApply?: () => void; onCancel?: () => void }) {
  useLocale();
  const s = summarize(plan);
  const added = byTime(plan.added ?? []);
  const changed = changedRows(plan);
  const removed = plan.removed ?? [];
  const counts: [Key, number, string][] = [
    ['schedulePlanAdded', s.added, 'added'],
    ['schedulePlanChanged', s.changed, 'changed'],
    ['schedulePlanRemoved', s.removed, 'removed'],
    ['schedulePlanUnchanged', s.unchanged, 'unchanged'],
  ];
  return (
    <section class="plan" aria-labelledby="plan-h" data-testid="schedule-plan" data-applied={String(plan.applied)}>
      <div class="plan-head">
        <h3 id="plan-h">{plan.applied ? t('schedulePlanApplied') : t('schedulePlanPreview')}</h3>
        <span class="slink-kind" data-testid="plan-format">
          {formatName[plan.format] ?? plan.format}
        </span>
        {plan.title && (
          <span class="plan-title" dir="auto" data-testid="plan-title">
            {plan.title}
          </span>
        )}
      </div>
      {plan.assumed_zone && (
        <p class="banner banner-warn plan-zone" role="status" data-testid="plan-zone">
          {t('scheduleAssumedZone', { zone: plan.assumed_zone })}
        </p>
      )}
      <ul class="plan-counts" aria-label={t('schedulePlanCounts')}>
        {counts.map(([k, n, id]) => (
          <li key={id} class={`plan-count plan-count-${id}`} data-testid={`plan-${id}`} data-n={n}>
            <span class="plan-n">{n}</span>
            <span class="plan-label">{t(k)}</span>
          </li>
        ))}
      </ul>
      {!s.changes && (
        <p class="muted" data-testid="plan-nothing">
          {plan.applied ? t('schedulePlanNothingDone') : t('schedulePlanNothing')}
        </p>
      )}
      {added.length > 0 && (
        <div class="plan-block">
          <h4>{t('schedulePlanAddedH', { n: added.length })}</h4>
          <div class="plan-scroll">
            <table class="plan-table" data-testid="plan-added-table">
              <thead>
                <tr>
                  <th scope="col">{t('scheduleWhen')}</th>
                  <th scope="col">{t('scheduleRoom')}</th>
                  <th scope="col">{t('titleLabel')}</th>
                  <th scope="col">{t('speakerLabel')}</th>
                </tr>
              </thead>
              <tbody>
                {added.map((x) => (
                  <tr key={x.source_id} data-source={x.source_id}>
                    <td class="plan-when">{when(x, tz)}</td>
                    <td dir="auto">{x.room}</td>
                    <td dir="auto" class="plan-talk">{x.title}</td>
                    <td dir="auto">{x.speaker}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </div>
      )}
      {changed.length > 0 && (
        <div class="plan-block">
          <h4>{t('schedulePlanChangedH', { n: changed.length })}</h4>
          <p class="hint">{t('schedulePlanChangedHint')}</p>
          <div class="plan-scroll">
            <table class="plan-table" data-testid="plan-changed-table">
              <thead>
                <tr>
                  <th scope="col">{t('scheduleWhen')}</th>
                  <th scope="col">{t('scheduleRoom')}</th>
                  <th scope="col">{t('titleLabel')}</th>
                  <th scope="col">{t('speakerLabel')}</th>
                  <th scope="col">{t('scheduleWhatChanged')}</th>
                </tr>
              </thead>
              <tbody>
                {changed.map((c) => {
                  const cell = (f: (keyof ImportedTalk)[]) => (f.some((x) => c.fields.has(x)) ? 'plan-diff' : undefined);
                  return (
                    <tr key={c.talk_id} data-talk={c.talk_id}>
                      <td class={`plan-when ${cell(['starts_at', 'ends_at']) ?? ''}`}>{when(c.talk, tz)}</td>
                      <td class={cell(['room'])} dir="auto">{c.talk.room}</td>
                      <td class={`plan-talk ${cell(['title']) ?? ''}`} dir="auto">{c.talk.title}</td>
                      <td class={cell(['speaker'])} dir="auto">{c.talk.speaker}</td>
                      <td class="plan-fields" data-testid="plan-fields">
                        {[...c.fields].map((f) => t(fieldName[f] ?? 'fieldOther')).join(t('listSep'))}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        </div>
      )}
      {removed.length > 0 && (
        <div class="plan-block">
          <h4>{t('schedulePlanRemovedH', { n: removed.length })}</h4>
          <div class="plan-scroll">
            <table class="plan-table" data-testid="plan-removed-table">
              <thead>
                <tr>
                  <th scope="col">{t('titleLabel')}</th>
                  <th scope="col">{t('scheduleWhatHappens')}</th>
                </tr>
              </thead>
              <tbody>
                {removed.map((r) => (
                  <tr key={r.talk_id} data-talk={r.talk_id} data-action={r.action}>
                    <td dir="auto" class="plan-talk">{r.title}</td>
                    <td class={r.action === 'flag' ? 'plan-flag' : 'plan-delete'}>
                      {r.action === 'delete'
                        ? plan.applied ? t('scheduleDeleted') : t('scheduleWillDelete')
                        : plan.applied ? t('scheduleFlagged', { n: r.questions }) : t('scheduleWillFlag', { n: r.questions })}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </div>
      )}
      {onApply && (
        <div class="row-actions plan-actions">
          <button type="button" class="btn btn-primary" disabled={busy || !s.changes} onClick={onApply} data-testid="schedule-apply">
            {busy ? t('scheduleApplying') : t('scheduleApply')}
          </button>
          {onCancel && (
            <button type="button" class="btn btn-ghost" disabled={busy} onClick={onCancel}>
              {t('cancel')}
            </button>
          )}
        </div>
      )}
      {plan.applied && <p class="muted small">{t('scheduleAppliedNote')}</p>}
    </section>
  );
}

function SourceCard({
  eventID, source, offerURL, onSource, tz,
}: { eventID: number; source: ScheduleSource | null | undefined; offerURL: string; onSource: (s: ScheduleSource | null) => void; tz: string }) {
  useLocale();
  const [minutes, setMinutes] = useState(String(source?.refresh_minutes || 15));
  const [busy, setBusy] = useState(false);
  const [err, setErr] = useState('');
  useEffect(() => {
    if (source?.refresh_minutes) setMinutes(String(source.refresh_minutes));
  }, [source?.refresh_minutes]);
  const url = offerURL || source?.url || '';
  if (!source && !offerURL) return null; // none (or not known yet), and no URL read
  const n = parseRefresh(minutes);
  const save = async (e: Event) => {
    e.preventDefault();
    if (n === null) {
      setErr(t('scheduleRefreshInvalid'));
      return;
    }
    setBusy(true);
    setErr('');
    try {
      onSource(await api.setScheduleSource(eventID, { url, refresh_minutes: n }));
      toast(t('scheduleRefreshSaved', { n }));
    } catch (e2) {
      setErr(errorText(e2));
    } finally {
      setBusy(false);
    }
  };
  const stop = async () => {
    setBusy(true);
    setErr('');
    try {
      await api.deleteScheduleSource(eventID);
      onSource(null);
      toast(t('scheduleRefreshStopped'));
    } catch (e2) {
      setErr(errorText(e2));
    } finally {
      setBusy(false);
    }
  };
  const same = !!source && source.url === url;
  return (
    <section class="card pad sched-card" aria-labelledby="sched-src-h" data-testid="schedule-source">
      <h2 id="sched-src-h">{t('scheduleRefreshTitle')}</h2>
      {source && (
        <dl class="facts" data-testid="schedule-source-facts">
          <div>
            <dt>{t('scheduleSourceURL')}</dt>
            <dd class="mono-url">{source.url}</dd>
          </div>
          <div>
            <dt>{t('scheduleSourceEvery')}</dt>
            <dd>{source.refresh_minutes ? t('scheduleEveryN', { n: source.refresh_minutes }) : t('scheduleNever')}</dd>
          </div>
          <div>
            <dt>{t('scheduleSourceChecked')}</dt>
            <dd>{source.checked_at ? fmtDateTime(source.checked_at, tz) : t('scheduleNotYet')}</dd>
          </div>
          <div>
            <dt>{t('scheduleSourceChanged')}</dt>
            <dd>{source.changed_at ? fmtDateTime(source.changed_at, tz) : t('scheduleNotYet')}</dd>
          </div>
          {source.error && (
            <div>
              <dt>{t('scheduleSourceError')}</dt>
              <dd class="error-text" data-testid="schedule-source-error">
                {source.error}
              </dd>
            </div>
          )}
        </dl>
      )}
      <form class="sched-refresh" onSubmit={save} noValidate>
        <label for="sched-every" class="sched-every">
          <span>{same ? t('scheduleRefreshEveryBefore') : t('scheduleKeepBefore')}</span>
          <input
            id="sched-every"
            type="number"
            min={5}
            max={1440}
            step={1}
            value={minutes}
            aria-invalid={n === null ? 'true' : undefined}
            aria-describedby="sched-every-hint"
            onInput={(e) => setMinutes(e.currentTarget.value)}
            data-testid="schedule-refresh-minutes"
          />
          <span>{t('scheduleKeepAfter')}</span>
        </label>
        <button type="submit" class="btn btn-primary btn-small" disabled={busy || n === null || (same && source?.refresh_minutes === n)} data-testid="schedule-refresh-save">
          {same ? t('save') : t('scheduleKeepButton')}
        </button>
        {source && (
          <button type="button" class="btn btn-small btn-danger" disabled={busy} onClick={() => void stop()} data-testid="schedule-refresh-stop">
            {t('scheduleRefreshStop')}
          </button>
        )}
      </form>
      <p class="hint" id="sched-every-hint">
        {same ? t('scheduleRefreshHint') : t('scheduleKeepHint', { url })}
      </p>
      <p class="error-text" role="alert">
        {err}
      </p>
    </section>
  );
}

const defaultQA: QASchedule = { follow: false, opens_before_min: 10, closes_after_min: 15 };

function QAScheduleCard({ event, onEvent }: { event: KoeEvent; onEvent: (e: KoeEvent) => void }) {
  useLocale();
  const saved = event.settings.qa_schedule ?? defaultQA;
  const [follow, setFollow] = useState(saved.follow);
  const [before, setBefore] = useState(String(saved.opens_before_min));
  const [after, setAfter] = useState(String(saved.closes_after_min));
  const [busy, setBusy] = useState(false);
  const [err, setErr] = useState('');
  useEffect(() => {
    setFollow(saved.follow);
    setBefore(String(saved.opens_before_min));
    setAfter(String(saved.closes_after_min));
  }, [event.version]);
  const b = parseMinutes(before);
  const a = parseMinutes(after);
  const dirty = follow !== saved.follow || b !== saved.opens_before_min || a !== saved.closes_after_min;
  const submit = async (e: Event) => {
    e.preventDefault();
    if (b === null || a === null) {
      setErr(t('scheduleMinutesInvalid'));
      return;
    }
    setBusy(true);
    setErr('');
    try {
      // Settings are replaced whole: send them all (not the logo, which is set by uploading).
      const { logo: _logo, ...settings } = event.settings;
      onEvent(await api.updateEvent(event.id, { settings: { ...settings, qa_schedule: { follow, opens_before_min: b, closes_after_min: a } } }));
      toast(t('saved'));
    } catch (e2) {
      setErr(errorText(e2));
    } finally {
      setBusy(false);
    }
  };
  return (
    <section class="card pad sched-card" aria-labelledby="sched-qa-h" data-testid="schedule-qa">
      <h2 id="sched-qa-h">{t('scheduleQATitle')}</h2>
      <p class="muted small">{t('scheduleQALead')}</p>
      <form onSubmit={submit} noValidate>
        <label class="check">
          <input type="checkbox" checked={follow} onChange={(e) => setFollow(e.currentTarget.checked)} data-testid="schedule-qa-follow" />
          <span>{t('scheduleQAFollow')}</span>
        </label>
        <div class="sched-minutes">
          <div class="field">
            <label for="sched-qa-before">{t('scheduleQABefore')}</label>
            <input
              id="sched-qa-before"
              type="number"
              min={0}
              max={240}
              step={1}
              value={before}
              disabled={!follow}
              aria-invalid={b === null ? 'true' : undefined}
              aria-describedby="sched-qa-hint"
              onInput={(e) => setBefore(e.currentTarget.value)}
              data-testid="schedule-qa-before"
            />
          </div>
          <div class="field">
            <label for="sched-qa-after">{t('scheduleQAAfter')}</label>
            <input
              id="sched-qa-after"
              type="number"
              min={0}
              max={240}
              step={1}
              value={after}
              disabled={!follow}
              aria-invalid={a === null ? 'true' : undefined}
              aria-describedby="sched-qa-hint"
              onInput={(e) => setAfter(e.currentTarget.value)}
              data-testid="schedule-qa-after"
            />
          </div>
        </div>
        <p class="hint" id="sched-qa-hint">
          {t('scheduleQAHint')}
        </p>
        <p class="error-text" role="alert">
          {err}
        </p>
        <button type="submit" class="btn btn-primary btn-small" disabled={busy || !dirty} data-testid="schedule-qa-save">
          {t('save')}
        </button>
      </form>
    </section>
  );
}

function CopyURL({ id, label, value, testid }: { id: string; label: string; value: string; testid: string }) {
  const input = useRef<HTMLInputElement>(null);
  return (
    <div class="slink-url">
      <label for={id} class="sr-only">
        {label}
      </label>
      <input id={id} ref={input} readOnly value={value} spellcheck={false} onFocus={(e) => e.currentTarget.select()} data-testid={testid} />
      <button type="button" class="btn btn-small" onClick={async () => toast((await copyText(value, input.current)) ? t('screenLinkCopied') : t('copyFailed'))}>
        {t('copy')}
      </button>
      <a class="btn btn-small" href={value} target="_blank" rel="noopener">
        {t('screenLinkOpen')}
      </a>
    </div>
  );
}

function RoomsCard({ eventID, rev, talks, event }: { eventID: number; rev: number; talks: Map<number, Talk>; event: KoeEvent }) {
  useLocale();
  const tz = event.time_zone;
  const key = useMemo(() => roomsKey(talks.values(), event), [rev, event.version]);
  const { list, error } = useRooms(eventID, key);
  const base = useJoinBase().replace(/\/+$/, '');
  return (
    <section class="card pad sched-card" aria-labelledby="sched-rooms-h" data-testid="schedule-rooms">
      <h2 id="sched-rooms-h">{t('scheduleRoomsTitle')}</h2>
      <p class="muted small">{t('scheduleRoomsLead')}</p>
      {error && !list ? (
        <Notice kind="error">{errorText(error)}</Notice>
      ) : !list ? (
        <Spinner />
      ) : list.rooms.length === 0 ? (
        <p class="empty" data-testid="schedule-rooms-none">
          {t('scheduleRoomsNone')}
        </p>
      ) : (
        <ul class="sched-rooms">
          {list.rooms.map((r, i) => {
            const tk = r.talk_id ? talks.get(r.talk_id) : undefined;
            const next = r.next_talk_id ? talks.get(r.next_talk_id) : undefined;
            return (
              <li key={r.name} class="sched-room" data-room={r.name} data-testid="schedule-room">
                <div class="sched-room-head">
                  <span class="sched-room-name" dir="auto">
                    {r.name}
                  </span>
                  <span class="sched-room-talk" data-testid="schedule-room-talk">
                    {tk ? (
                      <>
                        <span class="muted">{t('scheduleRoomShows')}</span> <span dir="auto">{tk.title}</span>
                        {tk.starts_at && <span class="muted"> ({fmtSpan(tk.starts_at, tk.ends_at, tz)})</span>}
                      </>
                    ) : (
                      <span class="muted">{t('scheduleRoomNothing')}</span>
                    )}
                  </span>
                  {next && r.switch_at && (
                    <span class="muted small" data-testid="schedule-room-next">
                      {t('scheduleRoomNext', { title: next.title, at: fmtTime(r.switch_at, tz) })}
                    </span>
                  )}
                </div>
                <CopyURL id={`sched-room-${i}`} label={t('scheduleRoomURL', { room: r.name })} value={`${base}${roomScreenPath(eventID, r.name)}`} testid="schedule-room-url" />
              </li>
            );
          })}
        </ul>
      )}
      <p class="hint">
        {t('scheduleRoomsByLink')} <a href={`/admin/e/${eventID}/screens`}>{t('screenLinksButton')}</a>
      </p>
    </section>
  );
}
