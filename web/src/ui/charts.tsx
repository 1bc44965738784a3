// Charts for the post-event report, drawn by hand in SVG: no library, no
// request anywhere. The pure part (series on even time slots, scales, nice
// ticks, bar and line geometry) is exported for the tests; the components
// draw it with classes for colour (styles/report.css maps them onto the
// design tokens) and attributes for geometry, so the strict CSP holds (no
// style attributes). Each chart measures its own width and draws at it, in
// a viewBox of that width, so text keeps its size on a phone and the
// drawing scales as a whole when printed.
import type { ComponentChildren } from 'preact';
import { useLayoutEffect, useRef, useState } from 'preact/hooks';
import { locale } from '../i18n';
import type { Bucket } from '../types';

/** A value in the time slot that starts at t (ms since the epoch). */
export interface Point {
  t: number;
  v: number;
}

export type Combine = 'sum' | 'max';

export const minuteMs = 60_000;

/** The start of the slot of length step (ms, aligned on the Unix epoch, as the server's buckets are) that holds ms. */
export function floorTo(ms: number, step: number): number {
  return Math.floor(ms / step) * step;
}

/** Slot lengths a series may be coarsened to, in minutes: the axis reads well at each. */
const niceMinutes = [1, 2, 5, 10, 15, 20, 30, 60, 120, 180, 360, 720, 1440, 2880, 10080];

/**
 * The slot length to draw a span (ms) in at most max slots, starting from
 * the data's own step: the step itself when it fits, else the smallest
 * nice length that is a multiple of it (so buckets merge whole), else a
 * plain multiple.
 */
export function coarserStep(step: number, span: number, max: number): number {
  if (!(step > 0)) return minuteMs;
  const fits = (s: number) => Math.floor(Math.max(0, span) / s) + 1 <= max;
  if (fits(step)) return step;
  for (const m of niceMinutes) {
    const s = m * minuteMs;
    if (s > step && s % step === 0 && fits(s)) return s;
  }
  const k = Math.ceil((Math.floor(span / step) + 1) / Math.max(1, max));
  return step * Math.max(2, k);
}

/** The buckets' times as ms and counts, skipping unreadable ones (a bad time, a negative or non-finite count). */
export function toPoints(buckets: readonly Bucket[]): Point[] {
  const out: Point[] = [];
  for (const b of buckets) {
    const t = Date.parse(b.at);
    if (Number.isFinite(t) && Number.isFinite(b.count) && b.count >= 0) out.push({ t, v: b.count });
  }
  return out.sort((a, b) => a.t - b.t);
}

/**
 * A series on every slot of step from the slot of `from` to the slot of
 * `to`: the points that fall in a slot combined (summed for counts, the
 * largest for peaks), 0 in a slot without any (nobody joined, nothing was
 * asked, nobody was connected). Points outside the range are left out.
 */
export function fillSlots(points: readonly Point[], step: number, from: number, to: number, combine: Combine = 'sum'): Point[] {
  if (!(step > 0) || !Number.isFinite(from) || !Number.isFinite(to) || to < from) return [];
  const first = floorTo(from, step);
  const n = Math.floor((floorTo(to, step) - first) / step) + 1;
  const out: Point[] = Array.from({ length: n }, (_, i) => ({ t: first + i * step, v: 0 }));
  for (const p of points) {
    const i = Math.floor((p.t - first) / step);
    if (i < 0 || i >= n) continue;
    out[i].v = combine === 'max' ? Math.max(out[i].v, p.v) : out[i].v + p.v;
  }
  return out;
}

/** The running total of a series (the value after each slot). */
export function cumulative(points: readonly Point[]): Point[] {
  let sum = 0;
  return points.map((p) => ({ t: p.t, v: (sum += p.v) }));
}

/** The first point with the largest value; null for an empty series or one of zeros. */
export function peakOf(points: readonly Point[]): Point | null {
  let best: Point | null = null;
  for (const p of points) if (p.v > 0 && (!best || p.v > best.v)) best = p;
  return best;
}

/** The time range several series cover: the first slot's start to the last one's; null when all are empty. */
export function spanOf(...series: readonly (readonly Point[])[]): { from: number; to: number } | null {
  let from = Infinity;
  let to = -Infinity;
  for (const s of series) {
    for (const p of s) {
      from = Math.min(from, p.t);
      to = Math.max(to, p.t);
    }
  }
  return Number.isFinite(from) ? { from, to } : null;
}

/**
 * Ticks for a count axis from 0: whole numbers at a step of 1, 2 or 5
 * times a power of ten (25 from 10 up), about n of them, the last at or
 * above max. [0, 1] when there is nothing to show.
 */
export function niceTicks(max: number, n = 4): number[] {
  if (!(max > 0) || !Number.isFinite(max)) return [0, 1];
  const raw = max / Math.max(1, n);
  const p = 10 ** Math.floor(Math.log10(raw));
  const f = raw / p;
  const nice = f <= 1 ? 1 : f <= 2 ? 2 : f <= 2.5 && p >= 10 ? 2.5 : f <= 5 ? 5 : 10;
  const step = Math.max(1, Math.round(nice * p));
  const top = Math.ceil(max / step) * step;
  const ticks: number[] = [];
  for (let v = 0; v <= top; v += step) ticks.push(v);
  return ticks;
}

/** A linear map from [d0, d1] onto [r0, r1]; an empty domain maps everything to r0. */
export function linear(d0: number, d1: number, r0: number, r1: number): (v: number) => number {
  const k = d1 === d0 ? 0 : (r1 - r0) / (d1 - d0);
  return (v) => r0 + (v - d0) * k;
}

/** The offset of the time zone from UTC at ms (ms; 0 for an unknown zone). */
export function tzOffset(ms: number, tz: string): number {
  const f = zoneFormat(tz);
  if (!f) return 0;
  const parts = f.formatToParts(new Date(ms));
  const v = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  const asUTC = Date.UTC(v('year'), v('month') - 1, v('day'), v('hour') % 24, v('minute'), v('second'));
  return asUTC - Math.floor(ms / 1000) * 1000;
}

const zoneFormats = new Map<string, Intl.DateTimeFormat | null>();
function zoneFormat(tz: string): Intl.DateTimeFormat | null {
  if (!zoneFormats.has(tz)) {
    let f: Intl.DateTimeFormat | null = null;
    try {
      f = new Intl.DateTimeFormat('en-US', {
        timeZone: tz, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
      });
    } catch {
      f = null;
    }
    zoneFormats.set(tz, f);
  }
  return zoneFormats.get(tz) ?? null;
}

/** Steps between time ticks, in minutes. */
const tickMinutes = [1, 2, 5, 10, 15, 30, 60, 120, 180, 240, 360, 720, 1440, 2880, 10080];

/**
 * Ticks for a time axis from `from` to `to` (ms): on round times of the
 * time zone's clock (every 15 minutes, on the hour, at midnight…), at most
 * max of them, the step the smallest that keeps within max.
 */
export function timeTicks(from: number, to: number, tz: string, max = 6): number[] {
  if (!Number.isFinite(from) || !Number.isFinite(to) || to < from) return [];
  const span = to - from;
  const stepMin = tickMinutes.find((m) => Math.floor(span / (m * minuteMs)) + 1 <= max) ?? Math.ceil(span / minuteMs / Math.max(1, max - 1));
  const step = stepMin * minuteMs;
  const off = tzOffset(from, tz);
  const ticks: number[] = [];
  // Round on the zone's clock: a local time L is the instant L - offset.
  for (let local = Math.ceil((from + off) / step) * step; ticks.length <= max; local += step) {
    const t = local - tzOffset(local - off, tz);
    if (t > to) break;
    if (t >= from && (ticks.length === 0 || t > ticks[ticks.length - 1])) ticks.push(t);
  }
  return ticks;
}

export interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

const r1 = (n: number) => Math.round(n * 10) / 10;

/**
 * The bars of a series of slots of step: each from its slot's start to
 * its end less the gap (at least 1 px wide), up from the baseline y(0).
 * Zeros draw no bar.
 */
export function barRects(points: readonly Point[], step: number, x: (t: number) => number, y: (v: number) => number, gap = 2): Rect[] {
  const base = y(0);
  const out: Rect[] = [];
  for (const p of points) {
    if (!(p.v > 0)) continue;
    const x0 = x(p.t);
    const slot = x(p.t + step) - x0;
    const g = Math.max(0, Math.min(gap, slot - 1));
    const top = y(p.v);
    out.push({ x: r1(x0 + g / 2), y: r1(top), w: r1(Math.max(1, slot - g)), h: r1(base - top) });
  }
  return out;
}

/** An SVG path through the points, each at its slot's start plus at (ms); '' for none. */
export function linePath(points: readonly Point[], x: (t: number) => number, y: (v: number) => number, at = 0): string {
  return points.map((p, i) => `${i === 0 ? 'M' : 'L'}${r1(x(p.t + at))},${r1(y(p.v))}`).join('');
}

// Formatting, in the page's language and the event's time zone.

const tag = () => (locale() === 'ja' ? 'ja-JP' : 'en-GB');

export function fmtNum(n: number): string {
  return n.toLocaleString(locale() === 'ja' ? 'ja-JP' : 'en-US');
}

function fmtIn(ms: number, tz: string, o: Intl.DateTimeFormatOptions): string {
  try {
    return new Intl.DateTimeFormat(tag(), { ...o, timeZone: tz }).format(new Date(ms));
  } catch {
    return new Intl.DateTimeFormat(tag(), o).format(new Date(ms));
  }
}

/** "19:05" in the zone. */
export function fmtClock(ms: number, tz: string): string {
  return fmtIn(ms, tz, { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
}

/** "3 Dec" / "12月3日" in the zone. */
export function fmtDay(ms: number, tz: string): string {
  return fmtIn(ms, tz, { month: 'short', day: 'numeric' });
}

/** The day (yyyy-mm-dd) of ms in the zone: to tell when an axis crosses midnight. */
export function dayKey(ms: number, tz: string): string {
  const d = new Date(ms + tzOffset(ms, tz));
  return d.toISOString().slice(0, 10);
}

/** "19:05", or "3 Dec 19:05" when the range spans days. */
export function fmtWhen(ms: number, tz: string, multiDay: boolean): string {
  return multiDay ? `${fmtDay(ms, tz)} ${fmtClock(ms, tz)}` : fmtClock(ms, tz);
}

// Components.

/** The width of the element (ref), followed as it changes; fallback until it is known. */
export function useWidth<T extends Element>(fallback = 640): [{ current: T | null }, number] {
  const ref = useRef<T>(null);
  const [w, setW] = useState(fallback);
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    const set = () => {
      const next = Math.floor(el.getBoundingClientRect().width);
      if (next > 0) setW((cur) => (Math.abs(cur - next) >= 1 ? next : cur));
    };
    set();
    if (typeof ResizeObserver === 'undefined') return;
    const ro = new ResizeObserver(set);
    ro.observe(el);
    return () => ro.disconnect();
  }, []);
  return [ref, w];
}

export interface TimeChartProps {
  /** What the chart shows, in a sentence (the SVG's accessible name). */
  label: string;
  tz: string;
  /** The range drawn: the first slot's start to the last slot's start. */
  from: number;
  to: number;
  /** Slot length of bars (ms). */
  step: number;
  bars?: Point[];
  /** A line: on the bars' axis, or (lineAxis 'right') on one of its own. */
  line?: Point[];
  /** Where on its slot a line point sits (ms after its start). */
  lineAt?: number;
  lineAxis?: 'left' | 'right';
  /** A point to mark (the peak), with its label. */
  mark?: { p: Point; label: string } | null;
  height?: number;
  testid?: string;
}

/** Counts over time: bars per slot, a line, or both (a running total on a right-hand axis). */
export function TimeChart(props: TimeChartProps) {
  const { label, tz, from, to, step, bars, line, lineAt = 0, lineAxis = 'left', mark, height = 220 } = props;
  const [ref, width] = useWidth<HTMLDivElement>();
  const w = Math.max(240, width);
  const right = line && lineAxis === 'right';
  const m = { l: 40, r: right ? 44 : 14, t: 18, b: 36 };
  const end = to + step;
  const x = linear(from, end, m.l, w - m.r);
  const maxBars = Math.max(0, ...(bars ?? []).map((p) => p.v), ...(line && !right ? line.map((p) => p.v) : []));
  const yTicks = niceTicks(maxBars);
  const y = linear(0, yTicks[yTicks.length - 1], height - m.b, m.t);
  const lineTicks = right ? niceTicks(Math.max(0, ...line!.map((p) => p.v))) : yTicks;
  const yl = right ? linear(0, lineTicks[lineTicks.length - 1], height - m.b, m.t) : y;
  const xTicks = timeTicks(from, end, tz, Math.max(3, Math.floor((w - m.l - m.r) / 72)));
  const multiDay = dayKey(from, tz) !== dayKey(end, tz);
  const rects = bars ? barRects(bars, step, x, y, w / Math.max(1, (end - from) / step) > 8 ? 2 : 1) : [];
  let lastDay = '';
  const markX = mark ? x(mark.p.t + lineAt) : 0;
  const markY = mark ? yl(mark.p.v) : 0;
  return (
    <div class="ch" ref={ref} data-testid={props.testid}>
      <svg class="ch-svg" role="img" aria-label={label} viewBox={`0 0 ${w} ${height}`} width="100%" preserveAspectRatio="xMinYMin meet">
        {yTicks.map((v) => (
          <g key={`y${v}`}>
            <line class={v === 0 ? 'ch-base' : 'ch-grid'} x1={m.l} x2={w - m.r} y1={r1(y(v))} y2={r1(y(v))} />
            <text class="ch-tick" x={m.l - 6} y={r1(y(v))} text-anchor="end" dominant-baseline="middle">
              {fmtNum(v)}
            </text>
          </g>
        ))}
        {right &&
          lineTicks.map((v) => (
            <text key={`r${v}`} class="ch-tick ch-tick-line" x={w - m.r + 6} y={r1(yl(v))} dominant-baseline="middle">
              {fmtNum(v)}
            </text>
          ))}
        {xTicks.map((tk) => {
          const day = dayKey(tk, tz);
          const showDay = multiDay && day !== lastDay;
          lastDay = day;
          const tx = r1(x(tk));
          return (
            <g key={`x${tk}`}>
              <line class="ch-xtick" x1={tx} x2={tx} y1={height - m.b} y2={height - m.b + 5} />
              <text class="ch-tick" x={tx} y={height - m.b + 18} text-anchor="middle">
                {fmtClock(tk, tz)}
              </text>
              {showDay && (
                <text class="ch-tick ch-tick-day" x={tx} y={height - m.b + 32} text-anchor="middle">
                  {fmtDay(tk, tz)}
                </text>
              )}
            </g>
          );
        })}
        {rects.map((r, i) => (
          <rect key={i} class="ch-bar" x={r.x} y={r.y} width={r.w} height={r.h} rx={Math.min(2, r.w / 2)} />
        ))}
        {line && line.length > 0 && <path class={bars ? 'ch-line ch-line-total' : 'ch-line'} d={linePath(line, x, yl, lineAt)} />}
        {mark && (
          <g class="ch-mark">
            <line class="ch-mark-rule" x1={r1(markX)} x2={r1(markX)} y1={r1(markY)} y2={height - m.b} />
            <circle class="ch-mark-dot" cx={r1(markX)} cy={r1(markY)} r={4.5} />
            <text
              class="ch-mark-label"
              x={r1(markX > w - m.r - 120 ? markX - 8 : markX + 8)}
              y={r1(Math.max(m.t + 4, markY - 8))}
              text-anchor={markX > w - m.r - 120 ? 'end' : 'start'}
            >
              {mark.label}
            </text>
          </g>
        )}
      </svg>
    </div>
  );
}

/** A small key under a chart: a swatch (drawn, so that it prints) and a name per series. */
export function Legend({ items }: { items: { kind: 'bar' | 'line' | 'total'; label: string }[] }) {
  return (
    <ul class="ch-legend">
      {items.map((it) => (
        <li key={it.label}>
          <svg class="ch-swatch" viewBox="0 0 16 10" aria-hidden="true">
            {it.kind === 'bar' ? <rect class="ch-bar" x="2" y="0" width="12" height="10" rx="2" /> : <path class={it.kind === 'total' ? 'ch-line ch-line-total' : 'ch-line'} d="M0,5L16,5" />}
          </svg>
          {it.label}
        </li>
      ))}
    </ul>
  );
}

/** A horizontal bar for a value out of max (decorative: the number beside it says it). */
export function HBar({ value, max, kind = 'bar' }: { value: number; max: number; kind?: string }) {
  const pct = max > 0 ? Math.max(0, Math.min(100, (value / max) * 100)) : 0;
  return (
    <svg class="ch-hbar" viewBox="0 0 100 10" preserveAspectRatio="none" aria-hidden="true">
      <rect class="ch-hbar-track" x="0" y="0" width="100" height="10" />
      {pct > 0 && <rect class={`ch-hbar-fill ch-${kind}`} x="0" y="0" width={Math.max(0.8, r1(pct))} height="10" />}
    </svg>
  );
}

/** Parts of a whole as one bar (moderation outcomes); the caller labels it. */
export function StackBar({ parts, label }: { parts: { key: string; value: number }[]; label: string }) {
  const total = parts.reduce((s, p) => s + Math.max(0, p.value), 0);
  let at = 0;
  return (
    <svg class="ch-stack" viewBox="0 0 100 10" preserveAspectRatio="none" role="img" aria-label={label}>
      <rect class="ch-hbar-track" x="0" y="0" width="100" height="10" />
      {total > 0 &&
        parts.map((p) => {
          const w = (Math.max(0, p.value) / total) * 100;
          const r = <rect key={p.key} class={`ch-part ch-part-${p.key}`} x={r1(at)} y="0" width={r1(w)} height="10" />;
          at += w;
          return w > 0 ? r : null;
        })}
    </svg>
  );
}

/** The numbers behind a chart, as a table inside a disclosure (for screen readers, and for anyone who wants them). */
export function DataTable({ summary, caption, head, rows }: { summary: string; caption: string; head: string[]; rows: (string | number)[][] }) {
  return (
    <details class="ch-data">
      <summary>{summary}</summary>
      <div class="ch-data-scroll">
        <table>
          <caption class="sr-only">{caption}</caption>
          <thead>
            <tr>
              {head.map((h, i) => (
                <th key={i} scope="col">
                  {h}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {rows.map((r, i) => (
              <tr key={i}>
                {r.map((c, j) => (j === 0 ? <th key={j} scope="row">{c}</th> : <td key={j}>{typeof c === 'number' ? fmtNum(c) : c}</td>))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </details>
  );
}

/** A titled chart card. */
export function ChartCard({ title, sub, id, children, wide }: { title: string; sub?: string; id: string; children: ComponentChildren; wide?: boolean }) {
  return (
    <section class={wide ? 'card pad report-card report-card-wide' : 'card pad report-card'} aria-labelledby={id}>
      <h2 id={id}>{title}</h2>
      {sub && <p class="muted small report-card-sub">{sub}</p>}
      {children}
    </section>
  );
}
