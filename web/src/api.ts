// The HTTP API client. The browser authenticates with cookies (the
// participant cookie from /join, the staff cookie from /session), so no
// token is ever kept in script-readable storage.
import type {
  Account, APIToken, AuditPage, Ceremony, ClientConfig, EventRole, Invitation, InvitationPreview, IssuedAPIToken, IssuedInvitation,
  Ban, JoinResponse, KoeEvent, LikeResult, Me, Membership, ModerationSettings, Passkey, Question, QuestionList, Reply, Review,
  ReviewList, SecondFactor, SetupStatus, CreatedSource, EngageAction, ItemStatus, Post, PostList, Source, SourceInput,
  SignedIn, StaffMember, StaffSession, Talk, TalkList, TokenRole, Whoami,
  CreatedWebhook, Delivery, DeliveryPage, DeliveryState, Webhook, WebhookInput, SlackConnection, SlackInput, SlackLink, SlackSettings,
  ReactionCounts, ScreenLink, Viewer, Poll, PollView, PollResults, Vote, Ballot, NewPoll, PollPatch, ExportFormat,
  ImportPlan, ScheduleSource, RoomList, EventReport, TalkReport,
} from './types';

/** An API error: the server's {"error":{code,message}}, or a network failure. */
export class ApiError extends Error {
  constructor(
    public status: number,
    public code: string,
    message: string,
    /** Seconds, from Retry-After on 429. */
    public retryAfter = 0,
    /** invalid_argument: which field broke which rule, and its limit (0 for none). */
    public details: ErrorDetails = {},
    /** The whole error object, for codes that carry more (duplicate: similar). */
    public body: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** The machine-readable details of a rejected value (api/openapi.json, ErrorBody). */
export interface ErrorDetails {
  field?: string;
  reason?: string;
  limit?: number;
}

/** status 0: the request never got an answer. */
export const NETWORK = 'network';

/** A request body sent as it is (a file), with its own Content-Type, not as JSON. */
class RawBody {
  constructor(public blob: Blob, public type: string) {}
}

/**
 * The secret of the screen link a page was opened by (/screen/{secret},
 * /overlay/{secret}): sent as the bearer token of every request, so the
 * page reads as the link's viewer, whoever else this browser is.
 */
let viewerKey = '';

/** Makes every request (and Live.urlFor's WebSocket URL) carry a screen link's secret; '' stops. */
export function setViewerKey(key: string): void {
  viewerKey = key;
}

export function getViewerKey(): string {
  return viewerKey;
}

async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  let res: Response;
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = body instanceof RawBody ? body.type : 'application/json';
  if (viewerKey) headers.Authorization = `Bearer ${viewerKey}`;
  try {
    res = await fetch(path, {
      method,
      credentials: 'same-origin',
      headers,
      body: body === undefined ? undefined : body instanceof RawBody ? body.blob : JSON.stringify(body),
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
    const err = (data as { error?: { code?: string; message?: string } & ErrorDetails } | null)?.error;
    const retry = Number(res.headers.get('Retry-After') ?? 0);
    const details: ErrorDetails = {
      field: typeof err?.field === 'string' ? err.field : undefined,
      reason: typeof err?.reason === 'string' ? err.reason : undefined,
      limit: typeof err?.limit === 'number' ? err.limit : undefined,
    };
    throw new ApiError(res.status, err?.code ?? `http_${res.status}`, err?.message ?? res.statusText, Number.isFinite(retry) ? retry : 0, details, (err ?? {}) as Record<string, unknown>);
  }
  return data as T;
}

/**
 * Whether the server has a route at path, without calling it: koe answers
 * 405 for a path it serves with other methods and 404 for one it does not
 * serve at all (routes being built may not be there yet).
 */
export async function hasRoute(path: string): Promise<boolean> {
  try {
    const res = await fetch(path, { method: 'GET', credentials: 'same-origin', headers: { Accept: 'application/json' } });
    return res.status !== 404;
  } catch {
    return false;
  }
}

/** The audit log's filters, as the query string takes them. */
export interface AuditQuery {
  account?: string;
  type?: string;
  since?: string;
  until?: string;
  before?: string;
  limit?: number;
}

export function auditPath(eventID: number | null, q: AuditQuery, format?: 'csv' | 'json'): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v !== undefined && v !== '') p.set(k, String(v));
  if (format) p.set('format', format);
  const base = eventID ? `/api/v1/events/${eventID}/audit` : '/api/v1/audit';
  const qs = p.toString();
  return qs ? `${base}?${qs}` : base;
}

export interface PasskeyAssertion {
  ceremony: string;
  credential: unknown;
}

const ev = (eventID: number) => `/api/v1/events/${eventID}`;
const qs = (eventID: number, talkID: number) => `${ev(eventID)}/talks/${talkID}/questions`;

export type Sort = 'top' | 'recent' | 'answered' | 'hidden';

export const api = {
  join: (code: string, displayName: string, passcode = '') =>
    request<JoinResponse>('POST', '/api/v1/join', {
      code,
      ...(displayName ? { display_name: displayName } : {}),
      ...(passcode ? { passcode } : {}),
    }),
  eventPasscode: (eventID: number) => request<{ passcode: string }>('GET', `/api/v1/events/${eventID}/passcode`),
  signIn: (token: string) => request<SignedIn>('POST', '/api/v1/session', { token }),
  signInPassword: (login: string, password: string) =>
    request<SignedIn | SecondFactor>('POST', '/api/v1/session', { login, password }),
  signInPasskey: (passkey: PasskeyAssertion) => request<SignedIn>('POST', '/api/v1/session', { passkey }),
  passkeySignInOptions: () => request<Ceremony>('POST', '/api/v1/session/passkey'),
  signOut: () => request<void>('DELETE', '/api/v1/session'),
  whoami: () => request<Whoami>('GET', '/api/v1/session'),
  clientConfig: () => request<ClientConfig>('GET', '/api/v1/config'),
  setupStatus: () => request<SetupStatus>('GET', '/api/v1/setup'),
  setup: (body: { token: string; login: string; display_name: string; email: string; password: string }) =>
    request<SignedIn>('POST', '/api/v1/setup', body),

  sessions: () => request<{ sessions: StaffSession[] }>('GET', '/api/v1/sessions'),
  revokeSessions: () => request<{ revoked: number }>('DELETE', '/api/v1/sessions'),
  revokeSession: (id: number) => request<void>('DELETE', `/api/v1/sessions/${id}`),
  updateMyAccount: (body: { display_name?: string; email?: string; passkey_required?: boolean }) =>
    request<Account>('PATCH', '/api/v1/account', body),
  changePassword: (current: string, next: string) => request<void>('PUT', '/api/v1/account/password', { current, new: next }),
  apiTokens: () => request<{ tokens: APIToken[] }>('GET', '/api/v1/account/tokens'),
  createAPIToken: (body: { name: string; events: number[]; roles: TokenRole[]; expires_at: string | null }) =>
    request<IssuedAPIToken>('POST', '/api/v1/account/tokens', body),
  revokeAPIToken: (id: number) => request<void>('DELETE', `/api/v1/account/tokens/${id}`),
  passkeys: () => request<{ passkeys: Passkey[] }>('GET', '/api/v1/account/passkeys'),
  passkeyOptions: () => request<Ceremony>('POST', '/api/v1/account/passkeys/options'),
  addPasskey: (body: { ceremony: string; name: string; credential: unknown }) =>
    request<Passkey>('POST', '/api/v1/account/passkeys', body),
  deletePasskey: (id: number) => request<void>('DELETE', `/api/v1/account/passkeys/${id}`),

  accounts: () => request<{ accounts: Account[] }>('GET', '/api/v1/accounts'),
  createAccount: (body: { login: string; display_name: string; email: string; password: string; admin: boolean }) =>
    request<Account>('POST', '/api/v1/accounts', body),
  updateAccount: (id: number, body: { admin?: boolean; disabled?: boolean }) => request<Account>('PATCH', `/api/v1/accounts/${id}`, body),
  audit: (eventID: number | null, q: AuditQuery) => request<AuditPage>('GET', auditPath(eventID, q)),

  staff: (eventID: number) => request<{ staff: StaffMember[] }>('GET', `${ev(eventID)}/staff`),
  setStaff: (eventID: number, accountID: number, role: EventRole, talks: number[]) =>
    request<Membership>('PUT', `${ev(eventID)}/staff/${accountID}`, { role, talks }),
  removeStaff: (eventID: number, accountID: number) => request<void>('DELETE', `${ev(eventID)}/staff/${accountID}`),
  invitations: (eventID: number) => request<{ invitations: Invitation[] }>('GET', `${ev(eventID)}/invitations`),
  invite: (eventID: number, body: { role: EventRole; talks: number[]; expires_in_hours: number }) =>
    request<IssuedInvitation>('POST', `${ev(eventID)}/invitations`, body),
  revokeInvitation: (eventID: number, id: number) => request<void>('DELETE', `${ev(eventID)}/invitations/${id}`),
  previewInvitation: (token: string) => request<InvitationPreview>('POST', '/api/v1/invitations/preview', { token }),
  acceptInvitation: (token: string) => request<Membership>('POST', '/api/v1/invitations/accept', { token }),
  signUp: (body: { token: string; login: string; display_name: string; email: string; password: string }) =>
    request<SignedIn>('POST', '/api/v1/invitations/signup', body),

  events: () => request<{ events: KoeEvent[] }>('GET', '/api/v1/events'),
  createEvent: (body: Partial<Omit<KoeEvent, 'id'>>) => request<KoeEvent>('POST', '/api/v1/events', body),
  event: (eventID: number) => request<KoeEvent>('GET', ev(eventID)),
  updateEvent: (eventID: number, body: Record<string, unknown>) => request<KoeEvent>('PATCH', ev(eventID), body),
  me: (eventID: number) => request<Me>('GET', `${ev(eventID)}/me`),
  /** Sends the image itself as the body, with its type (image/png, image/jpeg or image/webp). */
  uploadLogo: (eventID: number, file: Blob) => request<KoeEvent>('PUT', `${ev(eventID)}/logo`, new RawBody(file, file.type)),
  deleteLogo: (eventID: number) => request<KoeEvent>('DELETE', `${ev(eventID)}/logo`),

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
  ask: (eventID: number, talkID: number, body: string, anonymous: boolean, duplicateOK = false) =>
    request<Question>('POST', qs(eventID, talkID), { body, anonymous, ...(duplicateOK ? { duplicate_ok: true } : {}) }),
  updateQuestion: (eventID: number, talkID: number, id: number, body: { body?: string; answered?: boolean; hidden?: boolean }) =>
    request<Question>('PATCH', `${qs(eventID, talkID)}/${id}`, body),
  like: (eventID: number, talkID: number, id: number, liked: boolean) =>
    request<LikeResult>(liked ? 'PUT' : 'DELETE', `${qs(eventID, talkID)}/${id}/like`),
  replies: (eventID: number, talkID: number, id: number) =>
    request<{ replies: Reply[] }>('GET', `${qs(eventID, talkID)}/${id}/replies`),
  reply: (eventID: number, talkID: number, id: number, body: string, opts: { author_name?: string; anonymous?: boolean } = {}) =>
    request<Reply>('POST', `${qs(eventID, talkID)}/${id}/replies`, { body, ...opts }),

  moderationSettings: (eventID: number) => request<ModerationSettings>('GET', `${ev(eventID)}/moderation`),
  setModerationSettings: (eventID: number, s: ModerationSettings) => request<ModerationSettings>('PUT', `${ev(eventID)}/moderation`, s),
  reviews: (eventID: number, q: { state: 'open' | 'decided'; talk_id?: number; limit?: number }) => {
    const p = new URLSearchParams({ state: q.state, limit: String(q.limit ?? 200) });
    if (q.talk_id) p.set('talk_id', String(q.talk_id));
    return request<ReviewList>('GET', `${ev(eventID)}/reviews?${p}`);
  },
  claim: (eventID: number, id: number) => request<Review>('POST', `${ev(eventID)}/reviews/${id}/claim`),
  release: (eventID: number, id: number) => request<void>('DELETE', `${ev(eventID)}/reviews/${id}/claim`),
  decide: (eventID: number, id: number, decision: 'approve' | 'reject', body?: string) =>
    request<Review>('POST', `${ev(eventID)}/reviews/${id}/decision`, { decision, ...(body !== undefined ? { body } : {}) }),
  decideMany: (eventID: number, ids: number[], decision: 'approve' | 'reject') =>
    request<{ reviews: Review[]; conflicts: number[] | null }>('POST', `${ev(eventID)}/reviews/decisions`, { ids, decision }),
  undo: (eventID: number, id: number) => request<Review>('POST', `${ev(eventID)}/reviews/${id}/undo`),
  bans: (eventID: number) => request<{ bans: Ban[] }>('GET', `${ev(eventID)}/bans`),
  ban: (eventID: number, body: { review_id?: number; question_id?: number; reply_id?: number; hide_items: boolean; reason: string }) =>
    request<Ban>('POST', `${ev(eventID)}/bans`, body),
  unban: (eventID: number, id: number) => request<void>('DELETE', `${ev(eventID)}/bans/${id}`),

  sources: (eventID: number) => request<{ sources: Source[] }>('GET', `${ev(eventID)}/sources`),
  createSource: (eventID: number, body: SourceInput) => request<CreatedSource>('POST', `${ev(eventID)}/sources`, body),
  updateSource: (eventID: number, id: number, body: SourceInput) => request<Source>('PATCH', `${ev(eventID)}/sources/${id}`, body),
  deleteSource: (eventID: number, id: number) => request<void>('DELETE', `${ev(eventID)}/sources/${id}`),
  rotateSourceSecret: (eventID: number, id: number) => request<{ secret: string }>('POST', `${ev(eventID)}/sources/${id}/secret`),

  webhooks: (eventID: number) => request<{ webhooks: Webhook[] }>('GET', `${ev(eventID)}/webhooks`),
  createWebhook: (eventID: number, body: WebhookInput) => request<CreatedWebhook>('POST', `${ev(eventID)}/webhooks`, body),
  updateWebhook: (eventID: number, id: number, body: WebhookInput) => request<Webhook>('PATCH', `${ev(eventID)}/webhooks/${id}`, body),
  deleteWebhook: (eventID: number, id: number) => request<void>('DELETE', `${ev(eventID)}/webhooks/${id}`),
  renewWebhookSecret: (eventID: number, id: number) => request<CreatedWebhook>('POST', `${ev(eventID)}/webhooks/${id}/secret`),
  pingWebhook: (eventID: number, id: number) => request<Delivery>('POST', `${ev(eventID)}/webhooks/${id}/ping`),
  deliveries: (eventID: number, id: number, q: { state?: DeliveryState | ''; before?: number | null; limit?: number } = {}) => {
    const p = new URLSearchParams({ limit: String(q.limit ?? 25) });
    if (q.state) p.set('state', q.state);
    if (q.before) p.set('before', String(q.before));
    return request<DeliveryPage>('GET', `${ev(eventID)}/webhooks/${id}/deliveries?${p}`);
  },
  redeliver: (eventID: number, id: number, deliveryID: number) =>
    request<Delivery>('POST', `${ev(eventID)}/webhooks/${id}/deliveries/${deliveryID}/redeliver`),
  slack: (eventID: number) => request<SlackSettings>('GET', `${ev(eventID)}/slack`),
  updateSlack: (eventID: number, body: SlackInput) => request<SlackConnection>('PUT', `${ev(eventID)}/slack`, body),
  disconnectSlack: (eventID: number) => request<void>('DELETE', `${ev(eventID)}/slack`),
  testSlack: (eventID: number) => request<void>('POST', `${ev(eventID)}/slack/test`),
  linkSlack: (token: string) => request<SlackLink>('POST', '/api/v1/slack/link', { token }),
  posts: (eventID: number, q: { status: ItemStatus; before?: number; limit?: number }) => {
    const p = new URLSearchParams({ status: q.status, limit: String(q.limit ?? 100) });
    if (q.before) p.set('before', String(q.before));
    return request<PostList>('GET', `${ev(eventID)}/posts?${p}`);
  },
  updatePost: (eventID: number, id: number, body: { hidden?: boolean; featured?: boolean }) =>
    request<Post>('PATCH', `${ev(eventID)}/posts/${id}`, body),
  engage: (eventID: number, id: number, action: EngageAction) => request<Post>('POST', `${ev(eventID)}/posts/${id}/engage`, { action }),
  featured: (eventID: number) => request<{ post: Post | null }>('GET', `${ev(eventID)}/featured`),
  /** count taps of one emoji at once (1–10): a phone sends the taps of a quarter second together. */
  react: (eventID: number, talkID: number, emoji: string, count = 1) =>
    request<void>('POST', `${ev(eventID)}/talks/${talkID}/reactions`, { emoji, count }),
  reactionTotals: (eventID: number, talkID: number) =>
    request<{ counts: ReactionCounts }>('GET', `${ev(eventID)}/talks/${talkID}/reactions`),
  screenLinks: (eventID: number) => request<{ links: ScreenLink[] }>('GET', `${ev(eventID)}/screen-links`),
  createScreenLink: (eventID: number, body: { kind: 'screen' | 'overlay'; label: string }) =>
    request<ScreenLink>('POST', `${ev(eventID)}/screen-links`, body),
  rotateScreenLink: (eventID: number, id: number) => request<ScreenLink>('POST', `${ev(eventID)}/screen-links/${id}/secret`),
  deleteScreenLink: (eventID: number, id: number) => request<void>('DELETE', `${ev(eventID)}/screen-links/${id}`),
  /**
   * The URL of an export (F22) for a plain link (<a href download>): the browser's staff cookie
   * authenticates the GET and the answer is an attachment. talkID null: the whole event.
   * all: held, rejected and hidden items too (moderators and owners; 403 otherwise).
   */
  exportURL: (eventID: number, talkID: number | null, format: ExportFormat, all = false) => {
    const p = new URLSearchParams({ format });
    if (all) p.set('all', 'true');
    return `${ev(eventID)}${talkID === null ? '' : `/talks/${talkID}`}/export?${p}`;
  },
  /** A talk's polls: staff get drafts too; results null while hidden from the caller. */
  polls: (eventID: number, talkID: number) => request<{ polls: PollView[] }>('GET', `${ev(eventID)}/talks/${talkID}/polls`),
  createPoll: (eventID: number, talkID: number, body: NewPoll) => request<Poll>('POST', `${ev(eventID)}/talks/${talkID}/polls`, body),
  updatePoll: (eventID: number, talkID: number, id: number, body: PollPatch) =>
    request<Poll>('PATCH', `${ev(eventID)}/talks/${talkID}/polls/${id}`, body),
  deletePoll: (eventID: number, talkID: number, id: number) => request<void>('DELETE', `${ev(eventID)}/talks/${talkID}/polls/${id}`),
  /** Casts or changes the participant's vote while the poll is open. */
  vote: (eventID: number, talkID: number, id: number, ballot: Ballot) =>
    request<Vote>('PUT', `${ev(eventID)}/talks/${talkID}/polls/${id}/vote`, ballot),
  pollResults: (eventID: number, talkID: number, id: number) =>
    request<PollResults>('GET', `${ev(eventID)}/talks/${talkID}/polls/${id}/results`),
  /** Imports a schedule (pretalx/frab or Sessionize JSON as text, or a URL koe fetches); dry_run only says what it would do. */
  importSchedule: (eventID: number, body: ({ data: string } | { url: string }) & { dry_run: boolean }) =>
    request<ImportPlan>('POST', `${ev(eventID)}/schedule/import`, body),
  /** The event's schedule URL; 404 (ApiError) when it has none. */
  scheduleSource: (eventID: number) => request<ScheduleSource>('GET', `${ev(eventID)}/schedule/source`),
  setScheduleSource: (eventID: number, body: { url: string; refresh_minutes: number }) =>
    request<ScheduleSource>('PUT', `${ev(eventID)}/schedule/source`, body),
  deleteScheduleSource: (eventID: number) => request<void>('DELETE', `${ev(eventID)}/schedule/source`),
  /** Every room and the talk its screen shows now. */
  rooms: (eventID: number) => request<RoomList>('GET', `${ev(eventID)}/rooms`),
  eventReport: (eventID: number) => request<EventReport>('GET', `${ev(eventID)}/report`),
  talkReport: (eventID: number, talkID: number) => request<TalkReport>('GET', `${ev(eventID)}/talks/${talkID}/report`),
  /** Which event and kind the viewer key (setViewerKey) is for. */
  viewer: () => request<Viewer>('GET', '/api/v1/viewer'),
};

export type Api = typeof api;
