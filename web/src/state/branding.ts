// An event's branding (accent colour and logo), as pure functions: which
// colours are valid, which text is readable on them, and the colours the
// pages use, adjusted so that text in the accent colour stays readable on
// koe's light, dark and projector surfaces (WCAG contrast).
import type { KoeEvent } from '../types';

/** The largest logo koe takes (the server's limit too). */
export const maxLogoBytes = 256 * 1024;
/** The largest logo, in pixels each way. */
export const maxLogoPixels = 2048;
/** The image types koe takes for a logo. */
export const logoTypes = ['image/png', 'image/jpeg', 'image/webp'] as const;

/** koe's own accent (base.css), shown in the colour picker when the event has none. */
export const defaultAccent = '#4338ca';

type RGB = [number, number, number];

/** Whether s is an accent as the server stores it: "#rrggbb", lower case. */
export function isAccent(s: string): boolean {
  return /^#[0-9a-f]{6}$/.test(s);
}

/**
 * What a person typed as a colour, as the server takes it: "#RGB",
 * "#RRGGBB", with or without the "#", any case, around spaces → "#rrggbb";
 * "" stays "" (koe's default); anything else is null.
 */
export function normalizeAccent(input: string): string | null {
  const s = input.trim().toLowerCase().replace(/^#/, '');
  if (s === '') return '';
  if (/^[0-9a-f]{3}$/.test(s)) return `#${[...s].map((c) => c + c).join('')}`;
  if (/^[0-9a-f]{6}$/.test(s)) return `#${s}`;
  return null;
}

function rgb(hex: string): RGB {
  if (!isAccent(hex)) throw new Error(`not a #rrggbb colour: ${JSON.stringify(hex)}`);
  const n = parseInt(hex.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

function hex([r, g, b]: RGB): string {
  return `#${[r, g, b].map((v) => Math.round(Math.min(255, Math.max(0, v))).toString(16).padStart(2, '0')).join('')}`;
}

/** WCAG 2 relative luminance of a #rrggbb colour, 0 (black) to 1 (white). */
export function luminance(color: string): number {
  const [r, g, b] = rgb(color).map((v) => {
    const c = v / 255;
    return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/** WCAG 2 contrast ratio of two colours, 1 to 21. */
export function contrast(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

/** Black or white, whichever reads better on background. */
export function textOn(background: string): '#000000' | '#ffffff' {
  return contrast(background, '#000000') >= contrast(background, '#ffffff') ? '#000000' : '#ffffff';
}

/** a mixed with b: weight 0 is a, 1 is b. */
export function mix(a: string, b: string, weight: number): string {
  const x = rgb(a);
  const y = rgb(b);
  return hex([0, 1, 2].map((i) => x[i] + (y[i] - x[i]) * weight) as RGB);
}

/**
 * color, or the nearest shade of it (towards black on light backgrounds,
 * towards white on dark ones) that has at least min contrast with every
 * background. The backgrounds are all light or all dark.
 */
export function readableOn(color: string, backgrounds: string[], min = 4.5): string {
  const ok = (c: string) => backgrounds.every((bg) => contrast(c, bg) >= min);
  if (ok(color)) return color;
  const towards = luminance(backgrounds[0]) > 0.18 ? '#000000' : '#ffffff';
  for (let step = 1; step <= 20; step++) {
    const c = mix(color, towards, step / 20);
    if (ok(c)) return c;
  }
  return towards;
}

// koe's surfaces (base.css, screen.css) that text in the accent colour sits on.
const lightSurfaces = ['#ffffff', '#f5f6fa', '#f0f1f6'];
const darkSurfaces = ['#161922', '#0d0f15', '#1e2230'];
const screenSurfaces = ['#0b0d14', '#141826', '#1c2140'];

/**
 * The CSS custom properties that theme a page in accent, or null for
 * koe's own colours ("" or not a colour). --brand is the accent itself
 * (with --brand-text readable on it), for surfaces that carry it; the
 * light (--bl-*), dark (--bd-*) and projector (--bs-*) sets are its
 * readable shades, which the stylesheet maps onto --accent and its kin
 * for the colour scheme in use.
 */
export function brandVars(accent: string): Record<string, string> | null {
  if (!isAccent(accent)) return null;
  const light = readableOn(accent, lightSurfaces);
  const dark = readableOn(accent, darkSurfaces);
  const lightSoft = mix(light, '#ffffff', 0.88);
  const darkSoft = mix(dark, '#161922', 0.78);
  const lightHover = mix(light, '#000000', 0.15);
  const darkHover = mix(dark, '#ffffff', 0.2);
  return {
    '--brand': accent,
    '--brand-text': textOn(accent),
    '--bl-accent': light,
    '--bl-hover': lightHover,
    '--bl-text': textOn(light),
    '--bl-soft': lightSoft,
    '--bl-soft-text': readableOn(light, [lightSoft]),
    '--bd-accent': dark,
    '--bd-hover': darkHover,
    '--bd-text': textOn(dark),
    '--bd-soft': darkSoft,
    '--bd-soft-text': readableOn(dark, [darkSoft]),
    '--bs-accent': readableOn(accent, screenSurfaces),
  };
}

/** Where the event's current logo is served, or "" when it has none. */
export function logoURL(event: Pick<KoeEvent, 'id' | 'settings'> | null | undefined): string {
  const v = event?.settings.logo;
  if (!event || !v) return '';
  return `/api/v1/events/${event.id}/logo/${encodeURIComponent(v)}`;
}

/** Why a file cannot be a logo ("type", "size"), or null when it may be sent. */
export function logoProblem(file: { type: string; size: number }): 'type' | 'size' | null {
  if (!(logoTypes as readonly string[]).includes(file.type)) return 'type';
  if (file.size > maxLogoBytes) return 'size';
  return null;
}
