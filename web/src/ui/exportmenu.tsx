// Staff: the "Export" control (F22) for a talk or a whole event: three
// plain links (Markdown for the speakers, CSV for spreadsheets, JSON with
// everything), each with a line on what it is for. The browser's staff
// cookie authenticates the GET and the server answers with an attachment,
// so there is no fetch here: <a href download>. For moderators and owners
// a checkbox switches the links to all=true (held, rejected and hidden
// questions and replies too; the server refuses it to presenters).
//
// Two shapes: 'menu', a disclosure button that drops a panel (the talk's
// head; Escape or a click elsewhere closes it), and 'inline', a section that
// unfolds in place like the event card's other settings.
import { useEffect, useRef, useState } from 'preact/hooks';
import { api } from '../api';
import { t, useLocale, type Key } from '../i18n';
import type { EventRole, ExportFormat } from '../types';
import '../styles/export.css';

/** The formats offered, in the order shown: the speakers' Markdown first. */
export const exportFormats: readonly ExportFormat[] = ['md', 'csv', 'json'];

const names: Record<ExportFormat, Key> = { md: 'exportMd', csv: 'exportCsv', json: 'exportJson' };
const hints: Record<ExportFormat, Key> = { md: 'exportMdHint', csv: 'exportCsvHint', json: 'exportJsonHint' };

/** The links of the control: one per format, for the talk (or, talkID null, the event), all=true when all. */
export function exportLinks(eventID: number, talkID: number | null, all: boolean): { format: ExportFormat; href: string }[] {
  return exportFormats.map((format) => ({ format, href: api.exportURL(eventID, talkID, format, all) }));
}

/**
 * What a member of staff may export, as the server allows it: a talk it
 * sees (a presenter limited to some talks: those), the whole event unless
 * it is such a presenter, and held, rejected and hidden items only as a
 * moderator or owner.
 */
export function exportRights(role: EventRole | null, limit: readonly number[]): { event: boolean; all: boolean; talk: (talkID: number) => boolean } {
  if (!role) return { event: false, all: false, talk: () => false };
  const limited = role === 'presenter' && limit.length > 0;
  return {
    event: !limited,
    all: role === 'owner' || role === 'moderator',
    talk: (talkID) => !limited || limit.includes(talkID),
  };
}

function DownloadIcon() {
  return (
    <svg viewBox="0 0 24 24" class="icon export-icon" aria-hidden="true">
      <path d="M12 4v11M7 10.5l5 5 5-5M5 19.5h14" class="icon-line" />
    </svg>
  );
}

export function ExportMenu({
  eventID, talkID, mayAll, variant = 'menu',
}: { eventID: number; talkID: number | null; mayAll: boolean; variant?: 'menu' | 'inline' }) {
  useLocale();
  const [all, setAll] = useState(false);
  const ref = useRef<HTMLDetailsElement>(null);
  const p = `export-${eventID}-${talkID ?? 'event'}`;
  const scope = talkID === null ? 'event' : 'talk';

  // The dropped panel closes on a click elsewhere, like any menu.
  useEffect(() => {
    if (variant !== 'menu') return;
    const onDoc = (e: MouseEvent) => {
      const d = ref.current;
      if (d?.open && e.target instanceof Node && !d.contains(e.target)) d.open = false;
    };
    document.addEventListener('click', onDoc);
    return () => document.removeEventListener('click', onDoc);
  }, [variant]);

  const onKeyDown = (e: KeyboardEvent) => {
    const d = ref.current;
    if (e.key !== 'Escape' || !d?.open) return;
    e.stopPropagation();
    d.open = false;
    d.querySelector('summary')?.focus();
  };

  const title = scope === 'event' ? t('exportEventTitle') : t('exportTalkTitle');
  return (
    <details
      ref={ref}
      class={variant === 'menu' ? 'export-menu export-dropdown' : 'settings export-menu export-inline'}
      onKeyDown={onKeyDown}
      data-testid={`export-${scope}`}
    >
      <summary class={variant === 'menu' ? 'btn btn-small export-summary' : 'export-summary'} data-testid="export-toggle">
        {variant === 'menu' && <DownloadIcon />}
        {variant === 'menu' ? t('exportButton') : title}
      </summary>
      <div class="export-panel" role="group" aria-labelledby={`${p}-h`}>
        <p class="export-title" id={`${p}-h`}>
          {title}
        </p>
        <p class="muted small export-lead">{scope === 'event' ? t('exportEventLead') : t('exportTalkLead')}</p>
        {mayAll && (
          <div class="export-all">
            <label class="check">
              <input
                type="checkbox"
                checked={all}
                onChange={(e) => setAll(e.currentTarget.checked)}
                aria-describedby={`${p}-all-hint`}
                data-testid="export-all"
              />
              <span>{t('exportAll')}</span>
            </label>
            <p class="hint" id={`${p}-all-hint`}>
              {t('exportAllHint')}
            </p>
          </div>
        )}
        <ul class="export-list">
          {exportLinks(eventID, talkID, all).map(({ format, href }) => (
            <li key={format} class="export-item">
              <a class="btn btn-small export-link" href={href} download aria-describedby={`${p}-${format}`} data-format={format}>
                <DownloadIcon />
                {t(names[format])}
              </a>
              <span class="export-desc muted small" id={`${p}-${format}`}>
                {t(hints[format])}
                {all && <span class="sr-only export-with-all"> {t('exportWithAll')}</span>}
              </span>
            </li>
          ))}
        </ul>
      </div>
    </details>
  );
}
