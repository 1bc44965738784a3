import { describe, expect, it } from 'vitest';
import { en } from '../i18n/en';
import { ja } from '../i18n/ja';
import { exportLinks, exportRights } from './exportmenu';

describe('the export links', () => {
  it('offer Markdown, CSV and JSON for a talk, all=true only when asked', () => {
    expect(exportLinks(7, 12, false)).toEqual([
      { format: 'md', href: '/api/v1/events/7/talks/12/export?format=md' },
      { format: 'csv', href: '/api/v1/events/7/talks/12/export?format=csv' },
      { format: 'json', href: '/api/v1/events/7/talks/12/export?format=json' },
    ]);
    expect(exportLinks(7, 12, true).map((l) => l.href)).toEqual([
      '/api/v1/events/7/talks/12/export?format=md&all=true',
      '/api/v1/events/7/talks/12/export?format=csv&all=true',
      '/api/v1/events/7/talks/12/export?format=json&all=true',
    ]);
  });

  it('go to the event’s export for the whole event', () => {
    expect(exportLinks(7, null, false)[0].href).toBe('/api/v1/events/7/export?format=md');
    expect(exportLinks(7, null, true)[1].href).toBe('/api/v1/events/7/export?format=csv&all=true');
  });
});

describe('who may export what', () => {
  it('owners and moderators: the event, every talk, held and hidden items too', () => {
    for (const role of ['owner', 'moderator'] as const) {
      const r = exportRights(role, []);
      expect(r.event).toBe(true);
      expect(r.all).toBe(true);
      expect(r.talk(3)).toBe(true);
    }
  });

  it('a presenter: no held or hidden items; a limited one only its talks and not the event', () => {
    const free = exportRights('presenter', []);
    expect(free).toMatchObject({ event: true, all: false });
    expect(free.talk(3)).toBe(true);
    const limited = exportRights('presenter', [4]);
    expect(limited).toMatchObject({ event: false, all: false });
    expect(limited.talk(4)).toBe(true);
    expect(limited.talk(3)).toBe(false);
  });

  it('no role: nothing', () => {
    const r = exportRights(null, []);
    expect(r).toMatchObject({ event: false, all: false });
    expect(r.talk(1)).toBe(false);
  });
});

describe('the export strings', () => {
  it('are in both languages', () => {
    const keys = Object.keys(en).filter((k) => k.startsWith('export'));
    expect(keys.length).toBeGreaterThan(10);
    for (const k of keys) expect(ja[k as keyof typeof ja], k).toBeTruthy();
  });
});
