import { describe, expect, it } from 'vitest';
import { canonicalZone, fallbackZones, localZone, timeZones, zoneOffset } from './timezones';

describe('timeZones', () => {
  it('lists what the browser supports, UTC first, sorted', () => {
    const z = timeZones(() => ['Europe/Paris', 'Asia/Tokyo', 'America/New_York']);
    expect(z).toEqual(['UTC', 'America/New_York', 'Asia/Tokyo', 'Europe/Paris']);
  });
  it('falls back to a short list where the browser cannot list zones', () => {
    expect(timeZones(null)).toEqual(timeZones(() => fallbackZones));
    expect(timeZones(() => { throw new RangeError('no'); })).toContain('Asia/Tokyo');
    expect(timeZones(() => [])[0]).toBe('UTC');
  });
  it('has the IANA zones of this runtime', () => {
    const z = timeZones();
    expect(z.length).toBeGreaterThan(fallbackZones.length);
    expect(z).toContain('Asia/Tokyo');
    expect(z).toContain('Pacific/Honolulu');
    expect(z).toContain(localZone());
  });
});

describe('canonicalZone', () => {
  const list = timeZones();
  it('accepts a zone in any case, with spaces for underscores', () => {
    expect(canonicalZone('asia/tokyo', list)).toBe('Asia/Tokyo');
    expect(canonicalZone(' America/New York ', list)).toBe('America/New_York');
    expect(canonicalZone('utc', list)).toBe('UTC');
  });
  it('refuses what is no zone', () => {
    expect(canonicalZone('', list)).toBeNull();
    expect(canonicalZone('Tokyo', list)).toBeNull();
    expect(canonicalZone('Mars/Olympus_Mons', list)).toBeNull();
  });
});

describe('zoneOffset', () => {
  it('says the offset at a given time', () => {
    expect(zoneOffset('Asia/Tokyo', new Date('2026-01-15T00:00:00Z'))).toBe('UTC+09:00');
    expect(zoneOffset('America/New_York', new Date('2026-07-01T00:00:00Z'))).toBe('UTC-04:00');
    expect(zoneOffset('UTC')).toBe('UTC');
    expect(zoneOffset('Nowhere/None')).toBe('');
  });
});
