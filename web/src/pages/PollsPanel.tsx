// Staff: a talk's polls on the talk's desk (/admin/e/{id}/t/{talk}):
// prepare drafts, edit them, open / close / reopen, reveal hidden results,
// delete; each poll's live results. The polls are the talk's PollsState
// (state/polls.ts) as staff see it, kept by usePolls (ui/pollvote.tsx) like
// the audience's and the screen's; the rules (one open poll per talk, a
// definition locked once votes count, who may do what) are the server's,
// and its refusals are shown as they come.
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, api } from '../api';
import { t, useLocale } from '../i18n';
import type { LiveClient } from '../live';
import {
  addOption, definesPoll, emptyForm, formOf, formProblems, newPollBody, patchBody, pollActions, pollLimits,
  PollsState, removeOption, resultsVisible, type FormProblem, type PollForm,
} from '../state/polls';
import type { TalkSession } from '../state/session';
import { countChars } from '../state/text';
import type { Poll, PollKind, PollPatch, PollResults } from '../types';
import { errorText } from '../ui/errors';
import { PollResultsView } from '../ui/pollresults';
import { usePolls } from '../ui/pollvote';
import { toast } from '../ui/toast';
import '../styles/pollsadmin.css';

const kinds: PollKind[] = ['choice', 'rating', 'words'];

function kindName(k: PollKind): string {
  return k === 'choice' ? t('pollAdminKindChoice') : k === 'rating' ? t('pollAdminKindRating') : t('pollAdminKindWords');
}

function kindHint(k: PollKind): string {
  return k === 'choice' ? t('pollAdminKindChoiceHint', { max: pollLimits.maxOptions }) : k === 'rating' ? t('pollAdminKindRatingHint') : t('pollAdminKindWordsHint');
}

function stateName(p: Poll): string {
  return p.state === 'draft' ? t('pollAdminStateDraft') : p.state === 'open' ? t('pollAdminStateOpen') : t('pollAdminStateClosed');
}

/**
 * A refusal of the server, in the user's language: 409 on a change of the
 * definition is the lock that counted votes put on it; the rest (a 400
 * names the field and its reason) as errorText says it everywhere.
 */
export function pollErrorText(err: unknown, patch?: PollPatch): string {
  if (err instanceof ApiError && err.status === 409) return patch && definesPoll(patch) ? t('pollAdminLocked') : t('pollAdminConflict', { msg: err.message });
  return errorText(err);
}

function problemText(p: FormProblem): string {
  if (p.field === 'question') return p.what === 'empty' ? t('pollAdminQuestionEmpty') : t('pollAdminTooLong', { limit: pollLimits.question });
  const n = p.index + 1;
  return p.what === 'empty' ? t('pollAdminOptionEmpty', { n }) : p.what === 'twice' ? t('pollAdminOptionTwice', { n }) : t('pollAdminOptionTooLong', { n, limit: pollLimits.option });
}

export function PollsPanel({ eventID, talkID, session, live, canModerate }: {
  eventID: number;
  talkID: number;
  session: TalkSession | null;
  live: LiveClient;
  canModerate: boolean;
}) {
  useLocale();
  // ready: the desk renders this panel only once the talk's questions are loaded. Staff see every result.
  const polls = usePolls(session, true, live, true);
  // This person's own answers (POST, PATCH, DELETE) go in at once; the stream brings them again later.
  const [, setRev] = useState(0);
  const took = (did: boolean) => {
    if (did && polls) setRev(polls.rev);
  };
  const [creating, setCreating] = useState(false);
  const newBtn = useRef<HTMLButtonElement>(null);
  const made = useRef(0);
  const root = useRef<HTMLElement>(null);
  const list = polls?.list() ?? [];
  const open = polls?.open() ?? null;
  return (
    <section class="polls-admin" ref={root} aria-labelledby="polls-h" data-testid="polls-panel">
      <div class="pa-head">
        <div>
          <h3 id="polls-h">{t('pollAdminTitle')}</h3>
          <p class="muted small pa-lead">{t('pollAdminLead')}</p>
        </div>
        {!creating && (
          <button type="button" class="btn btn-small btn-primary" ref={newBtn} onClick={() => setCreating(true)} data-testid="poll-new">
            {t('pollAdminNew')}
          </button>
        )}
      </div>
      {creating && (
        <PollEditor
          eventID={eventID}
          talkID={talkID}
          onSaved={(p) => {
            took(!!polls?.putPoll(p));
            made.current = p.id;
            toast(t('pollAdminCreated'));
          }}
          onDone={() => {
            setCreating(false);
            // After a new draft, its place in the list (at the end); after Cancel, the button.
            const id = made.current;
            made.current = 0;
            setTimeout(() => {
              const item = id ? root.current?.querySelector<HTMLElement>(`[data-poll-id="${id}"]`) : null;
              if (item) {
                item.scrollIntoView({ block: 'nearest' });
                item.focus({ preventScroll: true });
              } else newBtn.current?.focus();
            });
          }}
        />
      )}
      {!polls?.loaded ? (
        <p class="muted small" role="status">{t('loading')}</p>
      ) : list.length === 0 ? (
        !creating && <p class="empty pa-empty">{t('pollAdminEmpty')}</p>
      ) : (
        <ol class="pa-list" data-testid="poll-list">
          {list.map((p) => (
            <PollItem key={p.id} p={p} results={polls.results(p.id, true)} polls={polls} took={took} open={open} eventID={eventID} talkID={talkID} canModerate={canModerate} />
          ))}
        </ol>
      )}
    </section>
  );
}

function PollItem({ p, results, polls, took, open, eventID, talkID, canModerate }: {
  p: Poll;
  results: PollResults | null;
  polls: PollsState;
  took: (did: boolean) => void;
  /** The talk's open poll, which opening this one closes. */
  open: Poll | null;
  eventID: number;
  talkID: number;
  canModerate: boolean;
}) {
  const [editing, setEditing] = useState(false);
  const [busy, setBusy] = useState(false);
  const [err, setErr] = useState('');
  const editBtn = useRef<HTMLButtonElement>(null);
  const can = pollActions(p);
  const voters = results?.voters ?? 0;
  const other = open && open.id !== p.id ? open : null;

  const patch = async (body: PollPatch, done: string) => {
    setBusy(true);
    setErr('');
    try {
      took(polls.putPoll(await api.updatePoll(eventID, talkID, p.id, body)));
      toast(done);
    } catch (e) {
      setErr(pollErrorText(e, body));
    } finally {
      setBusy(false);
    }
  };
  const del = async () => {
    if (!confirm(t('pollAdminConfirmDelete', { q: p.question }))) return;
    setBusy(true);
    setErr('');
    try {
      await api.deletePoll(eventID, talkID, p.id);
      took(polls.deleted(p.id));
      toast(t('pollAdminDeleted'));
    } catch (e) {
      setErr(pollErrorText(e));
      setBusy(false);
    }
  };

  return (
    <li class={`pa-poll pa-poll-${p.state}`} tabIndex={-1} aria-labelledby={`pa-${p.id}-question`} data-poll-id={p.id} data-state={p.state} data-testid="poll">
      <div class="pa-poll-head">
        <span class={`pa-badge pa-badge-${p.state}`} data-testid="poll-state">
          {stateName(p)}
        </span>
        <span class="pa-kind">{kindName(p.kind)}</span>
        {p.kind === 'choice' && p.multiple && <span class="pa-kind">{t('pollAdminMultipleShort')}</span>}
        {p.results_mode === 'hidden' && (
          <span class={p.revealed ? 'pa-badge pa-badge-revealed' : 'pa-badge pa-badge-hidden'} data-testid="poll-reveal-state">
            {p.revealed ? t('pollAdminRevealedBadge') : t('pollAdminHiddenBadge')}
          </span>
        )}
        <span class="pa-voters" data-testid="poll-admin-voters" aria-live={p.state === 'open' ? 'polite' : undefined} aria-atomic="true">
          {t('pollAdminVoters', { n: voters })}
        </span>
      </div>
      <h4 class="pa-question" id={`pa-${p.id}-question`} dir="auto">
        {p.question}
      </h4>
      {editing ? (
        <PollEditor
          eventID={eventID}
          talkID={talkID}
          poll={p}
          voters={voters}
          onSaved={(np) => {
            took(polls.putPoll(np));
            toast(t('pollAdminSaved'));
          }}
          onDone={() => {
            setEditing(false);
            queueMicrotask(() => editBtn.current?.focus());
          }}
        />
      ) : (
        <>
          {p.state === 'draft' && voters === 0 ? (
            <DraftPreview p={p} />
          ) : p.state === 'closed' ? (
            <details class="pa-results-more" data-testid="poll-results-toggle">
              <summary>{t('pollAdminShowResults')}</summary>
              <div class="pa-results" aria-label={t('pollAdminResultsLabel', { q: p.question })} role="group" data-testid="poll-admin-results">
                <PollResultsView poll={p} results={results} size="phone" />
              </div>
            </details>
          ) : (
            <div class="pa-results" aria-label={t('pollAdminResultsLabel', { q: p.question })} role="group" data-testid="poll-admin-results">
              <PollResultsView poll={p} results={results} size="phone" />
            </div>
          )}
          {p.state !== 'draft' && (
            <p class="muted small pa-who" data-testid="poll-audience">
              {resultsVisible(p) ? t('pollAdminAudienceSees') : t('pollAdminAudienceNot')}
            </p>
          )}
          {p.kind === 'words' && p.state !== 'draft' && (
            <p class="muted small pa-who">
              {t('pollAdminWordsModeration')}{' '}
              {canModerate && <a href={`/admin/e/${eventID}/moderation`}>{t('pollAdminModerationLink')}</a>}
            </p>
          )}
          <div class="row-actions pa-actions">
            {can.open && (
              <button type="button" class="btn btn-small btn-primary" disabled={busy} data-action="open" aria-describedby={other ? `poll-${p.id}-closes` : undefined} onClick={() => void patch({ state: 'open' }, t('pollAdminOpened'))}>
                {t('pollAdminOpen')}
              </button>
            )}
            {can.close && (
              <button type="button" class="btn btn-small btn-primary" disabled={busy} data-action="close" onClick={() => void patch({ state: 'closed' }, t('pollAdminClosedDone'))}>
                {t('pollAdminClose')}
              </button>
            )}
            {can.reopen && (
              <button type="button" class="btn btn-small" disabled={busy} data-action="reopen" aria-describedby={other ? `poll-${p.id}-closes` : undefined} onClick={() => void patch({ state: 'open' }, t('pollAdminOpened'))}>
                {t('pollAdminReopen')}
              </button>
            )}
            {can.reveal && (
              <button type="button" class="btn btn-small" disabled={busy} data-action="reveal" onClick={() => void patch({ revealed: true }, t('pollAdminRevealedDone'))}>
                {t('pollAdminReveal')}
              </button>
            )}
            {can.hide && (
              <button type="button" class="btn btn-small btn-ghost" disabled={busy} data-action="unreveal" onClick={() => void patch({ revealed: false }, t('pollAdminUnrevealedDone'))}>
                {t('pollAdminUnreveal')}
              </button>
            )}
            <button
              type="button"
              class="btn btn-small btn-ghost"
              ref={editBtn}
              disabled={busy}
              data-action="edit"
              onClick={() => {
                setErr('');
                setEditing(true);
              }}
            >
              {t('pollAdminEdit')}
            </button>
            <button type="button" class="btn btn-small btn-ghost btn-danger" disabled={busy} data-action="delete" onClick={() => void del()}>
              {t('pollAdminDelete')}
            </button>
          </div>
          {(can.open || can.reopen) && other && (
            <p class="muted small pa-note" id={`poll-${p.id}-closes`} data-testid="poll-open-closes">
              {t('pollAdminOpenCloses', { q: other.question })}
            </p>
          )}
        </>
      )}
      <p class="error-text pa-error" role="alert" data-testid="poll-error">
        {err}
      </p>
    </li>
  );
}

/** A draft's options, before any vote. */
function DraftPreview({ p }: { p: Poll }) {
  if (p.kind === 'choice') {
    return (
      <ol class="pa-preview">
        {p.options.map((o) => (
          <li key={o.id}>
            <span class="pa-preview-n" aria-hidden="true">
              {o.id}
            </span>
            <span dir="auto">{o.label}</span>
          </li>
        ))}
      </ol>
    );
  }
  return <p class="muted small pa-preview-kind">{kindHint(p.kind)}</p>;
}

function PollEditor({ eventID, talkID, poll, voters = 0, onSaved, onDone }: {
  eventID: number;
  talkID: number;
  poll?: Poll;
  voters?: number;
  onSaved: (p: Poll) => void;
  onDone: () => void;
}) {
  const [f, setF] = useState<PollForm>(() => (poll ? formOf(poll) : emptyForm()));
  const [busy, setBusy] = useState(false);
  const [err, setErr] = useState('');
  const [tried, setTried] = useState(false);
  const focusOption = useRef<number | null>(null);
  const root = useRef<HTMLFormElement>(null);
  const id = poll ? `poll-${poll.id}` : 'poll-new';
  const problems = formProblems(f);
  const shown = tried ? problems : problems.filter((x) => x.what !== 'empty');
  const problemOf = (field: 'question' | 'options', index = -1) =>
    shown.find((x) => x.field === field && (x.field === 'question' || x.index === index));

  useEffect(() => {
    if (focusOption.current === null) return;
    root.current?.querySelector<HTMLInputElement>(`#${id}-opt-${focusOption.current}`)?.focus();
    focusOption.current = null;
  });

  const submit = async (e: Event) => {
    e.preventDefault();
    setTried(true);
    setErr('');
    if (problems.length) {
      const first = problems[0];
      root.current?.querySelector<HTMLInputElement>(first.field === 'question' ? `#${id}-q` : `#${id}-opt-${first.index}`)?.focus();
      return;
    }
    let body: PollPatch | null = null;
    setBusy(true);
    try {
      if (poll) {
        body = patchBody(poll, f);
        if (!body) {
          onDone();
          return;
        }
        onSaved(await api.updatePoll(eventID, talkID, poll.id, body));
      } else {
        onSaved(await api.createPoll(eventID, talkID, newPollBody(f)));
      }
      onDone();
    } catch (e) {
      setErr(pollErrorText(e, body ?? undefined));
    } finally {
      setBusy(false);
    }
  };

  const qLen = countChars(f.question.trim());
  const qProblem = problemOf('question');
  return (
    <form class="pa-form" ref={root} onSubmit={submit} data-testid="poll-form" noValidate aria-labelledby={`${id}-title`}>
      <h4 class="pa-form-title" id={`${id}-title`}>
        {poll ? t('pollAdminEditTitle') : t('pollAdminNewTitle')}
      </h4>
      {poll && voters > 0 && (
        <p class="banner banner-warn pa-locked-note" data-testid="poll-locked-note">
          {t('pollAdminLockedNote', { n: voters })}
        </p>
      )}
      {poll ? (
        <p class="small pa-kind-fixed">
          <span class="label">{t('pollAdminKind')}</span> {kindName(poll.kind)}
        </p>
      ) : (
        <fieldset class="pa-kinds">
          <legend class="label">{t('pollAdminKind')}</legend>
          {kinds.map((k) => (
            <label class="pa-kind-card" key={k}>
              <input type="radio" name={`${id}-kind`} value={k} checked={f.kind === k} onChange={() => setF({ ...f, kind: k })} />
              <span>
                <strong>{kindName(k)}</strong>
                <span class="muted small">{kindHint(k)}</span>
              </span>
            </label>
          ))}
        </fieldset>
      )}
      <div class="field">
        <label for={`${id}-q`}>{t('pollAdminQuestion')}</label>
        <input
          id={`${id}-q`}
          type="text"
          value={f.question}
          dir="auto"
          autoFocus
          autoComplete="off"
          aria-invalid={qProblem ? true : undefined}
          aria-describedby={`${id}-q-hint`}
          onInput={(e) => setF({ ...f, question: e.currentTarget.value })}
        />
        <p class={qLen > pollLimits.question ? 'hint pa-counter counter-over' : 'hint pa-counter'} id={`${id}-q-hint`}>
          {qProblem ? <span class="error-text">{problemText(qProblem)} </span> : null}
          {t('pollAdminChars', { n: qLen, max: pollLimits.question })}
        </p>
      </div>
      {f.kind === 'choice' && (
        <fieldset class="pa-options">
          <legend class="label">{t('pollAdminOptions')}</legend>
          <p class="hint pa-options-hint" id={`${id}-opts-hint`}>
            {t('pollAdminOptionsHint', { min: pollLimits.minOptions, max: pollLimits.maxOptions, limit: pollLimits.option })}
          </p>
          <ol class="pa-option-list">
            {f.options.map((o, i) => {
              const pr = problemOf('options', i);
              return (
                <li key={i} class="pa-option">
                  <label class="sr-only" for={`${id}-opt-${i}`}>
                    {t('pollAdminOptionN', { n: i + 1 })}
                  </label>
                  <span class="pa-option-n" aria-hidden="true">
                    {i + 1}
                  </span>
                  <input
                    id={`${id}-opt-${i}`}
                    type="text"
                    value={o}
                    dir="auto"
                    autoComplete="off"
                    data-testid="poll-option"
                    aria-invalid={pr ? true : undefined}
                    aria-describedby={pr ? `${id}-opt-${i}-err` : undefined}
                    onInput={(e) => {
                      const options = [...f.options];
                      options[i] = e.currentTarget.value;
                      setF({ ...f, options });
                    }}
                  />
                  <button
                    type="button"
                    class="btn btn-small btn-ghost pa-option-remove"
                    disabled={f.options.length <= pollLimits.minOptions}
                    aria-label={t('pollAdminRemoveOption', { n: i + 1 })}
                    title={t('pollAdminRemoveOption', { n: i + 1 })}
                    onClick={() => {
                      setF(removeOption(f, i));
                      focusOption.current = Math.min(i, f.options.length - 2);
                    }}
                  >
                    <span aria-hidden="true">×</span>
                  </button>
                  {pr && (
                    <p class="error-text pa-option-err" id={`${id}-opt-${i}-err`}>
                      {problemText(pr)}
                    </p>
                  )}
                </li>
              );
            })}
          </ol>
          <button
            type="button"
            class="btn btn-small"
            disabled={f.options.length >= pollLimits.maxOptions}
            data-testid="poll-add-option"
            onClick={() => {
              focusOption.current = f.options.length;
              setF(addOption(f));
            }}
          >
            {t('pollAdminAddOption')}
          </button>
          <label class="check pa-multiple">
            <input type="checkbox" checked={f.multiple} onChange={(e) => setF({ ...f, multiple: e.currentTarget.checked })} data-testid="poll-multiple" />
            {t('pollAdminMultiple')}
          </label>
        </fieldset>
      )}
      {f.kind === 'words' && !poll && <p class="hint pa-words-hint">{t('pollAdminWordsModeration')}</p>}
      <fieldset class="pa-mode">
        <legend class="label">{t('pollAdminResultsMode')}</legend>
        <label class="check">
          <input type="radio" name={`${id}-mode`} value="live" checked={f.results_mode === 'live'} onChange={() => setF({ ...f, results_mode: 'live' })} />
          {t('pollAdminResultsLive')}
        </label>
        <label class="check">
          <input type="radio" name={`${id}-mode`} value="hidden" checked={f.results_mode === 'hidden'} onChange={() => setF({ ...f, results_mode: 'hidden' })} />
          {t('pollAdminResultsHidden')}
        </label>
        <p class="hint">{t('pollAdminResultsHint')}</p>
      </fieldset>
      {err && (
        <p class="banner banner-error pa-form-error" role="alert" data-testid="poll-form-error">
          {err}
        </p>
      )}
      <div class="form-actions">
        <button type="submit" class="btn btn-small btn-primary" disabled={busy}>
          {poll ? t('pollAdminSave') : t('pollAdminCreate')}
        </button>
        <button type="button" class="btn btn-small btn-ghost" onClick={onDone}>
          {t('cancel')}
        </button>
      </div>
    </form>
  );
}

