import { describe, expect, it } from 'vitest';
import type { ImportedTalk, ImportPlan, RoomList } from '../types';
import { talk } from './fixtures';
import {
  byTime, changedRows, clockOffset, decodeRoom, findRoom, groupByRoom, isScheduleURL, maxWait, nowInRooms, parseMinutes,
  parseRefresh, roomLinkPath, roomScreenPath, roomSegment, roomsKey, soonestSwitch, summarize, switchDelay, switchSlack,
} from './schedule';

const T0 = Date.parse('2026-12-03T01:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();

function imported(over: Partial<ImportedTalk> = {}): ImportedTalk {
  return { source_id: 'x', title: 'T', speaker: '', room: '', track: '', language: '', starts_at: null, ends_at: null, ...over };
}

describe('clock offset', () => {
  it('is the server time minus the local time halfway through the request', () => {
    // The server's clock is 90 s ahead; the request took 200 ms.
    expect(clockOffset(iso(T0 + 90_000 + 100), T0, T0 + 200)).toBe(90_000);
    // Behind.
    expect(clockOffset(iso(T0 - 5000), T0, T0)).toBe(-5000);
  });
  it('is 0 for a server time it cannot read, and copes with a clock that went back', () => {
    expect(clockOffset('garbage', T0, T0 + 10)).toBe(0);
    expect(clockOffset(iso(T0), T0, T0 - 1000)).toBe(0);
  });
});

describe('switch delay', () => {
  it('waits until just after switch_at on the server’s clock', () => {
    // Server 90 s ahead: the switch 20 s from the server's now is 20 s from here too.
    const serverNow = T0 + 90_000;
    expect(switchDelay(iso(serverNow + 20_000), 90_000, T0)).toBe(20_000 + switchSlack);
    // The same switch read by a laptop 3 minutes behind the server: still 20 s.
    expect(switchDelay(iso(serverNow + 20_000), 90_000 + 180_000, T0 - 180_000)).toBe(20_000 + switchSlack);
  });
  it('the local clock alone would be wrong: an offset moves the timer', () => {
    const at = iso(T0 + 30_000);
    expect(switchDelay(at, 0, T0)).toBe(30_000 + switchSlack);
    expect(switchDelay(at, 10_000, T0)).toBe(20_000 + switchSlack);
    expect(switchDelay(at, -10_000, T0)).toBe(40_000 + switchSlack);
  });
  it('is never negative', () => {
    expect(switchDelay(iso(T0 - 3_600_000), 0, T0)).toBe(0);
    expect(switchDelay(iso(T0), 5000, T0)).toBe(0);
  });
  it('is capped, and the cap when there is no switch', () => {
    expect(switchDelay(iso(T0 + 3 * 3_600_000), 0, T0)).toBe(maxWait);
    expect(switchDelay(iso(T0 + 3 * 3_600_000), 0, T0, 5000)).toBe(5000);
    expect(switchDelay(null, 0, T0)).toBe(maxWait);
    expect(switchDelay('not a time', 0, T0)).toBe(maxWait);
  });
});

describe('rooms', () => {
  const list: RoomList = {
    now: iso(T0),
    rooms: [
      { name: 'Hall A', talk_id: 1, next_talk_id: 2, switch_at: iso(T0 + 600_000) },
      { name: 'ルーム B', talk_id: 3, next_talk_id: 0, switch_at: null },
      { name: 'Room C', talk_id: 4, next_talk_id: 5, switch_at: iso(T0 + 60_000) },
      { name: 'Empty', talk_id: 0, next_talk_id: 0, switch_at: null },
    ],
  };
  it('the soonest switch of all rooms', () => {
    expect(soonestSwitch(list.rooms)).toBe(iso(T0 + 60_000));
    expect(soonestSwitch([])).toBeNull();
    expect(soonestSwitch([{ name: 'x', talk_id: 0, next_talk_id: 0, switch_at: null }])).toBeNull();
  });
  it('finds a room by its exact name', () => {
    expect(findRoom(list, 'ルーム B')?.talk_id).toBe(3);
    expect(findRoom(list, 'hall a')).toBeUndefined();
    expect(findRoom(null, 'Hall A')).toBeUndefined();
  });
  it('room screen paths keep the name readable, encode what a path cannot hold, and decode back', () => {
    expect(roomScreenPath(7, 'ルーム B/2')).toBe('/e/7/rooms/ルーム%20B%2F2/screen');
    expect(roomLinkPath('/screen/abc/', 'Hall A')).toBe('/screen/abc/rooms/Hall%20A');
    expect(roomSegment('100% #1?')).toBe('100%25%20%231%3F');
    // What the browser's location.pathname gives back (fully encoded), and the readable form, both decode.
    expect(decodeRoom('%E3%83%AB%E3%83%BC%E3%83%A0%20B%2F2')).toBe('ルーム B/2');
    expect(decodeRoom('ルーム%20B%2F2')).toBe('ルーム B/2');
    for (const name of ['Hall A', 'ホールA', 'a/b?c#d%e', 'Raum Ü', '会議室 ３']) {
      expect(decodeRoom(new URL(`http://x${roomScreenPath(1, name)}`).pathname.split('/')[4])).toBe(name);
    }
    expect(decodeRoom('%E3%8')).toBe('%E3%8');
  });
  it('now in each room: live and next talks, not the ones over, not unknown talks', () => {
    const talks = new Map([
      [1, talk({ id: 1, title: 'live', starts_at: iso(T0 - 600_000), ends_at: iso(T0 + 600_000) })],
      [3, talk({ id: 3, title: 'over', starts_at: iso(T0 - 7_200_000), ends_at: iso(T0 - 3_600_000) })],
      [4, talk({ id: 4, title: 'soon', starts_at: iso(T0 + 60_000), ends_at: iso(T0 + 1_800_000) })],
    ]);
    expect(nowInRooms(list, talks, T0)).toEqual([
      { room: 'Hall A', talk: talks.get(1), upcoming: false },
      { room: 'Room C', talk: talks.get(4), upcoming: true },
    ]);
    expect(nowInRooms(null, talks, T0)).toEqual([]);
  });
});

describe('rooms key', () => {
  const ev = (lead: number) => ({ settings: { participant_replies: false, participant_sign_in: false, reactions: [], qa_schedule: { follow: true, opens_before_min: lead, closes_after_min: 0 } } });
  const a = talk({ id: 1, room: 'Hall', starts_at: iso(T0), ends_at: iso(T0 + 1800_000) });
  const b = talk({ id: 2, room: 'Annex', starts_at: iso(T0) });
  it('does not change with the order, a highlight or the Q&A', () => {
    const k = roomsKey([a, b], ev(10));
    expect(roomsKey([b, a], ev(10))).toBe(k);
    expect(roomsKey([{ ...a, highlighted_question_id: 7, qa_open: false, version: 9 }, b], ev(10))).toBe(k);
  });
  it('changes with a room, a time, a talk more or less, the flag, the lead', () => {
    const k = roomsKey([a, b], ev(10));
    expect(roomsKey([{ ...a, room: 'Annex' }, b], ev(10))).not.toBe(k);
    expect(roomsKey([{ ...a, starts_at: iso(T0 + 60_000) }, b], ev(10))).not.toBe(k);
    expect(roomsKey([{ ...a, ends_at: null }, b], ev(10))).not.toBe(k);
    expect(roomsKey([a], ev(10))).not.toBe(k);
    expect(roomsKey([a, { ...b, removed_from_schedule: true }], ev(10))).not.toBe(k);
    expect(roomsKey([a, b], ev(0))).not.toBe(k);
    expect(roomsKey([a, b], null)).not.toBe(k);
  });
});

describe('plan', () => {
  const plan: ImportPlan = {
    format: 'pretalx',
    title: 'Go Conference',
    assumed_zone: 'Asia/Tokyo',
    added: [
      imported({ source_id: 'b', title: 'B', room: 'Hall', starts_at: iso(T0 + 3_600_000) }),
      imported({ source_id: 'a', title: 'A', room: 'Annex', starts_at: iso(T0) }),
      imported({ source_id: 'u', title: 'Untimed', room: '' }),
      imported({ source_id: 'c', title: 'C', room: 'Hall', starts_at: iso(T0) }),
    ],
    changed: [
      { talk_id: 9, fields: ['title', 'room'], talk: imported({ title: 'New', room: 'Hall', starts_at: iso(T0 + 60_000) }) },
      { talk_id: 8, fields: ['starts_at'], talk: imported({ title: 'Earlier', room: 'Hall', starts_at: iso(T0) }) },
    ],
    removed: [
      { talk_id: 3, title: 'gone', questions: 0, action: 'delete' },
      { talk_id: 4, title: 'kept', questions: 5, action: 'flag' },
    ],
    unchanged: 7,
    applied: false,
  };
  it('sums up', () => {
    expect(summarize(plan)).toEqual({ added: 4, changed: 2, removed: 2, deleted: 1, flagged: 1, unchanged: 7, changes: true });
    const same: ImportPlan = { ...plan, added: [], changed: [], removed: [], unchanged: 3 };
    expect(summarize(same)).toMatchObject({ added: 0, changed: 0, removed: 0, changes: false, unchanged: 3 });
  });
  it('copes with lists a server left out (null)', () => {
    const bare = { format: 'pretalx', title: '', assumed_zone: '', added: null, changed: null, removed: null, unchanged: 0, applied: true } as unknown as ImportPlan;
    expect(summarize(bare)).toMatchObject({ added: 0, changed: 0, removed: 0, changes: false });
    expect(changedRows(bare)).toEqual([]);
  });
  it('orders by time, then room; untimed last', () => {
    expect(byTime(plan.added).map((x) => x.title)).toEqual(['A', 'C', 'B', 'Untimed']);
  });
  it('groups by room, no room last', () => {
    expect(groupByRoom(plan.added).map((g) => [g.room, g.talks.map((x) => x.title)])).toEqual([
      ['Annex', ['A']],
      ['Hall', ['C', 'B']],
      ['', ['Untimed']],
    ]);
  });
  it('changed rows carry their changed fields, by time', () => {
    const rows = changedRows(plan);
    expect(rows.map((r) => r.talk_id)).toEqual([8, 9]);
    expect(rows[1].fields.has('room')).toBe(true);
    expect(rows[1].fields.has('speaker')).toBe(false);
  });
});

describe('form values', () => {
  it('minutes 0–240', () => {
    expect(parseMinutes('0')).toBe(0);
    expect(parseMinutes(' 15 ')).toBe(15);
    expect(parseMinutes('240')).toBe(240);
    expect(parseMinutes('241')).toBeNull();
    expect(parseMinutes('-1')).toBeNull();
    expect(parseMinutes('1.5')).toBeNull();
    expect(parseMinutes('')).toBeNull();
  });
  it('refresh 5–1440', () => {
    expect(parseRefresh('15')).toBe(15);
    expect(parseRefresh('4')).toBeNull();
    expect(parseRefresh('1441')).toBeNull();
    expect(parseRefresh('abc')).toBeNull();
  });
  it('schedule URLs', () => {
    expect(isScheduleURL('https://pretalx.com/gocon/schedule/export/schedule.json')).toBe(true);
    expect(isScheduleURL(' http://example.org/s.json ')).toBe(true);
    expect(isScheduleURL('ftp://example.org/s.json')).toBe(false);
    expect(isScheduleURL('schedule.json')).toBe(false);
  });
});
