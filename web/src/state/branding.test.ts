import { describe, expect, it } from 'vitest';
import { brandVars, contrast, isAccent, logoProblem, logoURL, luminance, maxLogoBytes, mix, normalizeAccent, readableOn, textOn } from './branding';

describe('accent colours', () => {
  it('takes only #rrggbb in lower case, as the server stores it', () => {
    expect(isAccent('#0a7cff')).toBe(true);
    expect(isAccent('#0A7CFF')).toBe(false);
    expect(isAccent('0a7cff')).toBe(false);
    expect(isAccent('#0a7cf')).toBe(false);
    expect(isAccent('#0a7cffaa')).toBe(false);
    expect(isAccent('#0a7cfg')).toBe(false);
    expect(isAccent('red')).toBe(false);
    expect(isAccent('')).toBe(false);
  });

  it('normalises what people type, and refuses what is not a colour', () => {
    expect(normalizeAccent(' #0A7CFF ')).toBe('#0a7cff');
    expect(normalizeAccent('0a7cff')).toBe('#0a7cff');
    expect(normalizeAccent('#F80')).toBe('#ff8800');
    expect(normalizeAccent('')).toBe('');
    expect(normalizeAccent('   ')).toBe('');
    expect(normalizeAccent('#12345')).toBeNull();
    expect(normalizeAccent('rgb(1,2,3)')).toBeNull();
    expect(normalizeAccent('##0a7cff')).toBeNull();
    expect(normalizeAccent('#０a7cff')).toBeNull(); // a full-width digit
  });

  it('computes WCAG luminance and contrast', () => {
    expect(luminance('#000000')).toBe(0);
    expect(luminance('#ffffff')).toBeCloseTo(1, 10);
    expect(contrast('#000000', '#ffffff')).toBeCloseTo(21, 10);
    expect(contrast('#ffffff', '#000000')).toBeCloseTo(21, 10);
    expect(contrast('#777777', '#777777')).toBe(1);
    // Known values: #767676 on white is the classic 4.54:1.
    expect(contrast('#767676', '#ffffff')).toBeCloseTo(4.54, 2);
    expect(() => luminance('#fff')).toThrow(/#rrggbb/);
  });

  it('picks black or white text, whichever reads better', () => {
    expect(textOn('#ffffff')).toBe('#000000');
    expect(textOn('#000000')).toBe('#ffffff');
    expect(textOn('#ffd500')).toBe('#000000'); // yellow
    expect(textOn('#4338ca')).toBe('#ffffff'); // koe's indigo
    expect(textOn('#0a7cff')).toBe('#000000'); // bright blue: black is 5.3:1, white 3.9:1
    expect(textOn('#c2185b')).toBe('#ffffff');
    for (const c of ['#ff0000', '#00ff00', '#0000ff', '#808080', '#0a7cff', '#f5f6fa', '#123456']) {
      expect(contrast(c, textOn(c))).toBeGreaterThanOrEqual(4.5);
    }
  });

  it('mixes colours', () => {
    expect(mix('#000000', '#ffffff', 0)).toBe('#000000');
    expect(mix('#000000', '#ffffff', 1)).toBe('#ffffff');
    expect(mix('#000000', '#ffffff', 0.5)).toBe('#808080');
    expect(mix('#ff0000', '#0000ff', 0.5)).toBe('#800080');
  });

  it('shades a colour until text in it is readable on every background', () => {
    expect(readableOn('#c2185b', ['#ffffff'])).toBe('#c2185b'); // already 5.9:1
    const yellowOnWhite = readableOn('#ffd500', ['#ffffff', '#f5f6fa']);
    expect(contrast(yellowOnWhite, '#ffffff')).toBeGreaterThanOrEqual(4.5);
    expect(contrast(yellowOnWhite, '#f5f6fa')).toBeGreaterThanOrEqual(4.5);
    expect(luminance(yellowOnWhite)).toBeLessThan(luminance('#ffd500')); // darkened
    const navyOnDark = readableOn('#002244', ['#0b0d14', '#141826']);
    expect(contrast(navyOnDark, '#141826')).toBeGreaterThanOrEqual(4.5);
    expect(luminance(navyOnDark)).toBeGreaterThan(luminance('#002244')); // lightened
    expect(readableOn('#333333', ['#333333'], 21)).toBe('#ffffff'); // the limit: the extreme
  });
});

describe('brandVars', () => {
  it('is null for koe’s own colours', () => {
    expect(brandVars('')).toBeNull();
    expect(brandVars('#FFF')).toBeNull();
  });

  it('keeps the accent itself and readable shades for each scheme', () => {
    const v = brandVars('#ffd500')!;
    expect(v['--brand']).toBe('#ffd500');
    expect(v['--brand-text']).toBe('#000000');
    // Links in the light scheme sit on white and the page grey.
    expect(contrast(v['--bl-accent'], '#ffffff')).toBeGreaterThanOrEqual(4.5);
    expect(contrast(v['--bl-accent'], '#f5f6fa')).toBeGreaterThanOrEqual(4.5);
    expect(contrast(v['--bl-accent'], v['--bl-text'])).toBeGreaterThanOrEqual(4.5); // a primary button's label
    expect(contrast(v['--bl-soft'], v['--bl-soft-text'])).toBeGreaterThanOrEqual(4.5);
    expect(contrast(v['--bd-accent'], '#161922')).toBeGreaterThanOrEqual(4.5);
    expect(contrast(v['--bd-accent'], v['--bd-text'])).toBeGreaterThanOrEqual(4.5);
    expect(contrast(v['--bd-soft'], v['--bd-soft-text'])).toBeGreaterThanOrEqual(4.5);
    expect(contrast(v['--bs-accent'], '#141826')).toBeGreaterThanOrEqual(4.5);
    for (const [k, c] of Object.entries(v)) expect(isAccent(c), k).toBe(true);
  });

  it('leaves a readable accent as it is', () => {
    const v = brandVars('#c2185b')!;
    expect(v['--bl-accent']).toBe('#c2185b');
    expect(v['--bl-text']).toBe('#ffffff');
  });
});

describe('logos', () => {
  const ev = (logo: string) => ({ id: 7, settings: { participant_replies: false, participant_sign_in: false, reactions: [], accent: '', logo } });

  it('names the current logo’s URL on koe, or none', () => {
    expect(logoURL(ev('v3abc'))).toBe('/api/v1/events/7/logo/v3abc');
    expect(logoURL(ev('a/b?c'))).toBe('/api/v1/events/7/logo/a%2Fb%3Fc');
    expect(logoURL(ev(''))).toBe('');
    expect(logoURL({ id: 7, settings: { participant_replies: false, participant_sign_in: false, reactions: [] } })).toBe(''); // an older server
    expect(logoURL(null)).toBe('');
  });

  it('takes PNG, JPEG and WebP up to 256 KiB', () => {
    expect(logoProblem({ type: 'image/png', size: 1000 })).toBeNull();
    expect(logoProblem({ type: 'image/jpeg', size: maxLogoBytes })).toBeNull();
    expect(logoProblem({ type: 'image/webp', size: 1 })).toBeNull();
    expect(logoProblem({ type: 'image/png', size: maxLogoBytes + 1 })).toBe('size');
    expect(logoProblem({ type: 'image/png', size: 300 * 1024 })).toBe('size');
    expect(logoProblem({ type: 'image/svg+xml', size: 100 })).toBe('type');
    expect(logoProblem({ type: 'image/gif', size: 100 })).toBe('type');
    expect(logoProblem({ type: '', size: 100 })).toBe('type');
  });
});
