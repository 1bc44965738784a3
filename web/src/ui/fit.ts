// Fitting long text into a fixed box (the projector's highlighted question):
// shrink the font step by step down to a floor, then clamp to the lines
// that fit with an ellipsis, keeping the full text in the title (and in the
// DOM, for screen readers). Works for every script: it measures, it does
// not guess from the character count.
import type { RefObject } from 'preact';
import { useLayoutEffect } from 'preact/hooks';

/** How far fitText may shrink: the floor as a fraction of the starting size. */
export const minScale = 0.55;

/**
 * fitText fits el's text into el's own box (which its layout must bound,
 * e.g. a flex item with min-height: 0). It reports whether the text had to
 * be cut.
 */
export function fitText(el: HTMLElement, full: string): boolean {
  el.style.fontSize = '';
  el.style.removeProperty('-webkit-line-clamp');
  el.classList.remove('fit-clamped');
  el.removeAttribute('title');
  delete el.dataset.truncated;
  const start = parseFloat(getComputedStyle(el).fontSize);
  if (!(start > 0)) return false;
  const floor = start * minScale;
  const overflows = () => el.scrollHeight > el.clientHeight + 1 || el.scrollWidth > el.clientWidth + 1;
  let size = start;
  while (overflows() && size > floor) {
    size = Math.max(floor, size * 0.9);
    el.style.fontSize = `${size}px`;
  }
  if (!overflows()) return false;
  const lh = parseFloat(getComputedStyle(el).lineHeight) || size * 1.3;
  const lines = Math.max(1, Math.floor(el.clientHeight / lh));
  el.classList.add('fit-clamped');
  el.style.setProperty('-webkit-line-clamp', String(lines));
  el.title = full;
  el.dataset.truncated = 'true';
  return true;
}

/** useFitText runs fitText on ref's element after each change of deps and on resize. */
export function useFitText(ref: RefObject<HTMLElement | null>, text: string, deps: unknown[]): void {
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    let frame = 0;
    const fit = () => {
      cancelAnimationFrame(frame);
      frame = requestAnimationFrame(() => fitText(el, text));
    };
    fitText(el, text);
    window.addEventListener('resize', fit);
    void document.fonts?.ready.then(fit);
    return () => {
      cancelAnimationFrame(frame);
      window.removeEventListener('resize', fit);
    };
  }, [text, ...deps]);
}
