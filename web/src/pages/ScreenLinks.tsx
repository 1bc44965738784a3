// An event's screen links (owners; docs/architecture.md "Screen links: the
// viewer role"): read-only links for a projector (/screen/{secret}) or an
// OBS browser source (/overlay/{secret}). Make, copy, open, give a new
// secret (the old link stops at once), delete; for an overlay link, build
// the URL that chooses its talk, widgets and their places, theme and
// language.
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { api } from '../api';
import { t, useLocale, type Key } from '../i18n';
import { overlayQuery, positions, widgets as allWidgets, type Position, type Theme, type Widget } from '../state/overlay';
import { caps } from '../state/staff';
import { orderTalks, pickTalk } from '../state/talks';
import type { KoeEvent, ScreenLink, Talk } from '../types';
import { Notice, Spinner } from '../ui/chrome';
import { errorText } from '../ui/errors';
import { fmtDateTime } from '../ui/format';
import { useTitle } from '../ui/hooks';
import { attempt, copyText, StaffPage } from '../ui/staff';
import { toast } from '../ui/toast';
import { useJoinBase } from '../ui/usejoinbase';
import { useEventRole } from './AdminEvent';
import '../styles/admin.css';
import '../styles/reactions.css';
import { roomLinkPath } from '../state/schedule';
import '../styles/schedule.css';

const widgetName: Record<Widget, Key> = {
  question: 'overlayWidgetQuestion',
  post: 'overlayWidgetPost',
  reactions: 'overlayWidgetReactions',
  join: 'overlayWidgetJoin',
  poll: 'pollOverlayWidget',
};

const positionName: Record<Position, Key> = {
  'top-left': 'posTopLeft',
  top: 'posTop',
  'top-right': 'posTopRight',
  left: 'posLeft',
  center: 'posCenter',
  right: 'posRight',
  'bottom-left': 'posBottomLeft',
  bottom: 'posBottom',
  'bottom-right': 'posBottomRight',
};

/** The builder lists the widgets in this order (the overlay's drawing order differs). */
const builderWidgets: Widget[] = ['question', 'post', 'poll', 'reactions', 'join'];
/** Where a widget goes when it is switched on here. */
const startAt: Record<Widget, Position> = {
  question: 'bottom',
  post: 'top-right',
  reactions: 'bottom-right',
  join: 'top-left',
  poll: 'left',
};
/** The widgets that need a talk. */
const needsTalk: Widget[] = ['question', 'reactions', 'poll'];

/** A screen link's page, absolute on base (koe's reachable address, else this page's). */
export function linkURL(base: string, link: Pick<ScreenLink, 'path'>): string {
  return `${base.replace(/\/+$/, '')}${link.path}`;
}

export function ScreenLinksPage({ eventID }: { eventID: number }) {
  useLocale();
  useTitle(t('screenLinksTitle'));
  return (
    <StaffPage title={t('screenLinksTitle')} wide>
      {() => <Desk eventID={eventID} />}
    </StaffPage>
  );
}

function Desk({ eventID }: { eventID: number }) {
  const { me, err: meErr } = useEventRole(eventID);
  const [event, setEvent] = useState<KoeEvent | null>(null);
  const [talks, setTalks] = useState<Talk[]>([]);
  const [links, setLinks] = useState<ScreenLink[] | null>(null);
  const [err, setErr] = useState<unknown>(null);
  const [rooms, setRooms] = useState<string[]>([]); // schedule
  const owner = me && me !== 'out' && caps(me.role).manage;
  useEffect(() => {
    api.event(eventID).then(setEvent, setErr);
    api.talks(eventID).then((r) => setTalks(r.talks), () => undefined);
    api.rooms(eventID).then((r) => setRooms((r.rooms ?? []).map((x) => x.name)), () => undefined);
  }, [eventID]);
  useEffect(() => {
    if (!owner) return;
    api.screenLinks(eventID).then((r) => setLinks(r.links ?? []), setErr);
  }, [eventID, owner]);
  const base = useJoinBase();
  const back = (
    <p class="crumbs">
      <a href={`/admin/e/${eventID}`}>← {event?.title ?? t('backToEvent')}</a>
    </p>
  );
  if (err || meErr) {
    return (
      <>
        {back}
        <Notice kind="error">{errorText(err ?? meErr)}</Notice>
      </>
    );
  }
  if (!me || !event) return <Spinner />;
  if (!owner) {
    return (
      <>
        {back}
        <Notice kind="warn">{t('screenLinksOwnersOnly')}</Notice>
      </>
    );
  }
  const put = (l: ScreenLink) => setLinks((ls) => (ls ?? []).map((x) => (x.id === l.id ? l : x)));
  return (
    <>
      {back}
      <h1>
        {t('screenLinksTitle')} <span class="muted h-sub">{event.title}</span>
      </h1>
      <p class="muted">{t('screenLinksLead')}</p>
      <NewLink eventID={eventID} onMade={(l) => setLinks((ls) => [...(ls ?? []), l])} />
      {!links ? (
        <Spinner />
      ) : links.length === 0 ? (
        <p class="empty" data-testid="screen-links-none">
          {t('screenLinksNone')}
        </p>
      ) : (
        <ul class="slinks" data-testid="screen-links">
          {links.map((l) => (
            <LinkCard
              key={l.id}
              link={l}
              base={base}
              event={event}
              talks={talks}
              rooms={rooms}
              onRotated={put}
              onDeleted={() => setLinks((ls) => (ls ?? []).filter((x) => x.id !== l.id))}
            />
          ))}
        </ul>
      )}
    </>
  );
}

function NewLink({ eventID, onMade }: { eventID: number; onMade: (l: ScreenLink) => void }) {
  useLocale();
  const [kind, setKind] = useState<'screen' | 'overlay'>('screen');
  const [label, setLabel] = useState('');
  const [busy, setBusy] = useState(false);
  const [err, setErr] = useState('');
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setErr('');
    try {
      onMade(await api.createScreenLink(eventID, { kind, label: label.trim() }));
      setLabel('');
      toast(t('screenLinkCreated'));
    } catch (e2) {
      setErr(errorText(e2));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="card slink-new" onSubmit={submit} aria-labelledby="slink-new-h" data-testid="screen-link-new">
      <h2 id="slink-new-h">{t('screenLinkNew')}</h2>
      <div class="form-row">
        <div class="field">
          <label for="slink-kind">{t('screenLinkKind')}</label>
          <select id="slink-kind" value={kind} onChange={(e) => setKind(e.currentTarget.value as 'screen' | 'overlay')} data-testid="screen-link-kind">
            <option value="screen">{t('screenLinkKindScreen')}</option>
            <option value="overlay">{t('screenLinkKindOverlay')}</option>
          </select>
        </div>
        <div class="field">
          <label for="slink-label">{t('screenLinkLabel')}</label>
          <input
            id="slink-label"
            value={label}
            required
            maxLength={100}
            placeholder={t('screenLinkLabelPlaceholder')}
            onInput={(e) => setLabel(e.currentTarget.value)}
            data-testid="screen-link-label"
          />
        </div>
        <button type="submit" class="btn btn-primary" disabled={busy || !label.trim()} data-testid="screen-link-create">
          {t('screenLinkCreate')}
        </button>
      </div>
      <p class="error-text" role="alert">
        {err}
      </p>
    </form>
  );
}

function CopyRow({ id, label, value, button, testid }: { id: string; label: string; value: string; button: string; testid: string }) {
  const input = useRef<HTMLInputElement>(null);
  return (
    <div class="slink-url">
      <label for={id} class="sr-only">
        {label}
      </label>
      <input id={id} ref={input} readOnly value={value} spellcheck={false} onFocus={(e) => e.currentTarget.select()} data-testid={testid} />
      <button
        type="button"
        class="btn btn-small"
        onClick={async () => toast((await copyText(value, input.current)) ? t('screenLinkCopied') : t('copyFailed'))}
      >
        {button}
      </button>
    </div>
  );
}

function LinkCard({
  link, base, event, talks, rooms = [], onRotated, onDeleted,
}: {
  link: ScreenLink;
  base: string;
  event: KoeEvent;
  talks: Talk[];
  rooms?: string[];
  onRotated: (l: ScreenLink) => void;
  onDeleted: () => void;
}) {
  useLocale();
  const url = linkURL(base, link);
  const p = `slink-${link.id}`;
  return (
    <li class="card slink" data-testid="screen-link" data-id={link.id} data-kind={link.kind}>
      <div class="slink-head">
        <span class="slink-label" id={`${p}-label`}>
          {link.label}
        </span>
        <span class={`slink-kind slink-kind-${link.kind}`}>{link.kind === 'overlay' ? t('screenKindOverlay') : t('screenKindScreen')}</span>
        <span class="muted small">{t('screenLinkCreatedAt', { when: fmtDateTime(link.created_at, event.time_zone) })}</span>
      </div>
      <CopyRow id={`${p}-url`} label={t('screenLinkURL', { label: link.label })} value={url} button={t('screenLinkCopy')} testid="screen-link-url" />
      <div class="row-actions">
        <a class="btn btn-small" href={url} target="_blank" rel="noopener" data-testid="screen-link-open">
          {t('screenLinkOpen')}
        </a>
        <button
          type="button"
          class="btn btn-small"
          data-testid="screen-link-rotate"
          onClick={() =>
            confirm(t('screenLinkRotateConfirm', { label: link.label })) &&
            void attempt(async () => onRotated(await api.rotateScreenLink(link.event_id, link.id)), t('screenLinkRotated'))
          }
        >
          {t('screenLinkRotate')}
        </button>
        <button
          type="button"
          class="btn btn-small btn-danger"
          data-testid="screen-link-delete"
          onClick={() =>
            confirm(t('screenLinkDeleteConfirm', { label: link.label })) &&
            void attempt(async () => {
              await api.deleteScreenLink(link.event_id, link.id);
              onDeleted();
            }, t('screenLinkDeleted'))
          }
        >
          {t('delete')}
        </button>
      </div>
      {link.kind === 'overlay' && <OverlayBuilder url={url} prefix={p} talks={talks} />}
      {link.kind === 'screen' && rooms.length > 0 && (
        <details class="slink-rooms" data-testid="screen-link-rooms">
          <summary>{t('screenLinkRooms')}</summary>
          <p class="hint">{t('screenLinkRoomsHint')}</p>
          {rooms.map((room, i) => (
            <div key={room} class="slink-room">
              <span class="slink-room-name" dir="auto">
                {room}
              </span>
              <CopyRow
                id={`${p}-room-${i}`}
                label={t('screenLinkRoomURL', { label: link.label, room })}
                value={`${base.replace(/\/+$/, '')}${roomLinkPath(link.path, room)}`}
                button={t('screenLinkCopy')}
                testid="screen-link-room-url"
              />
            </div>
          ))}
        </details>
      )}
    </li>
  );
}

/** The URL an overlay link takes: which talk, which widgets where, theme and language. */
function OverlayBuilder({ url, prefix: p, talks }: { url: string; prefix: string; talks: Talk[] }) {
  useLocale();
  const ordered = useMemo(() => orderTalks(talks, Date.now()), [talks]);
  const [talkID, setTalkID] = useState<number | null>(null);
  // The talk on now, once the talks have loaded.
  useEffect(() => {
    if (talkID === null && talks.length) setTalkID(pickTalk(talks, Date.now())?.id ?? null);
  }, [talks.length]);
  const [chosen, setChosen] = useState<Partial<Record<Widget, Position>>>({ question: 'bottom', post: 'top-right', reactions: 'bottom-right' });
  const [theme, setTheme] = useState<Theme>('dark');
  const [lang, setLang] = useState<'' | 'ja' | 'en'>('');
  const [qr, setQR] = useState(true);
  const query = overlayQuery({ talkID, theme, lang: lang || null, qr: chosen.join ? qr : true, widgets: chosen });
  const full = query ? `${url}?${query}` : url;
  const none = allWidgets.every((w) => !chosen[w]);
  const set = (w: Widget, pos: Position | null) =>
    setChosen((c) => {
      const next = { ...c };
      if (pos) next[w] = pos;
      else delete next[w];
      return next;
    });
  // The sketch: the chosen widgets (or the overlay's defaults), by position.
  const shown = none ? { question: 'bottom', post: 'top-right', reactions: 'bottom-right' } as Partial<Record<Widget, Position>> : chosen;
  const at = (pos: Position) => builderWidgets.filter((w) => shown[w] === pos && (talkID !== null || !needsTalk.includes(w)));
  return (
    <section class="obuilder" aria-labelledby={`${p}-ob`} data-testid="overlay-builder">
      <h4 id={`${p}-ob`}>{t('overlayBuilderTitle')}</h4>
      <div class="obuilder-grid">
        <div class="field">
          <label for={`${p}-talk`}>{t('overlayTalk')}</label>
          <select
            id={`${p}-talk`}
            value={talkID === null ? '' : String(talkID)}
            onChange={(e) => setTalkID(e.currentTarget.value ? Number(e.currentTarget.value) : null)}
            data-testid="overlay-talk"
          >
            <option value="">{t('overlayNoTalk')}</option>
            {ordered.map((tk) => (
              <option key={tk.id} value={String(tk.id)}>
                {tk.title}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for={`${p}-theme`}>{t('overlayTheme')}</label>
          <select id={`${p}-theme`} value={theme} onChange={(e) => setTheme(e.currentTarget.value as Theme)} data-testid="overlay-theme">
            <option value="dark">{t('overlayThemeDark')}</option>
            <option value="light">{t('overlayThemeLight')}</option>
          </select>
        </div>
        <div class="field">
          <label for={`${p}-lang`}>{t('overlayLang')}</label>
          <select id={`${p}-lang`} value={lang} onChange={(e) => setLang(e.currentTarget.value as '' | 'ja' | 'en')} data-testid="overlay-lang">
            <option value="">{t('overlayLangAuto')}</option>
            <option value="ja" lang="ja">
              日本語
            </option>
            <option value="en" lang="en">
              English
            </option>
          </select>
        </div>
      </div>
      <div class="obuilder-body">
      <fieldset class="owidgets">
        <legend>{t('overlayWidgets')}</legend>
        {builderWidgets.map((w) => {
          const on = !!chosen[w];
          const id = `${p}-w-${w}`;
          return (
            <div class="owidget" key={w} data-widget={w}>
              <label class="check" for={id}>
                <input id={id} type="checkbox" checked={on} onChange={(e) => set(w, e.currentTarget.checked ? startAt[w] : null)} data-testid={`overlay-w-${w}`} />
                <span>{t(widgetName[w])}</span>
              </label>
              <select
                value={chosen[w] ?? startAt[w]}
                disabled={!on}
                aria-label={t('overlayPosition', { name: t(widgetName[w]) })}
                onChange={(e) => set(w, e.currentTarget.value as Position)}
                data-testid={`overlay-pos-${w}`}
              >
                {positions.map((pos) => (
                  <option key={pos} value={pos}>
                    {t(positionName[pos])}
                  </option>
                ))}
              </select>
              {on && needsTalk.includes(w) && talkID === null && <p class="hint">{t('overlayNeedsTalk')}</p>}
              {on && w === 'join' && (
                <label class="check hint">
                  <input type="checkbox" checked={qr} onChange={(e) => setQR(e.currentTarget.checked)} data-testid="overlay-qr" />
                  <span>{t('overlayJoinQR')}</span>
                </label>
              )}
            </div>
          );
        })}
        {none && <p class="hint">{t('overlayNoWidgets')}</p>}
      </fieldset>
      <div class={`opreview ${theme === 'light' ? 'opreview-light' : ''}`} role="img" aria-label={t('overlayPreview')}>
        {positions.map((pos) => (
          <div class="opreview-cell" data-pos={pos} key={pos}>
            {at(pos).map((w) => (
              <span class="opreview-w" key={w}>
                {t(widgetName[w])}
              </span>
            ))}
          </div>
        ))}
      </div>
      </div>
      <CopyRow id={`${p}-ourl`} label={t('overlayURL')} value={full} button={t('overlayCopy')} testid="overlay-url" />
      <details class="ohow" open>
        <summary>{t('overlayHowTitle')}</summary>
        <ol class="ohowto">
          <li>{t('overlayHow1')}</li>
          <li>{t('overlayHow2')}</li>
          <li>{t('overlayHow3')}</li>
          <li>{t('overlayHow4')}</li>
        </ol>
      </details>
    </section>
  );
}
