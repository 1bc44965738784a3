// Staff forms for events and talks. Times are entered in the event's time
// zone and sent as RFC 3339.
import { useEffect, useMemo, useState } from 'preact/hooks';
import { api } from '../api';
import { t, useLocale } from '../i18n';
import type { KoeEvent, Talk } from '../types';
import { errorText } from '../ui/errors';
import { isoToZoned, zonedToISO } from '../ui/format';
import { canonicalZone, localZone, timeZones, zoneOffset } from '../ui/timezones';
import { defaultReactions, eventReactions, fallbackPalette, maxReactions, toggleReaction } from '../state/reactions';
import { emojiName } from '../ui/reactions';

export function EventForm({
  event, submitLabel, onSubmit,
}: { event?: KoeEvent; submitLabel: string; onSubmit: (body: Record<string, unknown>) => Promise<void> }) {
  useLocale();
  const tz0 = event?.time_zone ?? localZone();
  const [title, setTitle] = useState(event?.title ?? '');
  const [slug, setSlug] = useState(event?.slug ?? '');
  const [tz, setTz] = useState(tz0);
  // Every IANA zone the browser knows, with its offset now: the input
  // searches them as one types (any part of the name).
  const zones = useMemo(() => timeZones().map((z) => ({ z, offset: zoneOffset(z) })), []);
  const zoneNames = useMemo(() => zones.map((x) => x.z), [zones]);
  const tzValid = canonicalZone(tz, zoneNames);
  const [starts, setStarts] = useState(isoToZoned(event?.starts_at ?? null, tz0));
  const [ends, setEnds] = useState(isoToZoned(event?.ends_at ?? null, tz0));
  const [replies, setReplies] = useState(event?.settings.participant_replies ?? false);
  const [signIn, setSignIn] = useState(event?.settings.participant_sign_in ?? false);
  // Participants can be asked to sign in only where koe has a provider.
  const [provider, setProvider] = useState(false);
  useEffect(() => void api.setupStatus().then((st) => setProvider(!!st.oidc), () => {}), []);
  // The passcode is not in the event: its owners read it (this form is
  // theirs); null until it has loaded, or for a new event.
  const [passcode, setPasscode] = useState<string | null>(null);
  const [passcode0, setPasscode0] = useState('');
  useEffect(() => {
    if (!event) return;
    api.eventPasscode(event.id).then(
      (r) => {
        setPasscode(r.passcode);
        setPasscode0(r.passcode);
      },
      () => setPasscode(null),
    );
  }, [event?.id]);
  // The emoji participants may tap (an event being edited; a new one starts with koe's default set).
  const reactions0 = eventReactions(event?.settings);
  const [reactions, setReactions] = useState<string[]>(reactions0.length ? reactions0 : defaultReactions);
  const [reactionsOn, setReactionsOn] = useState(reactions0.length > 0);
  const [busy, setBusy] = useState(false);
  const [err, setErr] = useState('');
  const p = event ? `ev${event.id}` : 'new';
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setErr('');
    try {
      const body: Record<string, unknown> = {
        title,
        time_zone: tzValid ?? tz,
        starts_at: zonedToISO(starts, tzValid ?? tz),
        ends_at: zonedToISO(ends, tzValid ?? tz),
        // The moderation mode is set in the moderation console; keep it.
        settings: {
          ...(event?.settings.moderation ? { moderation: event.settings.moderation } : {}),
          participant_replies: replies,
          participant_sign_in: signIn,
          ...(event ? { reactions: reactionsOn ? reactions : [] } : {}),
        },
      };
      if (slug.trim()) body.slug = slug.trim();
      if (passcode !== null && passcode.trim() !== passcode0) body.passcode = passcode.trim();
      await onSubmit(body);
      if (passcode !== null) setPasscode0(passcode.trim());
      if (!event) {
        setTitle('');
        setSlug('');
      }
    } catch (e2) {
      setErr(errorText(e2));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form onSubmit={submit} class="form-grid">
      <div class="field span-2">
        <label for={`${p}-title`}>{t('titleLabel')}</label>
        <input id={`${p}-title`} value={title} required maxLength={200} onInput={(e) => setTitle(e.currentTarget.value)} />
      </div>
      <div class="field">
        <label for={`${p}-slug`}>{t('slugLabel')}</label>
        <input id={`${p}-slug`} value={slug} pattern="[a-z0-9]+(-[a-z0-9]+)*" aria-describedby={`${p}-slug-hint`} onInput={(e) => setSlug(e.currentTarget.value)} />
        <p id={`${p}-slug-hint`} class="hint">
          {t('slugHint')}
        </p>
      </div>
      <div class="field">
        <label for={`${p}-tz`}>{t('tzLabel')}</label>
        <input
          id={`${p}-tz`}
          type="search"
          value={tz}
          list={`${p}-tz-list`}
          required
          autoComplete="off"
          spellcheck={false}
          aria-describedby={`${p}-tz-hint`}
          aria-invalid={tzValid ? undefined : 'true'}
          ref={(el) => el?.setCustomValidity(tzValid ? '' : t('tzInvalid'))}
          onInput={(e) => setTz(e.currentTarget.value)}
          onChange={(e) => setTz(canonicalZone(e.currentTarget.value, zoneNames) ?? e.currentTarget.value)}
        />
        <datalist id={`${p}-tz-list`}>
          {zones.map(({ z, offset }) => (
            <option key={z} value={z} label={`${z.replace(/_/g, ' ')}${offset ? ` (${offset})` : ''}`} />
          ))}
        </datalist>
        <p id={`${p}-tz-hint`} class="hint">
          {tzValid ? t('tzHint', { offset: zoneOffset(tzValid) }) : t('tzInvalid')}
        </p>
      </div>
      <div class="field">
        <label for={`${p}-starts`}>{t('startsLabel')}</label>
        <input id={`${p}-starts`} type="datetime-local" value={starts} onInput={(e) => setStarts(e.currentTarget.value)} />
      </div>
      <div class="field">
        <label for={`${p}-ends`}>{t('endsLabel')}</label>
        <input id={`${p}-ends`} type="datetime-local" value={ends} onInput={(e) => setEnds(e.currentTarget.value)} />
      </div>
      <div class="field span-2">
        <label class="check">
          <input type="checkbox" checked={replies} onChange={(e) => setReplies(e.currentTarget.checked)} />
          <span>{t('participantReplies')}</span>
        </label>
      </div>
      {(provider || signIn) && (
        <div class="field span-2">
          <label class="check">
            <input type="checkbox" checked={signIn} onChange={(e) => setSignIn(e.currentTarget.checked)} />
            <span>{t('participantSignIn')}</span>
          </label>
        </div>
      )}
      {event && (
        <div class="field span-2">
          <ReactionSet id={`${p}-reactions`} on={reactionsOn} chosen={reactions} onOn={setReactionsOn} onChosen={setReactions} />
        </div>
      )}
      {passcode !== null && (
        <div class="field span-2">
          <label for={`${p}-passcode`}>{t('passcodeSetting')}</label>
          <input
            id={`${p}-passcode`}
            value={passcode}
            maxLength={64}
            autoComplete="off"
            spellcheck={false}
            aria-describedby={`${p}-passcode-hint`}
            onInput={(e) => setPasscode(e.currentTarget.value)}
          />
          <p id={`${p}-passcode-hint`} class="hint">
            {t('passcodeSettingHint')}
          </p>
        </div>
      )}
      <p class="error-text span-2" role="alert">
        {err}
      </p>
      <div class="span-2">
        <button type="submit" class="btn btn-primary" disabled={busy || !title.trim()}>
          {submitLabel}
        </button>
      </div>
    </form>
  );
}

/**
 * The emoji participants may tap (settings.reactions): a switch for
 * reactions at all, and koe's palette as toggle buttons, at most 6 chosen.
 * Saved with the rest of the event's settings.
 */
function ReactionSet({ id, on, chosen, onOn, onChosen }: { id: string; on: boolean; chosen: string[]; onOn: (on: boolean) => void; onChosen: (c: string[]) => void }) {
  useLocale();
  const [palette, setPalette] = useState<string[]>(fallbackPalette);
  useEffect(() => {
    api.clientConfig().then(
      (c) => {
        if (Array.isArray(c.reaction_palette) && c.reaction_palette.length) setPalette(c.reaction_palette);
      },
      () => {},
    );
  }, []);
  const full = chosen.length >= maxReactions;
  const effective = on && chosen.length > 0;
  return (
    <fieldset class="react-set" data-off={String(!effective)} data-testid="reaction-settings">
      <legend>{t('reactionsSettingTitle')}</legend>
      <p class="hint" id={`${id}-lead`}>
        {t('reactionsSettingLead')}
      </p>
      <label class="check">
        <input
          type="checkbox"
          checked={on}
          onChange={(e) => {
            const v = e.currentTarget.checked;
            onOn(v);
            if (v && chosen.length === 0) onChosen(defaultReactions.filter((x) => palette.includes(x)));
          }}
          data-testid="reactions-on"
        />
        <span>{t('reactionsEnable')}</span>
      </label>
      <div class="react-palette" role="group" aria-label={t('reactionsPaletteLabel')} aria-describedby={`${id}-count`}>
        {palette.map((e) => {
          const picked = chosen.includes(e);
          return (
            <button
              type="button"
              key={e}
              class="react-choice"
              aria-pressed={picked}
              aria-label={emojiName(e)}
              title={emojiName(e)}
              disabled={!on || (!picked && full)}
              data-emoji={e}
              onClick={() => onChosen(toggleReaction(chosen, e, palette))}
            >
              <span aria-hidden="true">{e}</span>
            </button>
          );
        })}
      </div>
      <p class="hint" id={`${id}-count`} aria-live="polite" data-testid="reactions-count">
        {!effective ? (
          t('reactionsOffNote')
        ) : (
          <>
            <span class="react-set-count">{t('reactionsCount', { n: chosen.length, max: maxReactions })}</span>
            {full ? ` ${t('reactionsFull')}` : ''}
          </>
        )}
      </p>
    </fieldset>
  );
}

export function TalkForm({
  talk, tz, submitLabel, onSubmit, onCancel,
}: {
  talk?: Talk;
  tz: string;
  submitLabel: string;
  onSubmit: (body: Record<string, unknown>) => Promise<void>;
  onCancel?: () => void;
}) {
  useLocale();
  const [title, setTitle] = useState(talk?.title ?? '');
  const [speaker, setSpeaker] = useState(talk?.speaker ?? '');
  const [track, setTrack] = useState(talk?.track ?? '');
  const [starts, setStarts] = useState(isoToZoned(talk?.starts_at ?? null, tz));
  const [ends, setEnds] = useState(isoToZoned(talk?.ends_at ?? null, tz));
  const [mode, setMode] = useState<'' | 'post' | 'pre'>(talk?.moderation ?? '');
  const [room, setRoom] = useState(talk?.room ?? '');
  const [language, setLanguage] = useState(talk?.language ?? '');
  const [busy, setBusy] = useState(false);
  const [err, setErr] = useState('');
  const p = talk ? `tk${talk.id}` : 'newtalk';
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setErr('');
    try {
      const body: Record<string, unknown> = { title, speaker, track, starts_at: zonedToISO(starts, tz), ends_at: zonedToISO(ends, tz) };
      if (mode || talk?.moderation) body.moderation = mode;
      if (room.trim() || talk?.room) body.room = room.trim();
      if (language.trim() || talk?.language) body.language = language.trim();
      await onSubmit(body);
      if (!talk) {
        setTitle('');
        setSpeaker('');
      }
    } catch (e2) {
      setErr(errorText(e2));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form onSubmit={submit} class="form-grid">
      <div class="field span-2">
        <label for={`${p}-title`}>{t('titleLabel')}</label>
        <input id={`${p}-title`} value={title} required maxLength={200} onInput={(e) => setTitle(e.currentTarget.value)} />
      </div>
      <div class="field">
        <label for={`${p}-speaker`}>{t('speakerLabel')}</label>
        <input id={`${p}-speaker`} value={speaker} maxLength={200} onInput={(e) => setSpeaker(e.currentTarget.value)} />
      </div>
      <div class="field">
        <label for={`${p}-track`}>{t('trackLabel')}</label>
        <input id={`${p}-track`} value={track} maxLength={100} onInput={(e) => setTrack(e.currentTarget.value)} />
      </div>
      <div class="field">
        <label for={`${p}-starts`}>{t('startsLabel')}</label>
        <input id={`${p}-starts`} type="datetime-local" value={starts} onInput={(e) => setStarts(e.currentTarget.value)} />
      </div>
      <div class="field">
        <label for={`${p}-ends`}>{t('endsLabel')}</label>
        <input id={`${p}-ends`} type="datetime-local" value={ends} onInput={(e) => setEnds(e.currentTarget.value)} />
      </div>
      <div class="field">
        <label for={`${p}-room`}>{t('scheduleRoom')}</label>
        <input id={`${p}-room`} value={room} maxLength={100} aria-describedby={`${p}-room-hint`} onInput={(e) => setRoom(e.currentTarget.value)} data-testid="talk-room-input" />
        <p id={`${p}-room-hint`} class="hint">
          {t('talkRoomHint')}
        </p>
      </div>
      <div class="field">
        <label for={`${p}-language`}>{t('scheduleLanguage')}</label>
        <input id={`${p}-language`} value={language} maxLength={35} placeholder="ja, en…" onInput={(e) => setLanguage(e.currentTarget.value)} data-testid="talk-language-input" />
      </div>
      <div class="field span-2">
        <label for={`${p}-moderation`}>{t('talkModeLabel')}</label>
        <select id={`${p}-moderation`} value={mode} onChange={(e) => setMode(e.currentTarget.value as '' | 'post' | 'pre')} data-testid="talk-moderation">
          <option value="">{t('talkModeInherit')}</option>
          <option value="post">{t('modePost')}</option>
          <option value="pre">{t('modePre')}</option>
        </select>
      </div>
      <p class="error-text span-2" role="alert">
        {err}
      </p>
      <div class="span-2 form-actions">
        <button type="submit" class="btn btn-primary" disabled={busy || !title.trim()}>
          {submitLabel}
        </button>
        {onCancel && (
          <button type="button" class="btn btn-ghost" onClick={onCancel}>
            {t('cancel')}
          </button>
        )}
      </div>
    </form>
  );
}
