// Events this browser joined, so the start page can offer them again.
// Only what the page showed anyway: no tokens (the cookie is HttpOnly).
export interface Joined {
  id: number;
  title: string;
  code: string;
  at: number;
}

const key = 'koe.joined';

export function joinedEvents(): Joined[] {
  try {
    const v = JSON.parse(localStorage.getItem(key) ?? '[]') as Joined[];
    return Array.isArray(v) ? v.filter((x) => typeof x.id === 'number' && typeof x.title === 'string') : [];
  } catch {
    return [];
  }
}

export function rememberEvent(e: { id: number; title: string; join_code: string }): void {
  try {
    const rest = joinedEvents().filter((x) => x.id !== e.id);
    localStorage.setItem(key, JSON.stringify([{ id: e.id, title: e.title, code: e.join_code, at: Date.now() }, ...rest].slice(0, 5)));
  } catch {
    // storage unavailable: nothing to remember
  }
}

export function forgetEvent(id: number): void {
  try {
    localStorage.setItem(key, JSON.stringify(joinedEvents().filter((x) => x.id !== id)));
  } catch {
    // ignore
  }
}
