// The OBS overlay's URL parameters (F19): /overlay/{secret}?talk=…&theme=…&
// lang=…&question=bottom&post=top-right… One parameter per widget, its
// value where the widget goes; a widget is shown iff its parameter is
// there, and with none of them the overlay shows the usual three. The
// poll widget (poll=…) shows the talk's current poll and hides without one.

/** Where a widget goes on the 1920×1080 frame. */
export type Position = 'top-left' | 'top' | 'top-right' | 'left' | 'center' | 'right' | 'bottom-left' | 'bottom' | 'bottom-right';

export const positions: readonly Position[] = [
  'top-left',
  'top',
  'top-right',
  'left',
  'center',
  'right',
  'bottom-left',
  'bottom',
  'bottom-right',
];

/** What the overlay can show. */
export type Widget = 'question' | 'post' | 'reactions' | 'join' | 'poll';

/** In the order they are drawn in a position they share. */
export const widgets: readonly Widget[] = ['post', 'question', 'poll', 'reactions', 'join'];

/** Where each widget goes when its parameter names no position koe knows. */
export const defaultPositions: Readonly<Record<Widget, Position>> = {
  question: 'bottom',
  post: 'top-right',
  reactions: 'bottom-right',
  join: 'top-left',
  // The left edge: nothing else goes there by default.
  poll: 'left',
};

/** The widgets shown when the URL names none. */
export const defaultWidgets: readonly Widget[] = ['question', 'post', 'reactions'];

/** The widgets that follow one talk: without talk= they have nothing to show. */
export const talkWidgets: readonly Widget[] = ['question', 'reactions', 'poll'];

export type Theme = 'dark' | 'light';

export interface OverlayParams {
  /** The talk whose question and reactions are shown; null: event-level widgets only. */
  talkID: number | null;
  theme: Theme;
  /** null: the browser's language (or the one chosen before). */
  lang: 'ja' | 'en' | null;
  /** Whether the join badge carries a QR code (qr=0 turns it off). */
  qr: boolean;
  /** The widgets shown, each at its position. */
  widgets: Partial<Record<Widget, Position>>;
}

export function isPosition(s: string | null | undefined): s is Position {
  return !!s && (positions as readonly string[]).includes(s);
}

/** Parses the overlay's query string (with or without the "?"). */
export function parseOverlayParams(search: string | URLSearchParams): OverlayParams {
  const q = typeof search === 'string' ? new URLSearchParams(search) : search;
  const talkRaw = (q.get('talk') ?? '').trim();
  const talkID = /^[1-9]\d{0,15}$/.test(talkRaw) && Number.isSafeInteger(Number(talkRaw)) ? Number(talkRaw) : null;
  const theme: Theme = (q.get('theme') ?? '').trim().toLowerCase() === 'light' ? 'light' : 'dark';
  const langRaw = (q.get('lang') ?? '').trim().toLowerCase();
  const lang = langRaw === 'ja' || langRaw === 'en' ? langRaw : null;
  const qrRaw = (q.get('qr') ?? '').trim().toLowerCase();
  const qr = !['0', 'false', 'no', 'off'].includes(qrRaw);
  const chosen: Partial<Record<Widget, Position>> = {};
  let any = false;
  for (const w of widgets) {
    if (!q.has(w)) continue;
    any = true;
    const v = (q.get(w) ?? '').trim().toLowerCase();
    chosen[w] = isPosition(v) ? v : defaultPositions[w];
  }
  if (!any) for (const w of defaultWidgets) chosen[w] = defaultPositions[w];
  return { talkID, theme, lang, qr, widgets: chosen };
}

/** The query string (without "?") that parseOverlayParams reads back as p: for links and tests. */
export function overlayQuery(p: Partial<OverlayParams>): string {
  const q = new URLSearchParams();
  if (p.talkID) q.set('talk', String(p.talkID));
  if (p.theme && p.theme !== 'dark') q.set('theme', p.theme);
  if (p.lang) q.set('lang', p.lang);
  if (p.qr === false) q.set('qr', '0');
  for (const w of widgets) {
    const pos = p.widgets?.[w];
    if (pos) q.set(w, pos);
  }
  return q.toString();
}

/**
 * The widgets to draw, grouped by position in drawing order; the talk's
 * widgets only with a talk.
 */
export function layout(p: Pick<OverlayParams, 'widgets' | 'talkID'>): Map<Position, Widget[]> {
  const out = new Map<Position, Widget[]>();
  for (const w of widgets) {
    const pos = p.widgets[w];
    if (!pos) continue;
    if (p.talkID === null && talkWidgets.includes(w)) continue;
    const list = out.get(pos) ?? [];
    list.push(w);
    out.set(pos, list);
  }
  return out;
}

/** Whether widgets at pos stack from the bottom of the frame up (the bottom row). */
export function fromBottom(pos: Position): boolean {
  return pos.startsWith('bottom');
}

/** Splits a join code for reading: "ABC234" → ["ABC", "234"]. */
export function codeGroups(code: string): string[] {
  if (code.length <= 4) return [code];
  const half = Math.ceil(code.length / 2);
  return [code.slice(0, half), code.slice(half)];
}
