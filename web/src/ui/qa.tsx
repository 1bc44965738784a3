// The pieces of a talk's Q&A: question cards, replies, the ask form, tabs
// and the talk picker. Every piece of user text is rendered as text.
import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, api } from '../api';
import { t, useLocale } from '../i18n';
import { approved, type Tab, type TalkState } from '../state/questions';
import { phase, type Phase } from '../state/talks';
import { countChars, maxQuestion, maxReply } from '../state/text';
import type { Question, Talk } from '../types';
import { errorText } from './errors';
import { fmtDate, fmtSpan, relTime } from './format';
import { useObservable } from './hooks';
import { toast } from './toast';

export function LikeIcon({ filled }: { filled: boolean }) {
  return (
    <svg viewBox="0 0 24 24" class="icon" aria-hidden="true">
      <path
        d="M7 10v10H4a1 1 0 0 1-1-1v-8a1 1 0 0 1 1-1zm2 0 3.6-6.3a1.8 1.8 0 0 1 3.3 1.3L15 9h4.4a2 2 0 0 1 2 2.4l-1.5 7A2 2 0 0 1 18 20H9z"
        class={filled ? 'icon-fill' : 'icon-line'}
      />
    </svg>
  );
}

export function LikeButton({ q, onLike, disabled }: { q: Question; onLike?: (id: number) => void; disabled?: boolean }) {
  useLocale();
  if (!onLike) {
    return (
      <span class="likes-static" data-testid="likes" data-likes={q.likes} title={t('likes', { n: q.likes })}>
        <LikeIcon filled={false} />
        <span class="likes-n">{q.likes}</span>
        <span class="sr-only">{t('likes', { n: q.likes })}</span>
      </span>
    );
  }
  return (
    <button
      type="button"
      class="like"
      aria-pressed={q.liked_by_me}
      aria-label={t('likeLabel', { n: q.likes })}
      data-testid="like"
      data-likes={q.likes}
      disabled={disabled}
      onClick={() => onLike(q.id)}
    >
      <LikeIcon filled={q.liked_by_me} />
      <span class="likes-n">{q.likes}</span>
    </button>
  );
}

export interface CardProps {
  q: Question;
  state: TalkState;
  now: number;
  onLike?: (id: number) => void;
  /** Who may write replies here: nobody, participants, or staff (signed by name). */
  replyAs?: 'none' | 'participant' | 'staff';
  pinned?: boolean;
  actions?: ComponentChildren;
  editing?: ComponentChildren;
}

export function QuestionCard({ q, state, now, onLike, replyAs = 'none', pinned, actions, editing }: CardProps) {
  useLocale();
  const [open, setOpen] = useState(false);
  const shown = approved(q);
  if (!shown) {
    onLike = undefined;
    replyAs = 'none';
  }
  const classes = ['q', pinned && 'q-pinned', q.mine && 'q-mine', q.answered && 'q-answered', q.hidden && 'q-hidden', !shown && `q-${q.status}`]
    .filter(Boolean)
    .join(' ');
  return (
    <article class={classes} data-qid={q.id} data-testid="question" data-status={q.status ?? 'approved'} aria-label={pinned ? t('onScreen') : undefined}>
      {pinned && (
        <div class="q-pin">
          <span class="q-pin-dot" aria-hidden="true" />
          {t('onScreen')}
        </div>
      )}
      <div class="q-main">
        <div class="q-content">
          {editing ?? <p class="q-body" dir="auto">
              {q.body}
            </p>}
          <div class="q-meta">
            <span class={q.author_name ? 'q-author' : 'q-author q-anon'} dir="auto">
              {q.author_name || t('anonymous')}
            </span>
            <span aria-hidden="true">·</span>
            <time dateTime={q.created_at}>{relTime(q.created_at, now)}</time>
            {q.mine && <span class="badge badge-mine">{t('you')}</span>}
            {q.answered && <span class="badge badge-answered">{t('answered')}</span>}
            {q.hidden && <span class="badge badge-hidden">{t('hiddenBadge')}</span>}
            {q.status === 'pending' && <span class="badge badge-pending" data-testid="status-pending">{t('waitingForReview')}</span>}
            {q.status === 'rejected' && <span class="badge badge-rejected" data-testid="status-rejected">{t('notShownBadge')}</span>}
          </div>
          {q.status === 'rejected' && <p class="q-note small">{t('questionRejected')}</p>}
        </div>
        {shown && <LikeButton q={q} onLike={onLike} />}
      </div>
      {shown && (q.reply_count > 0 || replyAs !== 'none' || actions) && (
        <div class="q-foot">
          {(q.reply_count > 0 || replyAs !== 'none') && (
            <button type="button" class={q.reply_count > 0 ? 'link-btn' : 'link-btn link-btn-quiet'} aria-expanded={open} onClick={() => setOpen(!open)}>
              {q.reply_count > 0 ? t('replies', { n: q.reply_count }) : t('reply')}
            </button>
          )}
          {actions && <div class="q-actions">{actions}</div>}
        </div>
      )}
      {open && <Replies q={q} state={state} replyAs={replyAs} now={now} />}
    </article>
  );
}

function Replies({ q, state, replyAs, now }: { q: Question; state: TalkState; replyAs: CardProps['replyAs']; now: number }) {
  useObservable(state);
  const list = state.repliesOf(q.id);
  const [err, setErr] = useState('');
  useEffect(() => {
    if (list) return;
    let live = true;
    api
      .replies(q.event_id, q.talk_id, q.id)
      .then((r) => live && state.setReplies(q.id, r.replies))
      .catch((e) => live && setErr(errorText(e)));
    return () => {
      live = false;
    };
  }, [q.id, list === undefined]);
  return (
    <div class="replies">
      {!list && !err && <p class="muted small">{t('loading')}</p>}
      {err && <p class="error-text small">{err}</p>}
      {list && list.length > 0 && (
        <ul class="reply-list">
          {list.map((r) => (
            <li key={r.id} class={r.staff ? 'reply reply-staff' : 'reply'}>
              <div class="reply-meta">
                <span class="q-author" dir="auto">
                  {r.author_name || (r.staff ? t('staffReply') : t('anonymous'))}
                </span>
                {r.staff && <span class="badge badge-staff">{t('staffBadge')}</span>}
                {r.status === 'pending' && <span class="badge badge-pending">{t('waitingForReview')}</span>}
                {r.status === 'rejected' && <span class="badge badge-rejected">{t('notShownBadge')}</span>}
                <time dateTime={r.created_at}>{relTime(r.created_at, now)}</time>
              </div>
              <p class="reply-body" dir="auto">
                {r.body}
              </p>
            </li>
          ))}
        </ul>
      )}
      {replyAs && replyAs !== 'none' && <ReplyForm q={q} state={state} staff={replyAs === 'staff'} />}
    </div>
  );
}

function ReplyForm({ q, state, staff }: { q: Question; state: TalkState; staff: boolean }) {
  const [body, setBody] = useState('');
  const [name, setName] = useState(() => (staff ? localStorage.getItem('koe.replyName') ?? '' : ''));
  const [busy, setBusy] = useState(false);
  const n = countChars(body);
  const submit = async (e: Event) => {
    e.preventDefault();
    if (n < 1 || n > maxReply || busy) return;
    setBusy(true);
    try {
      const r = await api.reply(q.event_id, q.talk_id, q.id, body, staff ? { author_name: name.trim() } : {});
      state.addReply(r);
      setBody('');
      if (r.status === 'pending') toast(t('replyPending'));
      else if (r.status === 'rejected') toast(t('replyRejected'));
      if (staff) localStorage.setItem('koe.replyName', name.trim());
    } catch (err) {
      toast(errorText(err), 'error');
    } finally {
      setBusy(false);
    }
  };
  const id = `reply-${q.id}`;
  return (
    <form class="reply-form" onSubmit={submit}>
      <label for={id} class="sr-only">
        {t('replyLabel')}
      </label>
      <textarea id={id} rows={2} dir="auto" value={body} placeholder={t('replyPlaceholder')} onInput={(e) => setBody(e.currentTarget.value)} />
      <div class="reply-form-row">
        {staff && (
          <label class="inline-field">
            <span>{t('replyAs')}</span>
            <input value={name} dir="auto" maxLength={40} onInput={(e) => setName(e.currentTarget.value)} />
          </label>
        )}
        <span class={n > maxReply ? 'counter counter-over' : 'counter'}>{t('charCount', { n, max: maxReply })}</span>
        <button type="submit" class="btn btn-small" disabled={busy || n < 1 || n > maxReply}>
          {t('replySend')}
        </button>
      </div>
    </form>
  );
}

/** The near-duplicate the server offers to like instead (409 duplicate), or null. */
function similarOf(e: unknown): Question | null {
  if (!(e instanceof ApiError) || e.code !== 'duplicate') return null;
  const q = e.body.similar as Question | undefined;
  return q && typeof q.id === 'number' ? q : null;
}

export function AskForm({
  eventID, talk, displayName, onAsked, premod = false, onLikeExisting,
}: {
  eventID: number;
  talk: Talk;
  displayName: string;
  onAsked: (q: Question) => void;
  /** The talk is pre-moderated: say that questions are reviewed first. */
  premod?: boolean;
  /** Likes the existing question a near-duplicate was offered (409 duplicate). */
  onLikeExisting?: (q: Question) => Promise<void> | void;
}) {
  useLocale();
  const [body, setBody] = useState('');
  const [anon, setAnon] = useState(false);
  const [busy, setBusy] = useState(false);
  const [err, setErr] = useState('');
  const [similar, setSimilar] = useState<Question | null>(null);
  // What became of the last question asked, when it is not simply shown;
  // the card in the list goes on saying it after the note has gone.
  const [note, setNote] = useState('');
  useEffect(() => {
    if (!note) return;
    const timer = setTimeout(() => setNote(''), 12_000);
    return () => clearTimeout(timer);
  }, [note]);
  const ref = useRef<HTMLTextAreaElement>(null);
  const n = countChars(body);
  const over = n > maxQuestion;
  const submit = async (e: Event) => {
    e.preventDefault();
    if (busy) return;
    if (n < 1) {
      setErr(t('errEmpty'));
      ref.current?.focus();
      return;
    }
    if (over) {
      setErr(t('errTooLong', { max: maxQuestion }));
      return;
    }
    await send(false);
  };
  const send = async (duplicateOK: boolean) => {
    setBusy(true);
    setErr('');
    setNote('');
    try {
      const q = await api.ask(eventID, talk.id, body, anon || !displayName, duplicateOK);
      onAsked(q);
      setBody('');
      setSimilar(null);
      if (q.status === 'pending') setNote(t('askedPending'));
      else if (q.status === 'rejected') setNote(t('questionRejected'));
      else toast(t('asked'));
    } catch (e2) {
      const s = similarOf(e2);
      if (s) setSimilar(s);
      else setErr(errorText(e2));
    } finally {
      setBusy(false);
    }
  };
  const likeInstead = async () => {
    if (!similar || !onLikeExisting) return;
    setBusy(true);
    try {
      await onLikeExisting(similar);
      setSimilar(null);
      setBody('');
      toast(t('likedExisting'));
    } catch (e2) {
      setErr(errorText(e2));
    } finally {
      setBusy(false);
    }
  };
  if (!talk.qa_open) {
    return (
      <div class="banner banner-info" role="status" data-testid="qa-closed">
        {t('qaClosedBanner')}
      </div>
    );
  }
  return (
    <form class="ask card" onSubmit={submit} data-testid="ask-form">
      <label for="ask-body" class="ask-label">
        {t('askLabel')}
      </label>
      <textarea
        dir="auto"
        id="ask-body"
        ref={ref}
        rows={3}
        value={body}
        placeholder={t('askPlaceholder')}
        aria-describedby="ask-help ask-error"
        aria-invalid={over || undefined}
        onInput={(e) => {
          setBody(e.currentTarget.value);
          if (err) setErr('');
          if (note) setNote('');
          if (similar) setSimilar(null);
        }}
        onKeyDown={(e) => {
          if (e.key === 'Enter' && (e.metaKey || e.ctrlKey)) void submit(e);
        }}
      />
      <div class="ask-row">
        <div class="ask-who">
          {displayName ? (
            <label class="check">
              <input type="checkbox" checked={anon} onChange={(e) => setAnon(e.currentTarget.checked)} />
              <span>{t('askAnon')}</span>
            </label>
          ) : (
            <span class="muted small">{t('askingAnon')}</span>
          )}
          {displayName && !anon && <span class="muted small ask-as">{t('askingAs', { name: displayName })}</span>}
        </div>
        <div class="ask-submit">
          <span id="ask-help" class={over ? 'counter counter-over' : 'counter'} aria-live="polite" data-testid="counter">
            <span aria-hidden="true">{t('charCount', { n, max: maxQuestion })}</span>
            <span class="sr-only">{over ? t('charOver', { n: n - maxQuestion, max: maxQuestion }) : t('charLimit', { max: maxQuestion })}</span>
          </span>
          <button type="submit" class="btn btn-primary" disabled={busy || over}>
            {busy ? t('asking') : t('askButton')}
          </button>
        </div>
      </div>
      {over && <p class="error-text small">{t('charOver', { n: n - maxQuestion, max: maxQuestion })}</p>}
      {premod && (
        <p class="muted small ask-premod" data-testid="premod-note">
          {t('premodNote')}
        </p>
      )}
      {similar && (
        <div class="ask-similar" role="group" aria-labelledby="ask-similar-h" data-testid="duplicate-offer">
          <p id="ask-similar-h" class="ask-similar-lead">
            {t('duplicateLead')}
          </p>
          <blockquote class="ask-similar-body" dir="auto">
            {similar.body}
          </blockquote>
          <div class="row-actions">
            {onLikeExisting && (
              <button type="button" class="btn btn-small btn-primary" disabled={busy} onClick={() => void likeInstead()} data-testid="like-existing">
                {t('likeExistingInstead')}
              </button>
            )}
            <button type="button" class="btn btn-small" disabled={busy} onClick={() => void send(true)} data-testid="ask-anyway">
              {t('askAnyway')}
            </button>
          </div>
        </div>
      )}
      <p class="ask-note" role="status" data-testid="ask-note">
        {note}
      </p>
      <p id="ask-error" class="error-text" role="alert" data-testid="ask-error">
        {err}
      </p>
    </form>
  );
}

export function Tabs({
  tabs, current, onChange, counts,
}: { tabs: Tab[]; current: Tab; onChange: (t: Tab) => void; counts?: Partial<Record<Tab, number>> }) {
  useLocale();
  const label: Record<Tab, string> = { top: t('tabTop'), recent: t('tabRecent'), answered: t('tabAnswered'), hidden: t('tabHidden') };
  const onKey = (e: KeyboardEvent) => {
    const i = tabs.indexOf(current);
    let next = -1;
    if (e.key === 'ArrowRight') next = (i + 1) % tabs.length;
    else if (e.key === 'ArrowLeft') next = (i - 1 + tabs.length) % tabs.length;
    else if (e.key === 'Home') next = 0;
    else if (e.key === 'End') next = tabs.length - 1;
    if (next < 0) return;
    e.preventDefault();
    onChange(tabs[next]);
    (document.getElementById(`tab-${tabs[next]}`) as HTMLElement | null)?.focus();
  };
  return (
    <div class="tabs" role="tablist" aria-label={t('questionsLabel')} onKeyDown={onKey}>
      {tabs.map((tab) => (
        <button
          type="button"
          role="tab"
          id={`tab-${tab}`}
          key={tab}
          class="tab"
          aria-selected={tab === current}
          aria-controls="question-panel"
          tabIndex={tab === current ? 0 : -1}
          onClick={() => onChange(tab)}
        >
          {label[tab]}
          {counts?.[tab] !== undefined && tab !== 'recent' && <span class="tab-count">{counts[tab]}</span>}
        </button>
      ))}
    </div>
  );
}

const phaseKey: Record<Phase, 'live' | 'upcoming' | 'past' | 'unscheduled'> = {
  live: 'live', upcoming: 'upcoming', past: 'past', unscheduled: 'unscheduled',
};

export function PhaseBadge({ talk, now }: { talk: Talk; now: number }) {
  const p = phase(talk, now);
  return <span class={`phase phase-${p}`}>{t(phaseKey[p])}</span>;
}

export function TalkMeta({ talk, tz }: { talk: Talk; tz?: string }) {
  const bits = [talk.speaker, talk.track, talk.starts_at ? `${fmtDate(talk.starts_at, tz)} ${fmtSpan(talk.starts_at, talk.ends_at, tz)}` : '']
    .filter(Boolean);
  return <p class="talk-meta">{bits.join(' · ')}</p>;
}

/** The current talk, and a list to switch to another. */
export function TalkPicker({
  talks, current, now, tz, hrefFor,
}: { talks: Talk[]; current: Talk; now: number; tz?: string; hrefFor: (t: Talk) => string }) {
  useLocale();
  const [open, setOpen] = useState(false);
  return (
    <section class="talk-picker card" aria-labelledby="talk-title">
      <div class="talk-current">
        <div class="talk-badges">
          <PhaseBadge talk={current} now={now} />
          {!current.qa_open && <span class="phase phase-closed">{t('qaClosedShort')}</span>}
          {talks.length > 1 && (
            <button type="button" class="btn btn-ghost btn-small talk-switch" aria-expanded={open} aria-controls="talk-list" onClick={() => setOpen(!open)}>
              {open ? t('close') : t('changeTalk')}
            </button>
          )}
        </div>
        <h1 id="talk-title" class="talk-title">
          {current.title}
        </h1>
        <TalkMeta talk={current} tz={tz} />
      </div>
      {open && (
        <nav id="talk-list" aria-label={t('chooseTalk')}>
          <ul class="talk-list">
            {talks.map((tk) => (
              <li key={tk.id}>
                <a href={hrefFor(tk)} class="talk-item" aria-current={tk.id === current.id ? 'page' : undefined} onClick={() => setOpen(false)}>
                  <PhaseBadge talk={tk} now={now} />
                  <span class="talk-item-text">
                    <span class="talk-item-title">{tk.title}</span>
                    <TalkMeta talk={tk} tz={tz} />
                  </span>
                </a>
              </li>
            ))}
          </ul>
        </nav>
      )}
    </section>
  );
}
