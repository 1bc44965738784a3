// Japanese and English (F24): chosen from the browser, switchable, the
// choice kept in localStorage and reflected in <html lang>.
import { useEffect, useState } from 'preact/hooks';
import { en, type Key, type Msg } from './en';
import { ja } from './ja';

export type Locale = 'en' | 'ja';
export type { Key };

const dicts: Record<Locale, Record<Key, Msg>> = { en, ja };
const storageKey = 'koe.lang';

export function detect(stored: string | null, languages: readonly string[]): Locale {
  if (stored === 'en' || stored === 'ja') return stored;
  for (const l of languages) {
    const base = l.toLowerCase().split('-')[0];
    if (base === 'ja') return 'ja';
    if (base === 'en') return 'en';
  }
  return 'en';
}

function stored(): string | null {
  try {
    return localStorage.getItem(storageKey);
  } catch {
    return null;
  }
}

let current: Locale =
  typeof navigator === 'undefined' ? 'en' : detect(stored(), navigator.languages ?? [navigator.language]);
const listeners = new Set<() => void>();

export function locale(): Locale {
  return current;
}

export function applyLang(): void {
  if (typeof document !== 'undefined') document.documentElement.lang = current;
}

export function setLocale(l: Locale): void {
  current = l;
  try {
    localStorage.setItem(storageKey, l);
  } catch {
    // private mode: the choice lasts for this page
  }
  applyLang();
  for (const fn of [...listeners]) fn();
}

export function t(key: Key, params: Record<string, string | number> = {}): string {
  const m = dicts[current][key] ?? en[key];
  return typeof m === 'function' ? m(params) : m;
}

/** Re-renders the calling component when the language changes. */
export function useLocale(): Locale {
  const [, set] = useState(0);
  useEffect(() => {
    const fn = () => set((n) => n + 1);
    listeners.add(fn);
    return () => void listeners.delete(fn);
  }, []);
  return current;
}

export const dictionaries = dicts;
