import { useEffect, useState } from 'preact/hooks';

interface Observable {
  subscribe(fn: () => void): () => void;
}

/** Re-renders when the observable changes (batched to one frame). */
export function useObservable(o: Observable | null | undefined): void {
  const [, set] = useState(0);
  useEffect(() => {
    if (!o) return;
    let queued = false;
    return o.subscribe(() => {
      if (queued) return;
      queued = true;
      queueMicrotask(() => {
        queued = false;
        set((n) => n + 1);
      });
    });
  }, [o]);
}

/** The time, updated every interval (for "live now" and "5 min ago"). */
export function useNow(intervalMs = 30_000): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(t);
  }, [intervalMs]);
  return now;
}

export function useTitle(title: string): void {
  useEffect(() => {
    document.title = title ? `${title} · koe` : 'koe';
  }, [title]);
}
