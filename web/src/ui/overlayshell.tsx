// What /overlay/{secret} shows while the overlay's own code loads (main.tsx
// loads pages on demand): nothing at all, not the spinner the other pages
// show, and no page background, since OBS draws the page over the video.
// The overlay (pages/Overlay.tsx, styles/overlay.css) takes over from it.
import { useLayoutEffect } from 'preact/hooks';

export function OverlayLoading() {
  useLayoutEffect(() => {
    // Through the CSSOM: the CSP forbids style attributes, not this.
    const els = [document.documentElement, document.body];
    for (const el of els) el.style.setProperty('background', 'transparent');
    return () => {
      for (const el of els) el.style.removeProperty('background');
    };
  }, []);
  return null;
}
