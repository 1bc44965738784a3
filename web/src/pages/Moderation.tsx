// The moderator console of one event: one live queue of the reviews of
// every talk (docs/architecture.md "States and reviews"), claims shown as
// "being reviewed by", decisions with undo, bulk decisions, bans, and the
// keyboard (j/k, a, r, e, b, u, ?).
import type { ComponentChildren } from 'preact';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { ApiError, api } from '../api';
import { t, useLocale, type Key } from '../i18n';
import { byOldest, claimedBy, isOpen, keyAction, ReviewSession, shortcutList, step, successor, undoLeft, type KeyAction } from '../state/reviews';
import { caps } from '../state/staff';
import { atHandle, platformName } from '../state/posts';
import type { Ban, EventRole, Post, Review, ReviewReason } from '../types';
import { ConnectionBanner, Header, Notice, Spinner, StatusPill } from '../ui/chrome';
import { errorText } from '../ui/errors';
import { relTime } from '../ui/format';
import { useNow, useObservable, useTitle } from '../ui/hooks';
import { StaffTools } from '../ui/staff';
import { toast } from '../ui/toast';
import { useWhoami } from '../ui/whoami';
import { useEventLive } from './Audience';
import { RoleGate } from './AdminEvent';
import { ModerationSettingsForm } from './ModerationSettings';
import '../styles/admin.css';
import '../styles/moderation.css';
import '../styles/feed.css';

type ConsoleTab = 'queue' | 'decided' | 'bans' | 'settings';

/** Claims last 30 s; the console renews its claim of the selected review this often. */
const renewMs = 20_000;

export function ModerationPage({ eventID }: { eventID: number }) {
  return (
    <RoleGate eventID={eventID} title={t('modConsole')} allow={(role) => caps(role).moderate} refusal={t('moderatorsOnly')}>
      {(me) => <Console eventID={eventID} role={me.role} />}
    </RoleGate>
  );
}

function Console({ eventID, role }: { eventID: number; role: EventRole }) {
  const who = useWhoami();
  const myID = who.status === 'in' ? (who.who.account?.id ?? 0) : null;
  const now = useNow(1000);
  const { live, prog, programme, status, error } = useEventLive(eventID);
  const session = useMemo(() => new ReviewSession(api, live, eventID), [live, eventID]);
  const queue = session.queue;
  useObservable(queue);
  const [ready, setReady] = useState(false);
  const [loadErr, setLoadErr] = useState<unknown>(null);
  useEffect(() => {
    session.start().then(() => setReady(true), setLoadErr);
    return () => session.stop();
  }, [session]);

  const event = programme.event;
  useTitle(event ? `${t('modConsole')}: ${event.title}` : t('modConsole'));
  const [tab, setTab] = useState<ConsoleTab>('queue');
  const [talkID, setTalkID] = useState<number | null>(null);
  const [selected, setSelected] = useState<number | null>(null);
  const [checked, setChecked] = useState<Set<number>>(new Set());
  const [editing, setEditing] = useState<number | null>(null);
  const [banFor, setBanFor] = useState<Review | null>(null);
  const [help, setHelp] = useState(false);
  const [bansRev, setBansRev] = useState(0);
  // The last decision this console made, for the undo bar and "u".
  const [last, setLast] = useState<Review | null>(null);
  const filter = { talkID };
  const open = queue.open(filter);
  const sel = selected !== null ? queue.get(selected) : undefined;
  // A review decided elsewhere while selected stays in view, resolved.
  const shown = sel && !isOpen(sel) && (!talkID || sel.talk_id === talkID) ? [...open, sel].sort(byOldest) : open;
  const counts = queue.counts(now, filter);
  const talks = programme.ordered(now);
  const talkTitle = (id: number) => programme.talks.get(id)?.title ?? t('talkNumber', { n: id });
  const posts = usePostsOf(eventID, tab === 'decided' ? queue.decided(filter) : shown);
  const postOf = (r: Review) => (r.kind === 'post' ? posts.get(r.subject_id) : undefined);

  // Claim the selected review while it is open: at once, then renewed.
  const selOpen = !!sel && isOpen(sel);
  useEffect(() => {
    if (selected === null || !selOpen || tab !== 'queue') return;
    let alive = true;
    const claim = () =>
      api.claim(eventID, selected).then(
        (r) => alive && queue.own(r),
        (e) => {
          // 409: another moderator holds it; the stream shows who.
          const r = e instanceof ApiError ? (e.body.review as Review | undefined) : undefined;
          if (alive && r && typeof r.id === 'number') queue.own(r);
        },
      );
    void claim();
    const timer = setInterval(claim, renewMs);
    return () => {
      alive = false;
      clearInterval(timer);
      api.release(eventID, selected).catch(() => {});
    };
  }, [selected, selOpen, tab, eventID]);

  // Release the claim when the page goes away without unmounting (tab closed).
  useEffect(() => {
    const off = () => {
      if (selected !== null && selOpen) void fetch(`/api/v1/events/${eventID}/reviews/${selected}/claim`, { method: 'DELETE', credentials: 'same-origin', keepalive: true }).catch(() => {});
    };
    window.addEventListener('pagehide', off);
    return () => window.removeEventListener('pagehide', off);
  }, [selected, selOpen, eventID]);

  const conflict = async (e: unknown, id: number) => {
    if (!(e instanceof ApiError) || e.status !== 409) {
      toast(errorText(e), 'error');
      return;
    }
    const r = e.body.review as Review | undefined;
    if (r && typeof r.id === 'number') queue.own(r);
    else await session.refresh().catch(() => {});
    const now2 = queue.get(id);
    toast(now2?.decision ? decidedText(now2) : t('alreadyDecided'), 'info');
  };

  const decide = async (r: Review, decision: 'approve' | 'reject', body?: string) => {
    const before = shown;
    try {
      const res = await api.decide(eventID, r.id, decision, body);
      queue.own(res);
      setLast(res);
      setEditing(null);
      if (selected === r.id) setSelected(successor(before, queue.open(filter), r.id));
      setChecked((c) => {
        const n = new Set(c);
        n.delete(r.id);
        return n;
      });
    } catch (e) {
      await conflict(e, r.id);
    }
  };

  const decideMany = async (decision: 'approve' | 'reject') => {
    const ids = [...checked].filter((id) => {
      const r = queue.get(id);
      return r && isOpen(r);
    }).slice(0, 100);
    if (ids.length === 0) return;
    try {
      const res = await api.decideMany(eventID, ids, decision);
      for (const r of res.reviews) queue.own(r);
      const conflicts = res.conflicts ?? [];
      if (conflicts.length) await session.refresh().catch(() => {});
      setChecked(new Set());
      if (selected !== null && ids.includes(selected)) setSelected(null);
      toast(
        t(decision === 'approve' ? 'bulkApproved' : 'bulkRejected', { n: res.reviews.length }) +
          (conflicts.length ? ` ${t('bulkConflicts', { n: conflicts.length })}` : ''),
      );
    } catch (e) {
      toast(errorText(e), 'error');
    }
  };

  const undo = async (r: Review) => {
    try {
      const res = await api.undo(eventID, r.id);
      queue.own(res);
      if (last?.id === r.id) setLast(null);
      if (isOpen(res) && tab === 'queue') setSelected(res.id);
      toast(t('undone'));
    } catch (e) {
      toast(e instanceof ApiError && e.status === 409 && undoLeft(r, Date.now()) === 0 ? t('undoTooLate') : errorText(e), 'error');
    }
  };

  // The keyboard. The handler reads the latest state through a ref.
  const keyState = useRef({ shown, sel, last, help, banFor, editing, tab, decide, undo });
  keyState.current = { shown, sel, last, help, banFor, editing, tab, decide, undo };
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const act: KeyAction | null = keyAction(e, e.target as HTMLElement | null);
      if (!act) return;
      const s = keyState.current;
      if (s.banFor) return; // the ban dialog has the keyboard
      if (s.help) {
        if (act === 'help' || act === 'close') {
          e.preventDefault();
          setHelp(false);
        }
        return;
      }
      if (act === 'help') {
        e.preventDefault();
        setHelp(true);
        return;
      }
      if (act === 'undo') {
        if (s.last && undoLeft(s.last, Date.now()) > 0) void s.undo(s.last);
        return;
      }
      if (s.tab !== 'queue') return;
      const r = s.sel && isOpen(s.sel) ? s.sel : null;
      switch (act) {
        case 'next':
        case 'prev': {
          e.preventDefault();
          const id = step(s.shown, s.sel?.id ?? null, act === 'next' ? 1 : -1);
          setSelected(id);
          if (id !== null) document.querySelector<HTMLElement>(`[data-rid="${id}"] .rv-select`)?.focus();
          break;
        }
        case 'approve':
          if (r) void s.decide(r, 'approve');
          break;
        case 'reject':
          if (r) void s.decide(r, 'reject');
          break;
        case 'edit':
          if (r && editable(r)) {
            e.preventDefault();
            setEditing(r.id);
          }
          break;
        case 'ban':
          if (s.sel && !s.sel.banned && s.sel.kind !== 'post') setBanFor(s.sel);
          break;
        case 'close':
          if (s.editing !== null) setEditing(null);
          else setSelected(null);
          break;
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [eventID, session]);

  const fatal = error ?? loadErr;
  const tabs: [ConsoleTab, string, number | undefined][] = [
    ['queue', t('modTabQueue'), counts.pending + counts.flagged],
    ['decided', t('modTabDecided'), undefined],
    ['bans', t('modTabBans'), undefined],
    ['settings', t('modTabSettings'), undefined],
  ];
  const onTabKey = (e: KeyboardEvent) => {
    const i = tabs.findIndex(([k]) => k === tab);
    let next = -1;
    if (e.key === 'ArrowRight') next = (i + 1) % tabs.length;
    else if (e.key === 'ArrowLeft') next = (i - 1 + tabs.length) % tabs.length;
    if (next < 0) return;
    e.preventDefault();
    setTab(tabs[next][0]);
    document.getElementById(`mtab-${tabs[next][0]}`)?.focus();
  };
  const lastLeft = last ? undoLeft(last, now) : 0;

  return (
    <>
      <Header title={event?.title} wide>
        <StatusPill status={status} />
        <StaffTools />
      </Header>
      <ConnectionBanner status={status} />
      <main id="main" class="page admin admin-wide mod-console">
        <p class="crumbs">
          <a href={`/admin/e/${eventID}`}>← {t('backToEvent')}</a>
        </p>
        {fatal ? (
          <Notice kind="error">{errorText(fatal)}</Notice>
        ) : !event || !ready ? (
          <Spinner />
        ) : (
          <>
            <div class="mc-head">
              <h1>{t('modConsole')}</h1>
              <button type="button" class="btn btn-small btn-ghost" onClick={() => setHelp(true)} aria-keyshortcuts="?">
                {t('modKeysButton')}
              </button>
            </div>
            <dl class="mc-counts" data-testid="mod-counts">
              <div class="mc-count" data-count="pending">
                <dt>{t('countPending')}</dt>
                <dd>{counts.pending}</dd>
              </div>
              <div class="mc-count" data-count="flagged">
                <dt>{t('countFlagged')}</dt>
                <dd>{counts.flagged}</dd>
              </div>
              <div class="mc-count" data-count="decided">
                <dt>{t('countDecidedMinute')}</dt>
                <dd>{counts.decided_last_minute}</dd>
              </div>
            </dl>
            <div class="mc-bar">
              <div class="tabs mc-tabs" role="tablist" aria-label={t('modConsole')} onKeyDown={onTabKey}>
                {tabs.map(([k, label, n]) => (
                  <button
                    type="button"
                    role="tab"
                    id={`mtab-${k}`}
                    key={k}
                    class="tab"
                    aria-selected={tab === k}
                    aria-controls="mod-panel"
                    tabIndex={tab === k ? 0 : -1}
                    onClick={() => setTab(k)}
                  >
                    {label}
                    {n !== undefined && <span class="tab-count">{n}</span>}
                  </button>
                ))}
              </div>
              {(tab === 'queue' || tab === 'decided') && talks.length > 1 && (
                <label class="inline-field mc-filter">
                  <span>{t('talkFilter')}</span>
                  <select value={talkID ?? ''} onChange={(e) => setTalkID(e.currentTarget.value ? +e.currentTarget.value : null)} data-testid="talk-filter">
                    <option value="">{t('allTalksFilter')}</option>
                    {talks.map((tk) => (
                      <option key={tk.id} value={tk.id}>
                        {tk.title}
                      </option>
                    ))}
                  </select>
                </label>
              )}
            </div>
            <div id="mod-panel" role="tabpanel" aria-labelledby={`mtab-${tab}`} class="mc-panel">
              {tab === 'queue' && (
                <Queue
                  list={shown}
                  checked={checked}
                  setChecked={setChecked}
                  selected={selected}
                  setSelected={setSelected}
                  editing={editing}
                  setEditing={setEditing}
                  myID={myID}
                  now={now}
                  talkTitle={talkTitle}
                  postOf={postOf}
                  onDecide={decide}
                  onBulk={decideMany}
                  onBan={setBanFor}
                  onUndo={undo}
                />
              )}
              {tab === 'decided' && <Decided list={queue.decided(filter)} myID={myID} now={now} talkTitle={talkTitle} postOf={postOf} onUndo={undo} onBan={setBanFor} />}
              {tab === 'bans' && <Bans eventID={eventID} rev={bansRev + queue.bansRev} now={now} />}
              {tab === 'settings' && (
                <ModerationSettingsForm
                  eventID={eventID}
                  event={event}
                  canMode={caps(role).manage}
                  talks={talks}
                  onEvent={(e) => prog.programme.own({ event: e })}
                />
              )}
            </div>
          </>
        )}
      </main>
      {last && lastLeft > 0 && (
        <div class="undo-bar" role="status" data-testid="undo-bar">
          <span>
            {t(last.state === 'rejected' ? 'youRejected' : 'youApproved')} {t('undoLeft', { s: lastLeft })}
          </span>
          <button type="button" class="btn btn-small" onClick={() => void undo(last)} aria-keyshortcuts="u">
            {t('undo')}
          </button>
          <button type="button" class="toast-close" onClick={() => setLast(null)} aria-label={t('dismiss')}>
            ×
          </button>
        </div>
      )}
      {help && <HelpDialog onClose={() => setHelp(false)} />}
      {banFor && (
        <BanDialog
          review={banFor}
          onClose={() => setBanFor(null)}
          onBan={async (hide, reason) => {
            await api.ban(eventID, { review_id: banFor.id, hide_items: hide, reason });
            setBanFor(null);
            setBansRev((n) => n + 1);
            toast(t('banned', { name: banFor.author_name || t('anonymous') }));
            await session.refresh().catch(() => {});
          }}
        />
      )}
    </>
  );
}

/** "Approved by Aiko" / "Rejected by Kenji". */
export function decidedText(r: Review): string {
  const by = r.decision?.by || 'koe';
  return (r.decision?.decision ?? r.state) === 'rejected' ? t('rejectedBy', { by }) : t('approvedBy', { by });
}

const reasonKind: Record<string, Key> = { mode: 'reasonMode', rule: 'reasonRule', word: 'reasonWord', scorer: 'reasonScorer' };
const ruleNames: Record<string, Key> = { links: 'ruleLinks', repeat: 'ruleRepeat', duplicate: 'ruleDuplicate', scorer_unavailable: 'ruleUnavailable' };

function reasonLabel(r: ReviewReason): string {
  if (r.kind === 'mode') return t('reasonPremod');
  const name = r.kind === 'rule' && ruleNames[r.name] ? t(ruleNames[r.name]) : r.name;
  return `${reasonKind[r.kind] ? t(reasonKind[r.kind]) : r.kind}: ${name}`;
}

export function Reasons({ r }: { r: Pick<Review, 'reasons' | 'banned'> }) {
  const reasons = r.reasons ?? [];
  if (reasons.length === 0 && !r.banned) return null;
  return (
    <ul class="rv-reasons" aria-label={t('reasonsLabel')}>
      {reasons.map((x, i) => (
        <li key={i} class={`chip chip-${x.kind}`} data-reason={x.kind} title={x.detail || undefined}>
          {reasonLabel(x)}
          {typeof x.score === 'number' && x.kind !== 'mode' && <span class="chip-score">{x.score.toFixed(2)}</span>}
        </li>
      ))}
      {r.banned && <li class="chip chip-banned">{t('bannedChip')}</li>}
    </ul>
  );
}

function Score({ r }: { r: Review }) {
  if (!r.score) return null;
  const pct = Math.round(r.score.bad * 100);
  const grams = (r.score.ngrams ?? []).slice(0, 8);
  return (
    <div class="rv-score">
      <div class="rv-score-head">
        <span>{t('learnedScore')}</span>
        <span class="rv-meter" aria-hidden="true">
          <span style={{ width: `${pct}%` }} class={pct >= 70 ? 'rv-meter-bad' : ''} />
        </span>
        <strong>{t('percent', { n: pct })}</strong>
      </div>
      {grams.length > 0 && (
        <p class="rv-ngrams small">
          <span class="muted">{t('ngramsLabel')}</span>{' '}
          {grams.map((g) => (
            <span key={g.ngram} class={g.weight > 0 ? 'ngram ngram-bad' : 'ngram ngram-good'} title={g.weight.toFixed(2)}>
              {`“${g.ngram}”`}
              <span class="sr-only"> {g.weight.toFixed(2)}</span>
            </span>
          ))}
        </p>
      )}
    </div>
  );
}

interface QueueProps {
  list: Review[];
  checked: Set<number>;
  setChecked: (s: Set<number>) => void;
  selected: number | null;
  setSelected: (id: number | null) => void;
  editing: number | null;
  setEditing: (id: number | null) => void;
  myID: number | null;
  now: number;
  talkTitle: (id: number) => string;
  postOf: (r: Review) => Post | undefined;
  onDecide: (r: Review, d: 'approve' | 'reject', body?: string) => Promise<void>;
  onBulk: (d: 'approve' | 'reject') => Promise<void>;
  onBan: (r: Review) => void;
  onUndo: (r: Review) => Promise<void>;
}

function Queue(p: QueueProps) {
  useLocale();
  const openIDs = p.list.filter(isOpen).map((r) => r.id);
  const nChecked = openIDs.filter((id) => p.checked.has(id)).length;
  const all = openIDs.length > 0 && nChecked === openIDs.length;
  return (
    <>
      <div class="mc-bulk">
        <label class="check">
          <input
            type="checkbox"
            checked={all}
            ref={(el) => {
              if (el) el.indeterminate = nChecked > 0 && !all;
            }}
            disabled={openIDs.length === 0}
            onChange={() => p.setChecked(all ? new Set() : new Set(openIDs))}
            data-testid="check-all"
          />
          <span>{t('selectAll')}</span>
        </label>
        <button type="button" class="btn btn-small" disabled={nChecked === 0} onClick={() => void p.onBulk('approve')} data-testid="bulk-approve">
          {t('approveSelected', { n: nChecked })}
        </button>
        <button type="button" class="btn btn-small btn-danger" disabled={nChecked === 0} onClick={() => void p.onBulk('reject')} data-testid="bulk-reject">
          {t('rejectSelected', { n: nChecked })}
        </button>
        <span class="muted small mc-keyhint">{t('modKeyHint')}</span>
      </div>
      {p.list.length === 0 ? (
        <p class="empty" data-testid="queue-empty">
          {t('queueEmpty')}
        </p>
      ) : (
        <ul class="rv-list" data-testid="review-list">
          {p.list.map((r) => (
            <ReviewItem key={r.id} r={r} {...p} />
          ))}
        </ul>
      )}
    </>
  );
}

function ReviewItem({ r, checked, setChecked, selected, setSelected, editing, setEditing, myID, now, talkTitle, postOf, onDecide, onBan, onUndo }: QueueProps & { r: Review }) {
  const isSel = selected === r.id;
  const open = isOpen(r);
  const other = open ? claimedBy(r, myID, now) : null;
  const [body, setBody] = useState(r.body);
  useEffect(() => setBody(r.body), [editing === r.id]);
  const cls = ['rv', isSel && 'rv-selected', !open && 'rv-resolved', `rv-${r.state}`].filter(Boolean).join(' ');
  const toggle = (on: boolean) => {
    const n = new Set(checked);
    if (on) n.add(r.id);
    else n.delete(r.id);
    setChecked(n);
  };
  return (
    <li class={cls} data-rid={r.id} data-state={r.state} data-kind={r.kind} data-testid="review" aria-current={isSel ? 'true' : undefined}>
      <div class="rv-row">
        {open ? (
          <input type="checkbox" class="rv-check" checked={checked.has(r.id)} onChange={(e) => toggle(e.currentTarget.checked)} aria-label={t('selectReview', { text: r.body.slice(0, 40) })} />
        ) : (
          <span class="rv-check" />
        )}
        <button type="button" class="rv-select" aria-expanded={isSel} onClick={() => setSelected(isSel ? null : r.id)}>
          <span class="rv-body" dir="auto">
            {r.body}
          </span>
          <span class="rv-meta">
            <span class={`state state-${r.state}`}>{stateName(r.state)}</span>
            <span>{kindName(r.kind)}</span>
            <span aria-hidden="true">·</span>
            <Origin r={r} talkTitle={talkTitle} post={postOf(r)} />
            <span aria-hidden="true">·</span>
            <time dateTime={r.created_at}>{relTime(r.created_at, now)}</time>
          </span>
        </button>
      </div>
      <div class="rv-info">
        <Reasons r={r} />
        {other && (
          <p class="rv-claim" data-testid="claimed-by">
            <span class="rv-claim-dot" aria-hidden="true" />
            {t('beingReviewedBy', { name: other })}
          </p>
        )}
        {!open && r.decision && (
          <p class={`rv-resolved-note state-${r.state}`} data-testid="resolved">
            {decidedText(r)} · {relTime(r.decision.at, now)}
          </p>
        )}
      </div>
      {isSel && (
        <div class="rv-detail">
          <Score r={r} />
          {editing === r.id && open ? (
            <form
              class="edit-form"
              onSubmit={(e) => {
                e.preventDefault();
                void onDecide(r, 'approve', body);
              }}
            >
              <label for={`rv-edit-${r.id}`} class="label">
                {t('editBeforeApproving')}
              </label>
              <textarea
                id={`rv-edit-${r.id}`}
                value={body}
                rows={3}
                dir="auto"
                autoFocus
                onInput={(e) => setBody(e.currentTarget.value)}
                onKeyDown={(e) => {
                  if (e.key === 'Escape') setEditing(null);
                  if (e.key === 'Enter' && (e.metaKey || e.ctrlKey)) void onDecide(r, 'approve', body);
                }}
              />
              <div class="row-actions">
                <button type="submit" class="btn btn-small btn-primary" disabled={!body.trim()}>
                  {t('saveAndApprove')}
                </button>
                <button type="button" class="btn btn-small btn-ghost" onClick={() => setEditing(null)}>
                  {t('cancel')}
                </button>
              </div>
            </form>
          ) : open ? (
            <div class="row-actions rv-actions">
              <button type="button" class="btn btn-small btn-primary" data-action="approve" onClick={() => void onDecide(r, 'approve')} aria-keyshortcuts="a">
                {t('approve')}
              </button>
              <button type="button" class="btn btn-small btn-danger" data-action="reject" onClick={() => void onDecide(r, 'reject')} aria-keyshortcuts="r">
                {t('reject')}
              </button>
              {editable(r) && (
                <button type="button" class="btn btn-small" data-action="edit" onClick={() => setEditing(r.id)} aria-keyshortcuts="e">
                  {t('editAndApprove')}
                </button>
              )}
              {!r.banned && r.kind !== 'post' && (
                <button type="button" class="btn btn-small btn-ghost btn-danger" data-action="ban" onClick={() => onBan(r)} aria-keyshortcuts="b">
                  {t('banAuthor')}
                </button>
              )}
            </div>
          ) : (
            r.decision?.account_id === myID && undoLeft(r, now) > 0 && (
              <div class="row-actions">
                <button type="button" class="btn btn-small" onClick={() => void onUndo(r)}>
                  {t('undoN', { s: undoLeft(r, now) })}
                </button>
              </div>
            )
          )}
        </div>
      )}
    </li>
  );
}

function kindName(k: Review['kind']): string {
  if (k === 'answer') return t('pollAdminReviewAnswer');
  return k === 'reply' ? t('kindReply') : k === 'post' ? t('kindPost') : t('kindQuestion');
}

/** Whether a moderator may fix the text before approving: questions and replies (not a social post, nor a poll's answer, whose words are counted as written). */
function editable(r: Review): boolean {
  return r.kind === 'question' || r.kind === 'reply';
}

/**
 * Who wrote a review's text and where: the author and the talk, or for a
 * social post (of no talk) its platform, author and handle.
 */
function Origin({ r, talkTitle, post }: { r: Review; talkTitle: (id: number) => string; post: Post | undefined }) {
  if (r.kind !== 'post') {
    return (
      <>
        <span dir="auto">{r.author_name || t('anonymous')}</span>
        <span aria-hidden="true">·</span>
        <span dir="auto">{talkTitle(r.talk_id)}</span>
      </>
    );
  }
  // The review names the author by handle when the post gives no name.
  const name = post?.author_name || (post ? '' : r.author_name);
  const handle = post ? atHandle(post.author_handle) : '';
  return (
    <span class="rv-post-origin" data-testid="review-post">
      {post && <span class={`platform platform-${post.platform}`}>{platformName(post.platform)}</span>}
      {name && <span dir="auto">{name}</span>}
      {handle && (
        <span dir="ltr" class="rv-handle">
          {handle}
        </span>
      )}
      {!name && !handle && <span>{t('anonymous')}</span>}
    </span>
  );
}

/**
 * The posts that the reviews of kind "post" in list are about (a review
 * carries the text, not the platform or the handle): read from the posts
 * lists when one is not held yet.
 */
function usePostsOf(eventID: number, list: Review[]): Map<number, Post> {
  const [posts, setPosts] = useState<Map<number, Post>>(new Map());
  const missing = list
    .filter((r) => r.kind === 'post' && !posts.has(r.subject_id))
    .map((r) => r.subject_id)
    .sort((a, b) => a - b)
    .join(',');
  useEffect(() => {
    if (!missing) return;
    let alive = true;
    void Promise.all(
      (['pending', 'approved', 'rejected'] as const).map((status) => api.posts(eventID, { status, limit: 100 }).then((l) => l.posts ?? [], () => [] as Post[])),
    ).then((lists) => {
      if (!alive) return;
      setPosts((m) => {
        const n = new Map(m);
        for (const p of lists.flat()) n.set(p.id, p);
        return n;
      });
    });
    return () => {
      alive = false;
    };
  }, [eventID, missing]);
  return posts;
}

function stateName(s: Review['state']): string {
  switch (s) {
    case 'pending':
      return t('statePending');
    case 'flagged':
      return t('stateFlagged');
    case 'approved':
      return t('stateApproved');
    case 'rejected':
      return t('stateRejected');
  }
  return s;
}

function Decided({ list, myID, now, talkTitle, postOf, onUndo, onBan }: { list: Review[]; myID: number | null; now: number; talkTitle: (id: number) => string; postOf: (r: Review) => Post | undefined; onUndo: (r: Review) => Promise<void>; onBan: (r: Review) => void }) {
  useLocale();
  if (list.length === 0) return <p class="empty">{t('decidedEmpty')}</p>;
  return (
    <ul class="rv-list" data-testid="decided-list">
      {list.map((r) => {
        // Only the decider may undo (koe.Undoable).
        const left = r.decision?.account_id === myID ? undoLeft(r, now) : 0;
        return (
          <li key={r.id} class={`rv rv-decided rv-${r.state}`} data-rid={r.id} data-state={r.state} data-testid="decided">
            <div class="rv-decided-main">
              <p class="rv-body" dir="auto">
                {r.body}
              </p>
              <p class="rv-meta">
                <span class={`state state-${r.state}`}>{stateName(r.state)}</span>
                <span>{r.decision ? `${decidedText(r)} · ${relTime(r.decision.at, now)}` : ''}</span>
                <span aria-hidden="true">·</span>
                <Origin r={r} talkTitle={talkTitle} post={postOf(r)} />
              </p>
              <Reasons r={r} />
            </div>
            <div class="row-actions">
              {left > 0 && (
                <button type="button" class="btn btn-small" onClick={() => void onUndo(r)} data-action="undo">
                  {t('undoN', { s: left })}
                </button>
              )}
              {!r.banned && r.kind !== 'post' && (
                <button type="button" class="btn btn-small btn-ghost btn-danger" onClick={() => onBan(r)} data-action="ban">
                  {t('banAuthor')}
                </button>
              )}
            </div>
          </li>
        );
      })}
    </ul>
  );
}

function Bans({ eventID, rev, now }: { eventID: number; rev: number; now: number }) {
  useLocale();
  const [bans, setBans] = useState<Ban[] | null>(null);
  const [err, setErr] = useState<unknown>(null);
  const load = () => api.bans(eventID).then((r) => setBans(r.bans ?? []), setErr);
  useEffect(() => void load(), [eventID, rev]);
  if (err) return <Notice kind="error">{errorText(err)}</Notice>;
  if (!bans) return <Spinner />;
  if (bans.length === 0) return <p class="empty">{t('noBans')}</p>;
  return (
    <ul class="ban-list" data-testid="ban-list">
      {bans.map((b) => (
        <li key={b.id} class="ban" data-ban={b.id}>
          <div class="ban-text">
            <strong dir="auto">{b.display_name || t('anonymous')}</strong>
            <span class="muted small">
              {t('bannedByWhen', { by: b.by || 'koe', when: relTime(b.created_at, now) })}
              {typeof b.hidden === 'number' && b.hidden > 0 ? ` · ${t('bannedHidden', { n: b.hidden })}` : ''}
            </span>
            {b.reason && (
              <span class="small" dir="auto">
                {b.reason}
              </span>
            )}
          </div>
          <button
            type="button"
            class="btn btn-small"
            onClick={async () => {
              if (!confirm(t('confirmUnban', { name: b.display_name || t('anonymous') }))) return;
              try {
                await api.unban(eventID, b.id);
                toast(t('unbanned'));
                void load();
              } catch (e) {
                toast(errorText(e), 'error');
              }
            }}
          >
            {t('unban')}
          </button>
        </li>
      ))}
    </ul>
  );
}

/** A modal <dialog>: shown at once, closed by Escape or onClose. */
function Modal({ labelledBy, onClose, children, testid }: { labelledBy: string; onClose: () => void; children: ComponentChildren; testid?: string }) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const d = ref.current;
    if (d && !d.open) d.showModal();
  }, []);
  return (
    <dialog
      ref={ref}
      class="mc-dialog"
      aria-labelledby={labelledBy}
      data-testid={testid}
      onCancel={(e) => {
        e.preventDefault();
        onClose();
      }}
    >
      {children}
    </dialog>
  );
}

function HelpDialog({ onClose }: { onClose: () => void }) {
  useLocale();
  const label: Record<KeyAction, Key> = {
    next: 'keyNext', prev: 'keyPrev', approve: 'keyApprove', reject: 'keyReject', edit: 'keyEdit', ban: 'keyBan', undo: 'keyUndo', help: 'keyHelp', close: 'keyClose',
  };
  return (
    <Modal labelledBy="mc-help-h" onClose={onClose} testid="mod-help">
      <h2 id="mc-help-h">{t('screenHelpTitle')}</h2>
      <dl class="mc-keys">
        {shortcutList.map(([k, a]) => (
          <div key={k}>
            <dt>
              <kbd>{k}</kbd>
            </dt>
            <dd>{t(label[a])}</dd>
          </div>
        ))}
      </dl>
      <p class="muted small">{t('keysOffWhileTyping')}</p>
      <button type="button" class="btn" onClick={onClose} autoFocus>
        {t('close')}
      </button>
    </Modal>
  );
}

function BanDialog({ review, onClose, onBan }: { review: Review; onClose: () => void; onBan: (hide: boolean, reason: string) => Promise<void> }) {
  useLocale();
  const [hide, setHide] = useState(true);
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [err, setErr] = useState('');
  const name = review.author_name || t('anonymous');
  return (
    <Modal labelledBy="ban-h" onClose={onClose} testid="ban-dialog">
      <form
        onSubmit={async (e) => {
          e.preventDefault();
          setBusy(true);
          setErr('');
          try {
            await onBan(hide, reason.trim());
          } catch (e2) {
            setErr(errorText(e2));
          } finally {
            setBusy(false);
          }
        }}
      >
        <h2 id="ban-h">{t('banTitle', { name })}</h2>
        <p>{t('banLead')}</p>
        <blockquote class="ask-similar-body" dir="auto">
          {review.body}
        </blockquote>
        <div class="field">
          <label class="check">
            <input type="checkbox" checked={hide} onChange={(e) => setHide(e.currentTarget.checked)} data-testid="ban-hide" />
            <span>{t('banHideAll')}</span>
          </label>
        </div>
        <div class="field">
          <label for="ban-reason">{t('banReason')}</label>
          <input id="ban-reason" value={reason} maxLength={200} dir="auto" onInput={(e) => setReason(e.currentTarget.value)} />
        </div>
        <p class="error-text" role="alert">
          {err}
        </p>
        <div class="row-actions">
          <button type="submit" class="btn btn-primary btn-danger-fill" disabled={busy} data-testid="ban-confirm">
            {t('banConfirm')}
          </button>
          <button type="button" class="btn btn-ghost" onClick={onClose} autoFocus>
            {t('cancel')}
          </button>
        </div>
      </form>
    </Modal>
  );
}

