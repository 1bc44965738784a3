// Who the signed-in staff is (GET /api/v1/session), loaded once and shared
// by every staff page; signing in or out refreshes it.
import { useEffect, useState } from 'preact/hooks';
import { ApiError, api } from '../api';
import type { Whoami } from '../types';

export type WhoState =
  | { status: 'loading' }
  | { status: 'out' }
  | { status: 'in'; who: Whoami }
  | { status: 'error'; error: unknown };

let state: WhoState = { status: 'loading' };
let inflight: Promise<void> | null = null;
let loaded = false;
const listeners = new Set<() => void>();

function emit(s: WhoState) {
  state = s;
  for (const fn of [...listeners]) fn();
}

/** Loads who is signed in again (after a sign-in, a sign-out, a role change). */
export function refreshWhoami(): Promise<void> {
  loaded = true;
  inflight ??= api.whoami().then(
    (who) => emit({ status: 'in', who }),
    (e) => emit(e instanceof ApiError && (e.status === 401 || e.status === 403) ? { status: 'out' } : { status: 'error', error: e }),
  ).finally(() => {
    inflight = null;
  });
  return inflight;
}

export function signedOut(): void {
  loaded = true;
  emit({ status: 'out' });
}

export function useWhoami(): WhoState {
  const [, set] = useState(0);
  useEffect(() => {
    const fn = () => set((n) => n + 1);
    listeners.add(fn);
    if (!loaded) void refreshWhoami();
    return () => void listeners.delete(fn);
  }, []);
  return state;
}

/** The signed-in staff, or null. */
export function currentWho(): Whoami | null {
  return state.status === 'in' ? state.who : null;
}
