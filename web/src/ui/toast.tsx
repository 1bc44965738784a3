// Short messages in one polite live region.
import { useEffect, useState } from 'preact/hooks';
import { t } from '../i18n';

export interface Toast {
  id: number;
  text: string;
  kind: 'error' | 'info';
}

let seq = 0;
let toasts: Toast[] = [];
const listeners = new Set<() => void>();

function emit() {
  for (const fn of [...listeners]) fn();
}

export function toast(text: string, kind: Toast['kind'] = 'info', ms = kind === 'error' ? 8000 : 3500): void {
  const id = ++seq;
  toasts = [...toasts.filter((x) => x.text !== text), { id, text, kind }].slice(-3);
  emit();
  setTimeout(() => dismiss(id), ms);
}

export function dismiss(id: number): void {
  toasts = toasts.filter((x) => x.id !== id);
  emit();
}

export function Toasts() {
  const [, set] = useState(0);
  useEffect(() => {
    const fn = () => set((n) => n + 1);
    listeners.add(fn);
    return () => void listeners.delete(fn);
  }, []);
  return (
    <div class="toasts" role="status" aria-live="polite">
      {toasts.map((x) => (
        <div key={x.id} class={`toast toast-${x.kind}`}>
          <span>{x.text}</span>
          <button type="button" class="toast-close" onClick={() => dismiss(x.id)} aria-label={t('dismiss')}>
            ×
          </button>
        </div>
      ))}
    </div>
  );
}
