// Pure logic of the schedule (F21): what an import plan amounts to, the
// rooms and the talk on in each, and when a room screen asks again. A room
// screen trusts the server's clock, not the projector laptop's: the
// server says what time it is (RoomList.now) and when the room switches
// (switch_at), and the client turns that into a delay on its own clock.
import type { ImportedTalk, ImportPlan, KoeEvent, Room, RoomList, Talk } from '../types';

/** The longest a room screen waits before asking again, switch or not (a safety net). */
export const maxWait = 60_000;
/** Asked again a little after the switch, so the server's clock has surely passed it. */
export const switchSlack = 500;

/**
 * How far the server's clock is ahead of this one (ms; negative: behind),
 * from the server's `now` and the local times just before the request went
 * out and just after its answer came: the answer was made about halfway.
 */
export function clockOffset(serverNow: string, sentAt: number, receivedAt: number): number {
  const server = Date.parse(serverNow);
  if (!Number.isFinite(server)) return 0;
  const local = sentAt + Math.max(0, receivedAt - sentAt) / 2;
  return server - local;
}

/**
 * How long (ms, local clock) until the screen should fetch its room again:
 * just after switch_at on the server's clock, never negative, never more
 * than cap (the periodic safety fetch). No switch: cap.
 */
export function switchDelay(switchAt: string | null, offset: number, localNow: number, cap = maxWait): number {
  if (!switchAt) return cap;
  const at = Date.parse(switchAt);
  if (!Number.isFinite(at)) return cap;
  const serverNow = localNow + offset;
  const d = at - serverNow + switchSlack;
  return Math.min(cap, Math.max(0, Math.round(d)));
}

/** The soonest switch_at of any room, or null. */
export function soonestSwitch(rooms: Room[]): string | null {
  let best: string | null = null;
  let bestAt = Infinity;
  for (const r of rooms) {
    if (!r.switch_at) continue;
    const at = Date.parse(r.switch_at);
    if (Number.isFinite(at) && at < bestAt) {
      bestAt = at;
      best = r.switch_at;
    }
  }
  return best;
}

/** The room of that name (exactly as the schedule spells it), or undefined. */
export function findRoom(list: RoomList | null, name: string): Room | undefined {
  return list?.rooms.find((r) => r.name === name);
}

/**
 * A room's name as one path segment that people can read: letters, digits
 * and marks of any script stay as they are (ホールA, not %E3%83%9B…),
 * everything else (spaces, slashes, ?, #, %) is percent-encoded.
 */
export function roomSegment(room: string): string {
  return room.replace(/[^\p{L}\p{N}\p{M}._~-]/gu, (c) => encodeURIComponent(c));
}

/** A room's screen, for staff or anyone signed in to the event. */
export function roomScreenPath(eventID: number, room: string): string {
  return `/e/${eventID}/rooms/${roomSegment(room)}/screen`;
}

/** A room's screen through a screen link (its secret authenticates the page). */
export function roomLinkPath(linkPath: string, room: string): string {
  return `${linkPath.replace(/\/+$/, '')}/rooms/${roomSegment(room)}`;
}

/** A URL path segment back to the room's name; a malformed escape is taken as it is. */
export function decodeRoom(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/**
 * What the rooms' answer depends on, as a string that changes when it
 * does: each talk's room, times and whether the schedule dropped it, and
 * the Q&A lead. A highlighted question or a Q&A opened leaves it alone, so
 * pages do not ask for the rooms again at every such change.
 */
export function roomsKey(talks: Iterable<Talk>, event: Pick<KoeEvent, 'settings'> | null): string {
  const parts: string[] = [];
  for (const t of talks) parts.push(`${t.id}\u0000${t.room ?? ''}\u0000${t.starts_at ?? ''}\u0000${t.ends_at ?? ''}\u0000${t.removed_from_schedule ? 1 : 0}`);
  parts.sort();
  parts.push(`lead:${event?.settings.qa_schedule?.opens_before_min ?? ''}`);
  return parts.join('\u0001');
}

export interface RoomNow {
  room: string;
  talk: Talk;
  /** It has not started yet (the room's next talk, before the day or shortly before its start). */
  upcoming: boolean;
}

/**
 * "Now in each room" for the audience: every room whose screen shows a
 * talk the page knows, in the server's order; a room whose last talk is
 * over is left out.
 */
export function nowInRooms(list: RoomList | null, talks: Map<number, Talk>, now: number): RoomNow[] {
  if (!list) return [];
  const out: RoomNow[] = [];
  for (const r of list.rooms) {
    const talk = r.talk_id ? talks.get(r.talk_id) : undefined;
    if (!talk || !talk.starts_at) continue;
    const end = talk.ends_at ? Date.parse(talk.ends_at) : Date.parse(talk.starts_at) + 3600_000;
    if (now >= end) continue;
    out.push({ room: r.name, talk, upcoming: now < Date.parse(talk.starts_at) });
  }
  return out;
}

export interface PlanSummary {
  added: number;
  changed: number;
  removed: number;
  /** Of removed: deleted (no questions). */
  deleted: number;
  /** Of removed: kept and flagged (they have questions). */
  flagged: number;
  unchanged: number;
  /** Whether applying it would change anything. */
  changes: boolean;
}

export function summarize(plan: ImportPlan): PlanSummary {
  const added = plan.added?.length ?? 0;
  const changed = plan.changed?.length ?? 0;
  const removed = plan.removed ?? [];
  const deleted = removed.filter((r) => r.action === 'delete').length;
  return {
    added,
    changed,
    removed: removed.length,
    deleted,
    flagged: removed.length - deleted,
    unchanged: plan.unchanged ?? 0,
    changes: added + changed + removed.length > 0,
  };
}

const startOf = (t: Pick<ImportedTalk, 'starts_at'>) => (t.starts_at ? Date.parse(t.starts_at) : Infinity);

/** Imported talks in the order of the day: by start (untimed last), then room, then title. */
export function byTime<T extends Pick<ImportedTalk, 'starts_at' | 'room' | 'title'>>(talks: T[]): T[] {
  return [...talks].sort((a, b) => startOf(a) - startOf(b) || a.room.localeCompare(b.room) || a.title.localeCompare(b.title));
}

/** The changed talks of a plan, by time, each with its changed fields as a set. */
export function changedRows(plan: ImportPlan): { talk_id: number; talk: ImportedTalk; fields: Set<keyof ImportedTalk> }[] {
  const rows = (plan.changed ?? []).map((c) => ({ talk_id: c.talk_id, talk: c.talk, fields: new Set(c.fields ?? []) }));
  return rows.sort((a, b) => startOf(a.talk) - startOf(b.talk) || a.talk.room.localeCompare(b.talk.room) || a.talk_id - b.talk_id);
}

/** Grouped by room (rooms in name order; "" — no room — last), each group by time. */
export function groupByRoom<T extends Pick<ImportedTalk, 'starts_at' | 'room' | 'title'>>(talks: T[]): { room: string; talks: T[] }[] {
  const m = new Map<string, T[]>();
  for (const t of talks) {
    const g = m.get(t.room) ?? [];
    g.push(t);
    m.set(t.room, g);
  }
  return [...m.entries()]
    .sort(([a], [b]) => (a === '' ? 1 : b === '' ? -1 : a.localeCompare(b)))
    .map(([room, ts]) => ({ room, talks: byTime(ts) }));
}

/** Minutes of the Q&A schedule as the form takes them: whole, 0–240; null if not. */
export function parseMinutes(s: string): number | null {
  if (!/^\s*\d{1,3}\s*$/.test(s)) return null;
  const n = Number(s);
  return n >= 0 && n <= 240 ? n : null;
}

/** Refresh interval of a schedule URL: whole minutes, 5–1440; null if not. */
export function parseRefresh(s: string): number | null {
  if (!/^\s*\d{1,4}\s*$/.test(s)) return null;
  const n = Number(s);
  return n >= 5 && n <= 1440 ? n : null;
}

/** Whether a string is an http(s) URL koe could fetch. */
export function isScheduleURL(s: string): boolean {
  try {
    const u = new URL(s.trim());
    return (u.protocol === 'http:' || u.protocol === 'https:') && !!u.host;
  } catch {
    return false;
  }
}
