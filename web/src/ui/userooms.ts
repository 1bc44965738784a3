// The event's rooms (GET …/rooms) kept current: read again when what they
// depend on changes (key: the talks' rooms and times), just after the soonest switch on the server's clock, and
// at the latest every cap ms. A refusal (a server without rooms, a page
// not allowed them) is not asked again until the talks change.
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, api } from '../api';
import { clockOffset, soonestSwitch, switchDelay } from '../state/schedule';
import type { RoomList } from '../types';

export interface RoomsOptions {
  /** Longest wait between reads (ms). */
  cap?: number;
  /** Up to this many ms more, at random, before reading after a switch (many phones do not all ask at once). */
  jitter?: number;
  /** Only the switch of this room counts (a room screen); all rooms' otherwise. */
  room?: string;
  /** Reads nothing while false. */
  on?: boolean;
  /** A read failed (e.g. 401: a screen link's secret was changed). */
  onError?: (e: unknown) => void;
}

/** key: what the rooms depend on (roomsKey): read again when it changes. */
export function useRooms(eventID: number, key: string, o: RoomsOptions = {}) {
  const { cap = 60_000, jitter = 0, room, on = true } = o;
  const [list, setList] = useState<RoomList | null>(null);
  const [offset, setOffset] = useState(0);
  const [error, setError] = useState<unknown>(null);
  const [tick, setTick] = useState(0);
  const onError = useRef(o.onError);
  onError.current = o.onError;
  const loaded = useRef(false);
  const lastTick = useRef(tick);
  useEffect(() => {
    if (!on) return;
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const read = async () => {
      const sent = Date.now();
      try {
        const l = await api.rooms(eventID);
        if (stopped) return;
        const off = clockOffset(l.now, sent, Date.now());
        loaded.current = true;
        setList(l);
        setOffset(off);
        setError(null);
        const rooms = room === undefined ? l.rooms : l.rooms.filter((r) => r.name === room);
        const wait = switchDelay(soonestSwitch(rooms), off, Date.now(), cap);
        timer = setTimeout(() => setTick((n) => n + 1), wait + (wait < cap && jitter ? Math.random() * jitter : 0));
      } catch (e) {
        if (stopped) return;
        setError(e);
        onError.current?.(e);
        // Not for this page (401, 403) or no rooms route (404): ask again only when the talks change.
        if (e instanceof ApiError && e.status >= 400 && e.status < 500 && e.status !== 429) return;
        timer = setTimeout(() => setTick((n) => n + 1), Math.min(cap, 15_000));
      }
    };
    // Talk changes come in bursts (an import): read once they settle (and, with jitter, not all phones at once).
    const byKey = loaded.current && lastTick.current === tick;
    lastTick.current = tick;
    const start = setTimeout(() => void read(), 200 + (byKey && jitter ? Math.random() * jitter : 0));
    return () => {
      stopped = true;
      clearTimeout(start);
      if (timer) clearTimeout(timer);
    };
  }, [eventID, key, tick, room, on, cap, jitter]);
  return { list, offset, error };
}
