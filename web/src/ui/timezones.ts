// IANA time zones for the event form: every zone the browser knows
// (Intl.supportedValuesOf), or a short list where it cannot tell, with the
// browser's own zone as the default.

/** Where the browser cannot list its zones. */
export const fallbackZones = [
  'UTC', 'Asia/Tokyo', 'Asia/Seoul', 'Asia/Shanghai', 'Asia/Taipei', 'Asia/Singapore', 'Asia/Kolkata',
  'Australia/Sydney', 'Pacific/Auckland', 'Europe/London', 'Europe/Paris', 'Europe/Berlin',
  'America/New_York', 'America/Chicago', 'America/Denver', 'America/Los_Angeles', 'America/Sao_Paulo',
];

type Lister = (key: 'timeZone') => string[];

/** Every IANA zone, sorted, UTC first (V8 does not list it); list null: the browser cannot tell. */
export function timeZones(list: Lister | null = supportedValuesOf()): string[] {
  let zones: string[] = [];
  try {
    zones = list ? list('timeZone') : [];
  } catch {
    zones = [];
  }
  if (zones.length === 0) zones = fallbackZones;
  return [...new Set(['UTC', ...zones])].sort((a, b) => (a === 'UTC' ? -1 : b === 'UTC' ? 1 : a.localeCompare(b, 'en')));
}

function supportedValuesOf(): Lister | null {
  const f = (Intl as unknown as { supportedValuesOf?: Lister }).supportedValuesOf;
  return typeof f === 'function' ? f.bind(Intl) : null;
}

/** The browser's zone, or UTC. */
export function localZone(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  } catch {
    return 'UTC';
  }
}

/**
 * The zone's canonical name when zone names one (any case, spaces for
 * underscores: "asia/tokyo", "america/new york"), else null. list is
 * tried first: the name as the list spells it.
 */
export function canonicalZone(zone: string, list: string[]): string | null {
  const z = zone.trim().replace(/\s+/g, '_');
  if (!z) return null;
  const hit = list.find((x) => x.toLowerCase() === z.toLowerCase());
  if (hit) return hit;
  try {
    return new Intl.DateTimeFormat('en', { timeZone: z }).resolvedOptions().timeZone;
  } catch {
    return null;
  }
}

/** The zone's offset from UTC at the time given, "UTC+09:00" ("UTC" for none). */
export function zoneOffset(zone: string, at = new Date()): string {
  try {
    const part = new Intl.DateTimeFormat('en', { timeZone: zone, timeZoneName: 'longOffset' })
      .formatToParts(at)
      .find((p) => p.type === 'timeZoneName');
    return part ? part.value.replace(/^GMT/, 'UTC').replace(/^UTC[+-]00:00$/, 'UTC') : '';
  } catch {
    return '';
  }
}
