// The HTTP API client. The browser authenticates with cookies (the
// participant cookie from /join, the staff cookie from /session), so no
// token is ever kept in script-readable storage.
import type {
  JoinResponse, KoeEvent, LikeResult, Me, Question, QuestionList, Reply, Talk, TalkList,
} from './types';

/** An API error: the server's {"error":{code,message}}, or a network failure. */
export class ApiError extends Error {
  constructor(
    public status: number,
    public code: string,
    message: string,
    /** Seconds, from Retry-After on 429. */
    public retryAfter = 0,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** status 0: the request never got an answer. */
export const NETWORK = 'network';

async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      credentials: 'same-origin',
      headers: body === undefined ? { Accept: 'application/json' } : { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, NETWORK, 'network error');
  }
  if (res.status === 204) return undefined as T;
  let data: unknown = null;
  try {
    data = await res.json();
  } catch {
    // A proxy's HTML error page, or an empty body.
  }
  if (!res.ok) {
    const err = (data as { error?: { code?: string; message?: string } } | null)?.error;
    const retry = Number(res.headers.get('Retry-After') ?? 0);
    throw new ApiError(res.status, err?.code ?? `http_${res.status}`, err?.message ?? res.statusText, Number.isFinite(retry) ? retry : 0);
  }
  return data as T;
}

const ev = (eventID: number) => `/api/v1/events/${eventID}`;
const qs = (eventID: number, talkID: number) => `${ev(eventID)}/talks/${talkID}/questions`;

export type Sort = 'top' | 'recent' | 'answered' | 'hidden';

export const api = {
  join: (code: string, displayName: string) =>
    request<JoinResponse>('POST', '/api/v1/join', displayName ? { code, display_name: displayName } : { code }),
  signIn: (token: string) => request<Me>('POST', '/api/v1/session', { token }),
  signOut: () => request<void>('DELETE', '/api/v1/session'),

  events: () => request<{ events: KoeEvent[] }>('GET', '/api/v1/events'),
  createEvent: (body: Partial<Omit<KoeEvent, 'id'>>) => request<KoeEvent>('POST', '/api/v1/events', body),
  event: (eventID: number) => request<KoeEvent>('GET', ev(eventID)),
  updateEvent: (eventID: number, body: Record<string, unknown>) => request<KoeEvent>('PATCH', ev(eventID), body),
  me: (eventID: number) => request<Me>('GET', `${ev(eventID)}/me`),

  talks: (eventID: number) => request<TalkList>('GET', `${ev(eventID)}/talks`),
  talk: (eventID: number, talkID: number) => request<Talk>('GET', `${ev(eventID)}/talks/${talkID}`),
  createTalk: (eventID: number, body: Record<string, unknown>) => request<Talk>('POST', `${ev(eventID)}/talks`, body),
  updateTalk: (eventID: number, talkID: number, body: Record<string, unknown>) =>
    request<Talk>('PATCH', `${ev(eventID)}/talks/${talkID}`, body),
  highlight: (eventID: number, talkID: number, questionID: number | null) =>
    request<Talk>('PUT', `${ev(eventID)}/talks/${talkID}/highlight`, { question_id: questionID }),

  questions: (eventID: number, talkID: number, sort: Sort, cursor?: string | null, limit = 200) => {
    const p = new URLSearchParams({ sort, limit: String(limit) });
    if (cursor) p.set('cursor', cursor);
    return request<QuestionList>('GET', `${qs(eventID, talkID)}?${p}`);
  },
  question: (eventID: number, talkID: number, id: number) => request<Question>('GET', `${qs(eventID, talkID)}/${id}`),
  ask: (eventID: number, talkID: number, body: string, anonymous: boolean) =>
    request<Question>('POST', qs(eventID, talkID), { body, anonymous }),
  updateQuestion: (eventID: number, talkID: number, id: number, body: { body?: string; answered?: boolean; hidden?: boolean }) =>
    request<Question>('PATCH', `${qs(eventID, talkID)}/${id}`, body),
  like: (eventID: number, talkID: number, id: number, liked: boolean) =>
    request<LikeResult>(liked ? 'PUT' : 'DELETE', `${qs(eventID, talkID)}/${id}/like`),
  replies: (eventID: number, talkID: number, id: number) =>
    request<{ replies: Reply[] }>('GET', `${qs(eventID, talkID)}/${id}/replies`),
  reply: (eventID: number, talkID: number, id: number, body: string, opts: { author_name?: string; anonymous?: boolean } = {}) =>
    request<Reply>('POST', `${qs(eventID, talkID)}/${id}/replies`, { body, ...opts }),
};

export type Api = typeof api;
