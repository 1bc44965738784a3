// The moderation settings of an event: its mode (an event setting, which
// only owners change) and the pipeline's rules (GET/PUT
// /events/{id}/moderation, owners and moderators): word list, allow-list,
// thresholds, fail open or closed, the shipped lists, HTTP scorers.
import { useEffect, useState } from 'preact/hooks';
import { api } from '../api';
import { t, useLocale } from '../i18n';
import type { KoeEvent, ModerationMode, ModerationSettings, Talk, WordAction } from '../types';
import { Notice, Spinner } from '../ui/chrome';
import { errorText } from '../ui/errors';
import { toast } from '../ui/toast';

const actions: WordAction[] = ['block', 'queue', 'flag', 'mask'];

export function actionName(a: WordAction): string {
  switch (a) {
    case 'block':
      return t('actionBlock');
    case 'queue':
      return t('actionQueue');
    case 'flag':
      return t('actionFlag');
    case 'mask':
      return t('actionMask');
  }
  return a;
}

export function ModerationSettingsForm({
  eventID, event, canMode, talks, onEvent,
}: { eventID: number; event: KoeEvent; canMode: boolean; talks: Talk[]; onEvent: (e: KoeEvent) => void }) {
  useLocale();
  return (
    <div class="mod-settings">
      <ModeSection event={event} canMode={canMode} talks={talks} onEvent={onEvent} />
      <RulesSection eventID={eventID} />
    </div>
  );
}

function ModeSection({ event, canMode, talks, onEvent }: { event: KoeEvent; canMode: boolean; talks: Talk[]; onEvent: (e: KoeEvent) => void }) {
  const saved: ModerationMode = event.settings.moderation ?? 'post';
  // The choice shows at once; it goes back if the server refuses it.
  const [want, setWant] = useState<ModerationMode | null>(null);
  const cur = want ?? saved;
  const [busy, setBusy] = useState(false);
  const set = async (mode: ModerationMode) => {
    if (mode === cur) return;
    setWant(mode);
    setBusy(true);
    try {
      onEvent(await api.updateEvent(event.id, { settings: { ...event.settings, moderation: mode } }));
      toast(t('saved'));
    } catch (e) {
      toast(errorText(e), 'error');
    } finally {
      setWant(null);
      setBusy(false);
    }
  };
  const overrides = talks.filter((tk) => tk.moderation);
  return (
    <section class="card pad" aria-labelledby="mode-h">
      <h2 id="mode-h">{t('modeTitle')}</h2>
      <fieldset class="radio-cards" disabled={!canMode || busy} data-testid="mode">
        <legend class="sr-only">{t('modeTitle')}</legend>
        {(['post', 'pre'] as const).map((m) => (
          <label key={m} class="radio-card">
            <input type="radio" name="mod-mode" value={m} checked={cur === m} onChange={() => void set(m)} />
            <span>
              <strong>{m === 'pre' ? t('modePre') : t('modePost')}</strong>
              <span class="hint">{m === 'pre' ? t('modePreHint') : t('modePostHint')}</span>
            </span>
          </label>
        ))}
      </fieldset>
      {!canMode && <p class="hint">{t('modeOwnersOnly')}</p>}
      {overrides.length > 0 && (
        <p class="hint">
          {t('modeOverrides')}{' '}
          {overrides.map((tk) => `${tk.title} (${tk.moderation === 'pre' ? t('modePre') : t('modePost')})`).join(', ')}
        </p>
      )}
    </section>
  );
}

const num = (v: string, d: number) => {
  const n = Number(v);
  return Number.isFinite(n) ? n : d;
};

function RulesSection({ eventID }: { eventID: number }) {
  const [s, setS] = useState<ModerationSettings | null>(null);
  const [err, setErr] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [formErr, setFormErr] = useState('');
  const [word, setWord] = useState('');
  const [wordAction, setWordAction] = useState<WordAction>('queue');
  const [allow, setAllow] = useState('');
  const [scName, setScName] = useState('');
  const [scURL, setScURL] = useState('');
  useEffect(() => {
    api.moderationSettings(eventID).then(
      (x) => setS({ ...x, words: x.words ?? [], allow: x.allow ?? [], scorers: x.scorers ?? [] }),
      setErr,
    );
  }, [eventID]);
  if (err) return <Notice kind="error">{errorText(err)}</Notice>;
  if (!s) return <Spinner />;
  const up = (p: Partial<ModerationSettings>) => setS({ ...s, ...p });
  const addWord = () => {
    const w = word.trim();
    if (!w) return;
    up({ words: [...s.words.filter((x) => x.word !== w), { word: w, action: wordAction }] });
    setWord('');
  };
  const addAllow = () => {
    const w = allow.trim();
    if (!w || s.allow.includes(w)) return;
    up({ allow: [...s.allow, w] });
    setAllow('');
  };
  const addScorer = () => {
    if (!scName.trim() || !scURL.trim()) return;
    up({ scorers: [...s.scorers.filter((x) => x.name !== scName.trim()), { name: scName.trim(), url: scURL.trim() }] });
    setScName('');
    setScURL('');
  };
  const enter = (fn: () => void) => (e: KeyboardEvent) => {
    if (e.key === 'Enter') {
      e.preventDefault();
      fn();
    }
  };
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setFormErr('');
    try {
      const saved = await api.setModerationSettings(eventID, s);
      setS({ ...saved, words: saved.words ?? [], allow: saved.allow ?? [], scorers: saved.scorers ?? [] });
      toast(t('saved'));
    } catch (e2) {
      setFormErr(errorText(e2));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="card pad mod-rules" onSubmit={submit} aria-labelledby="rules-h" data-testid="mod-rules">
      <h2 id="rules-h">{t('rulesTitle')}</h2>

      <h3>{t('wordsTitle')}</h3>
      <p class="hint">{t('wordsHint')}</p>
      {s.words.length > 0 ? (
        <ul class="word-list" data-testid="word-list">
          {s.words.map((w, i) => (
            <li key={w.word}>
              <span class="word" dir="auto">
                {w.word}
              </span>
              <label class="sr-only" for={`word-act-${i}`}>
                {t('wordActionFor', { word: w.word })}
              </label>
              <select
                id={`word-act-${i}`}
                value={w.action}
                onChange={(e) => up({ words: s.words.map((x, j) => (j === i ? { ...x, action: e.currentTarget.value as WordAction } : x)) })}
              >
                {actions.map((a) => (
                  <option key={a} value={a}>
                    {actionName(a)}
                  </option>
                ))}
              </select>
              <button type="button" class="btn btn-small btn-ghost" aria-label={t('removeNamed', { name: w.word })} onClick={() => up({ words: s.words.filter((_, j) => j !== i) })}>
                {t('remove')}
              </button>
            </li>
          ))}
        </ul>
      ) : (
        <p class="muted small">{t('noWords')}</p>
      )}
      <div class="add-row">
        <div class="field">
          <label for="word-new">{t('wordLabel')}</label>
          <input id="word-new" value={word} dir="auto" maxLength={100} onInput={(e) => setWord(e.currentTarget.value)} onKeyDown={enter(addWord)} />
        </div>
        <div class="field">
          <label for="word-new-action">{t('wordAction')}</label>
          <select id="word-new-action" value={wordAction} onChange={(e) => setWordAction(e.currentTarget.value as WordAction)}>
            {actions.map((a) => (
              <option key={a} value={a}>
                {actionName(a)}
              </option>
            ))}
          </select>
        </div>
        <button type="button" class="btn" onClick={addWord} disabled={!word.trim()} data-testid="add-word">
          {t('add')}
        </button>
      </div>

      <h3>{t('allowTitle')}</h3>
      <p class="hint">{t('allowHint')}</p>
      {s.allow.length > 0 && (
        <ul class="chip-list" data-testid="allow-list">
          {s.allow.map((w) => (
            <li key={w} class="chip">
              <span dir="auto">{w}</span>
              <button type="button" class="chip-x" aria-label={t('removeNamed', { name: w })} onClick={() => up({ allow: s.allow.filter((x) => x !== w) })}>
                ×
              </button>
            </li>
          ))}
        </ul>
      )}
      <div class="add-row">
        <div class="field">
          <label for="allow-new">{t('allowLabel')}</label>
          <input id="allow-new" value={allow} dir="auto" maxLength={100} onInput={(e) => setAllow(e.currentTarget.value)} onKeyDown={enter(addAllow)} />
        </div>
        <button type="button" class="btn" onClick={addAllow} disabled={!allow.trim()}>
          {t('add')}
        </button>
      </div>

      <h3>{t('thresholdsTitle')}</h3>
      <div class="form-grid">
        <div class="field">
          <label for="th-queue">{t('queueThreshold')}</label>
          <input id="th-queue" type="number" min={0} max={1} step={0.01} value={s.queue_threshold} aria-describedby="th-queue-hint" onInput={(e) => up({ queue_threshold: num(e.currentTarget.value, s.queue_threshold) })} />
          <p id="th-queue-hint" class="hint">
            {t('queueThresholdHint')}
          </p>
        </div>
        <div class="field">
          <label for="th-reject">{t('rejectThreshold')}</label>
          <input id="th-reject" type="number" min={0} max={1} step={0.01} value={s.reject_threshold} aria-describedby="th-reject-hint" onInput={(e) => up({ reject_threshold: num(e.currentTarget.value, s.reject_threshold) })} />
          <p id="th-reject-hint" class="hint">
            {t('rejectThresholdHint')}
          </p>
        </div>
        <div class="field">
          <label for="max-links">{t('maxLinks')}</label>
          <input id="max-links" type="number" min={0} max={20} step={1} value={s.max_links} aria-describedby="max-links-hint" onInput={(e) => up({ max_links: Math.round(num(e.currentTarget.value, s.max_links)) })} />
          <p id="max-links-hint" class="hint">
            {t('maxLinksHint')}
          </p>
        </div>
      </div>
      <fieldset class="field plain-fieldset">
        <legend class="label">{t('failTitle')}</legend>
        <label class="check">
          <input type="radio" name="fail" checked={!s.fail_closed} onChange={() => up({ fail_closed: false })} />
          <span>{t('failOpen')}</span>
        </label>
        <label class="check">
          <input type="radio" name="fail" checked={s.fail_closed} onChange={() => up({ fail_closed: true })} />
          <span>{t('failClosed')}</span>
        </label>
      </fieldset>
      <div class="field">
        <label class="check">
          <input type="checkbox" checked={s.shipped_lists} onChange={(e) => up({ shipped_lists: e.currentTarget.checked })} />
          <span>{t('shippedLists')}</span>
        </label>
      </div>

      <h3>{t('scorersTitle')}</h3>
      <p class="hint">{t('scorersHint')}</p>
      {s.scorers.length > 0 && (
        <ul class="word-list" data-testid="scorer-list">
          {s.scorers.map((sc) => (
            <li key={sc.name}>
              <span class="word">{sc.name}</span>
              <span class="muted small scorer-url">{sc.url}</span>
              <button type="button" class="btn btn-small btn-ghost" aria-label={t('removeNamed', { name: sc.name })} onClick={() => up({ scorers: s.scorers.filter((x) => x.name !== sc.name) })}>
                {t('remove')}
              </button>
            </li>
          ))}
        </ul>
      )}
      <div class="add-row">
        <div class="field">
          <label for="scorer-name">{t('scorerName')}</label>
          <input id="scorer-name" value={scName} maxLength={40} onInput={(e) => setScName(e.currentTarget.value)} />
        </div>
        <div class="field add-row-wide">
          <label for="scorer-url">{t('scorerURL')}</label>
          <input id="scorer-url" type="url" value={scURL} placeholder="http://scorer:8080/score" onInput={(e) => setScURL(e.currentTarget.value)} onKeyDown={enter(addScorer)} />
        </div>
        <button type="button" class="btn" onClick={addScorer} disabled={!scName.trim() || !scURL.trim()}>
          {t('add')}
        </button>
      </div>

      <p class="error-text" role="alert">
        {formErr}
      </p>
      <button type="submit" class="btn btn-primary" disabled={busy} data-testid="save-rules">
        {t('saveRules')}
      </button>
    </form>
  );
}
