// Shapes of koe's API (api/*.go and the domain types are the truth).

export interface EventSettings {
  participant_replies: boolean;
  /** New participants sign in with the OpenID provider to join. */
  participant_sign_in: boolean;
  /** "pre": every question and reply waits for a moderator; "post" (default): shown at once. */
  moderation?: ModerationMode;
  /** The event's accent colour: "#rrggbb" (lower case), or "" for koe's own. Absent from an older server. */
  accent?: string;
  /** Names the current logo (served at /api/v1/events/{id}/logo/{logo}); "" for none. Set by uploading, not by PATCH. */
  logo?: string;
  /** The emoji participants may tap (F17), from ClientConfig.reaction_palette; [] turns reactions off. */
  reactions: string[];
  /** Talks' Q&A opened and closed by their times (absent from an older server). */
  qa_schedule?: QASchedule;
}

/** follow: each timed talk's Q&A opens opens_before_min before its start and closes closes_after_min after its end, unless set by hand (Talk.qa_manual). Minutes 0–240. */
export interface QASchedule {
  follow: boolean;
  opens_before_min: number;
  closes_after_min: number;
}

export type ModerationMode = 'post' | 'pre';

/** Where a question or reply stands in moderation; absent means approved. */
export type ItemStatus = 'approved' | 'pending' | 'rejected';

export interface KoeEvent {
  id: number;
  slug: string;
  title: string;
  join_code: string;
  time_zone: string;
  starts_at: string | null;
  ends_at: string | null;
  settings: EventSettings;
  /** New participants need the event's passcode besides the join code. */
  passcode_required: boolean;
  version: number;
  created_at: string;
  updated_at: string;
}

export interface Talk {
  id: number;
  event_id: number;
  title: string;
  speaker: string;
  track: string;
  /** Where it is given; a room screen follows its room's talks. "" for unknown. */
  room?: string;
  language?: string;
  starts_at: string | null;
  ends_at: string | null;
  qa_open: boolean;
  /** A person opened or closed the Q&A by hand: the schedule leaves it alone until qa_manual is set false. */
  qa_manual?: boolean;
  /** The talk's id in the imported schedule; "" for a talk made by hand. */
  source_id?: string;
  /** Gone from the imported schedule but kept because it has questions: for the organizer to decide. */
  removed_from_schedule?: boolean;
  /** 0 when nothing is highlighted. */
  highlighted_question_id: number;
  /** The talk's own moderation mode; "" (or absent) inherits the event's. */
  moderation?: '' | ModerationMode;
  version: number;
  created_at: string;
  updated_at: string;
}

export interface Question {
  id: number;
  event_id: number;
  talk_id: number;
  author_name: string;
  body: string;
  likes: number;
  answered: boolean;
  answered_at: string | null;
  hidden: boolean;
  /** Others only ever see approved ones; the asker also sees its own pending and rejected ones. */
  status?: ItemStatus;
  reply_count: number;
  version: number;
  created_at: string;
  updated_at: string;
  /** Viewer-relative: false in broadcast events. */
  mine: boolean;
  liked_by_me: boolean;
}

export interface Reply {
  id: number;
  event_id: number;
  talk_id: number;
  question_id: number;
  staff: boolean;
  author_name: string;
  body: string;
  status?: ItemStatus;
  created_at: string;
}

export interface Participant {
  id: number;
  event_id: number;
  display_name: string;
  created_at: string;
}

export interface LikeResult {
  question_id: number;
  likes: number;
  liked: boolean;
  version: number;
}

export interface StreamPosition {
  topic: string;
  cursor: string;
}

export interface QuestionList {
  questions: Question[];
  next_cursor: string | null;
  stream: StreamPosition;
}

export interface TalkList {
  talks: Talk[];
  stream: StreamPosition;
}

export interface JoinResponse {
  event: KoeEvent;
  participant: Participant;
  token: string;
}

export interface Me {
  role: 'staff' | 'participant';
  /** Staff's role in the event. */
  staff_role?: 'owner' | 'moderator' | 'presenter';
  /** A presenter limited to these talks; absent for all. */
  talks?: number[];
  participant: Participant | null;
}

/**
 * One event of a stream: {"seq","type","time","data"}. Ephemeral events
 * (presence) have no seq: they are not in the stream's history and do not
 * move the cursor.
 */
export interface StreamEvent {
  seq?: number;
  type: string;
  time: string;
  data: unknown;
}

export interface LikesUpdate {
  id: number;
  likes: number;
  version: number;
}

export interface Presence {
  connections: number;
}

// Staff accounts, sessions and roles (act/staff.go, act/session.go).

export type EventRole = 'owner' | 'moderator' | 'presenter';
export type TokenRole = EventRole | 'admin';

export interface Account {
  id: number;
  login: string;
  email: string;
  display_name: string;
  admin: boolean;
  disabled: boolean;
  /** Passkeys (when the server has them): a password sign-in also needs a passkey. */
  passkey_required?: boolean;
  created_at: string;
  updated_at: string;
}

export interface Whoami {
  /** null for the owner token. */
  account: Account | null;
  admin: boolean;
  via: 'session' | 'api_token' | 'owner_token';
  /** The role in each event the caller is staff of, by event id. */
  events: Record<string, EventRole>;
}

export interface SignedIn {
  account: Account | null;
  admin: boolean;
}

/** A password sign-in of an account that also needs a passkey (200). */
export interface SecondFactor {
  second_factor: 'passkey';
  ceremony: string;
  options: { publicKey: Record<string, unknown> };
}

/** GET /api/v1/config: what the UI needs of the installation. */
export interface ClientConfig {
  /** The base URL of join links (KOE_PUBLIC_URL or a LAN address); "" for the page's own origin. */
  join_base_url: string;
  /** True when join_base_url reaches koe's machine only: phones cannot open it. */
  loopback: boolean;
  /** Every emoji an event may choose for its reactions (settings.reactions: at most 6 of them). */
  reaction_palette: string[];
}

/** A read-only link for a projector (kind screen) or an OBS browser source (kind overlay). */
export interface ScreenLink {
  id: number;
  event_id: number;
  kind: 'screen' | 'overlay';
  label: string;
  /** koe_v_…: the link's secret; rotating it stops the old one at once. */
  secret: string;
  /** The page it opens, on this origin: /screen/{secret} or /overlay/{secret}. */
  path: string;
  created_at: string;
}

/** What a screen link is for (GET /api/v1/viewer with the link's secret). */
export interface Viewer {
  event_id: number;
  kind: 'screen' | 'overlay';
  label: string;
}

/** Reaction taps per emoji: the body of a "reactions" stream message (one window's taps on one replica), and a talk's totals. */
export type ReactionCounts = Record<string, number>;

export interface SetupStatus {
  needed: boolean;
  /** The OpenID provider's name, when koe is configured for it. */
  oidc?: string;
}

export interface StaffSession {
  id: number;
  account_id: number;
  method: string;
  user_agent: string;
  addr: string;
  created_at: string;
  last_seen_at: string;
  expires_at: string;
  revoked_at: string | null;
  current: boolean;
}

export interface Membership {
  event_id: number;
  account_id: number;
  role: EventRole;
  talks: number[];
  created_at: string;
}

export interface StaffMember extends Membership {
  login: string;
  display_name: string;
}

export interface Invitation {
  id: number;
  event_id: number;
  role: EventRole;
  talks: number[];
  created_by: number;
  created_at: string;
  expires_at: string;
  used_at: string | null;
  used_by: number;
}

export interface IssuedInvitation extends Invitation {
  token: string;
}

export interface InvitationPreview {
  event_id: number;
  event_title: string;
  role: EventRole;
  talks: string[];
  expires_at: string;
}

export interface APIToken {
  id: number;
  account_id: number;
  name: string;
  events: number[];
  roles: TokenRole[];
  created_at: string;
  expires_at: string | null;
  last_used_at: string | null;
  revoked_at: string | null;
}

export interface IssuedAPIToken extends APIToken {
  token: string;
}

export interface Passkey {
  id: number;
  name: string;
  created_at: string;
  last_used_at: string | null;
}

export interface Ceremony {
  ceremony: string;
  options: { publicKey: Record<string, unknown> };
}

export interface AuditActor {
  kind: 'staff' | 'system' | string;
  account_id: number;
  login: string;
  display_name: string;
  via: string;
  addr: string;
}

export interface AuditEntry {
  id: string;
  at: string;
  type: string;
  event_id: number;
  talk_id: number;
  actor: AuditActor;
  before: unknown;
  after: unknown;
}

export interface AuditPage {
  entries: AuditEntry[];
  next_cursor: string | null;
}

// Moderation (docs/architecture.md "Moderation").

export type WordAction = 'block' | 'queue' | 'flag' | 'mask';

/** GET/PUT /events/{id}/moderation. */
export interface ModerationSettings {
  fail_closed: boolean;
  queue_threshold: number;
  reject_threshold: number;
  max_links: number;
  shipped_lists: boolean;
  words: { word: string; action: WordAction }[];
  allow: string[];
  scorers: { name: string; url: string }[];
}

export type ReviewState = 'pending' | 'flagged' | 'approved' | 'rejected';

export interface ReviewReason {
  kind: 'mode' | 'rule' | 'word' | 'scorer' | string;
  name: string;
  detail?: string;
  score?: number;
  action?: string;
}

export interface Review {
  id: number;
  event_id: number;
  talk_id: number;
  /** "post": a social post (subject_id is the post), of no talk. */
  kind: 'question' | 'reply' | 'post' | 'answer';
  subject_id: number;
  question_id: number;
  body: string;
  author_name: string;
  state: ReviewState;
  reasons: ReviewReason[] | null;
  score: { bad: number; ngrams: { ngram: string; weight: number }[] | null } | null;
  claim: { account_id: number; name: string; until: string } | null;
  /** decision: the state it gave ('approved' or 'rejected'); account_id: the decider's account (who may undo); by: the moderator's name, "koe" for koe's own. */
  decision: { decision: 'approved' | 'rejected' | string; account_id: number; by: string; at: string; undo_until: string } | null;
  banned: boolean;
  version: number;
  created_at: string;
}

export interface ReviewCounts {
  pending: number;
  flagged: number;
  decided_last_minute: number;
}

export interface ReviewList {
  reviews: Review[];
  counts: ReviewCounts;
  stream: StreamPosition;
}

export interface Ban {
  id: number;
  display_name: string;
  reason: string;
  by: string;
  created_at: string;
  hidden?: number | boolean;
}

// The social feed (post.go: Source, Post).

export type SourceKind = 'mastodon' | 'bluesky' | 'x' | 'webhook';

/** A webhook is "listening" once it took a delivery. */
export type SourceState = 'stopped' | 'starting' | 'streaming' | 'polling' | 'listening' | 'waiting' | 'failed';

export interface SourceConfig {
  instance: string;
  jetstream: string;
  hashtags: string[];
  keywords: string[];
  handle: string;
  /** Whether the source holds a credential (never sent back). */
  secret_set: boolean;
}

export interface SourceHealth {
  state: SourceState | string;
  last_post_at: string | null;
  last_error: string;
  last_error_at: string | null;
  lag_seconds: number;
  rate_limit: { limit: number; remaining: number; reset: string } | null;
  posts: number;
  updated_at: string;
}

export interface Source {
  id: number;
  event_id: number;
  kind: SourceKind;
  name: string;
  enabled: boolean;
  /** "" takes the event's mode. */
  moderation: '' | ModerationMode;
  config: SourceConfig;
  health: SourceHealth;
  /** Webhook sources: where the relay posts. */
  webhook_url?: string;
  version: number;
  created_at: string;
  updated_at: string;
}

/** A new webhook source's answer carries its signing secret, once. */
export interface CreatedSource extends Source {
  secret?: string;
}

/** The body of POST sources and PATCH sources/{sid} ("secret": "" clears it). */
export interface SourceInput {
  kind?: SourceKind;
  name?: string;
  enabled?: boolean;
  moderation?: '' | ModerationMode;
  config?: { instance?: string; jetstream?: string; hashtags?: string[]; keywords?: string[]; handle?: string };
  secret?: string;
}

export type EngageAction = 'favourite' | 'boost' | 'like' | 'repost';

export interface PostMedia {
  type: string;
  url: string;
  alt: string;
}

export interface Post {
  id: number;
  event_id: number;
  source_id: number;
  platform: SourceKind;
  external_id: string;
  author_handle: string;
  author_name: string;
  /** Never loaded: koe's pages make no third-party requests. */
  author_avatar: string;
  text: string;
  lang: string;
  posted_at: string;
  url: string;
  media: PostMedia[] | null;
  status: ItemStatus;
  hidden: boolean;
  featured_at: string | null;
  reasons: ReviewReason[] | null;
  score: { score?: number; bad?: number } | null;
  engaged: string[] | null;
  version: number;
  created_at: string;
}

export interface PostList {
  posts: Post[];
  /** Where the "feed" topic stands, when the server gives it. */
  stream?: StreamPosition;
}

// Outbound webhooks (integration.go: Webhook, Delivery; docs/architecture.md "Integrations").

/** What a webhook subscribes to; review.* carry items only moderators see. */
export type WebhookEvent =
  | 'question.created' | 'question.approved' | 'question.answered' | 'question.updated' | 'reply.created'
  | 'talk.created' | 'talk.updated' | 'event.updated' | 'post.featured' | 'poll.opened' | 'poll.closed' | 'review.created' | 'review.decided';

/** How deliveries to a destination go. */
export interface IntegrationHealth {
  last_success_at: string | null;
  last_error: string;
  last_error_at: string | null;
  /** Deliveries waiting to be tried, or tried again. */
  backlog: number;
}

export interface Webhook {
  id: number;
  event_id: number;
  url: string;
  description: string;
  events: WebhookEvent[];
  enabled: boolean;
  /** Why koe switched it off itself (a day of failures); "" when it did not. */
  disabled_reason: string;
  health: IntegrationHealth;
  version: number;
  created_at: string;
  updated_at: string;
}

/** A webhook as made or renewed: with its signing secret ("whsec_…"), shown once. */
export interface CreatedWebhook extends Webhook {
  secret: string;
}

/** The body of POST webhooks and PATCH webhooks/{id} (PATCH: any of them). */
export interface WebhookInput {
  url?: string;
  description?: string;
  events?: WebhookEvent[];
  enabled?: boolean;
}

export type DeliveryState = 'pending' | 'delivered' | 'failed';

/** One attempt: status 0 when the destination gave no answer. */
export interface DeliveryAttempt {
  at: string;
  status: number;
  latency_ms: number;
  error: string;
  /** The start of the destination's answer. */
  response: string;
}

export interface Delivery {
  id: number;
  event_id: number;
  target: 'webhook' | string;
  target_id: number;
  /** The idempotency key, sent as X-Koe-Delivery with every attempt. */
  key: string;
  /** The webhook event, or "ping" for a test. */
  type: WebhookEvent | 'ping' | string;
  subject_id: number;
  payload: unknown;
  state: DeliveryState;
  attempts: number;
  last: DeliveryAttempt | null;
  next_at: string;
  created_at: string;
  delivered_at: string | null;
}

export interface DeliveryPage {
  deliveries: Delivery[];
  /** The before= of the next (older) page; null at the end. */
  next_before: number | null;
}

// Slack (integration.go: SlackConnection, SlackLink; docs/architecture.md "Slack").

/** An event's Slack connection. Credentials are never sent back: only whether each is set. */
export interface SlackConnection {
  event_id: number;
  enabled: boolean;
  /** Where the bot posts: a channel id (C0123ABCD) or #name. */
  channel: string;
  bot_token_set: boolean;
  signing_secret_set: boolean;
  webhook_url_set: boolean;
  /** Post items waiting for moderation, and flagged ones, with Approve / Reject / Ban buttons. */
  reviews: boolean;
  /** A summary when a talk's Q&A closes. */
  digest: boolean;
  health: IntegrationHealth;
  version: number;
  created_at: string;
  updated_at: string;
}

/** Credentials the operator set for the whole koe (KOE_SLACK_*): an event's empty one falls back to them. */
export interface SlackInstallation {
  bot_token_set: boolean;
  signing_secret_set: boolean;
}

/** GET /events/{id}/slack. */
export interface SlackSettings {
  connection: SlackConnection | null;
  /** What to paste as the Slack app's Interactivity Request URL. */
  interactivity_url: string;
  installation: SlackInstallation;
}

/** The body of PUT /events/{id}/slack: any of them; a credential sent as "" is cleared. */
export interface SlackInput {
  enabled?: boolean;
  channel?: string;
  bot_token?: string;
  signing_secret?: string;
  webhook_url?: string;
  reviews?: boolean;
  digest?: boolean;
}

/** A Slack user linked to a koe account (POST /slack/link). */
export interface SlackLink {
  team_id: string;
  user_id: string;
  account_id: number;
  created_at: string;
}

// Polls (F20; poll.go, act/polls.go; docs/architecture.md "Polls").

export type PollKind = 'choice' | 'rating' | 'words';
export type PollState = 'draft' | 'open' | 'closed';
/** live: the audience sees results as votes come in; hidden: once staff reveal them (staff always see them). */
export type PollResultsMode = 'live' | 'hidden';

export interface PollOption {
  /** "1"…"10": what votes and results name. */
  id: string;
  label: string;
}

/** A talk's poll. Stream messages poll.created / poll.updated / poll.deleted carry it (newer version wins). */
export interface Poll {
  id: number;
  event_id: number;
  talk_id: number;
  kind: PollKind;
  /** 1–200 characters. */
  question: string;
  /** A choice poll's 2–10 options; [] for rating and words. */
  options: PollOption[];
  /** A choice poll takes several answers. */
  multiple: boolean;
  results_mode: PollResultsMode;
  /** Staff showed hidden results to the audience. */
  revealed: boolean;
  /** At most one poll of a talk is open; opening one closes the other. Drafts are seen by staff only. */
  state: PollState;
  version: number;
  created_at: string;
  opened_at: string | null;
  closed_at: string | null;
}

/** One counted key: an option id, a rating "1"…"5", or a word. */
export interface PollCount {
  key: string;
  count: number;
}

/**
 * A poll's exact results; also the data of the ephemeral stream message
 * "poll.results" (published at most every 250 ms while votes come in; on
 * public streams only while results are visible). Keep one only if its
 * version is higher than the one held.
 */
export interface PollResults {
  poll_id: number;
  version: number;
  /** Participants whose vote counts. */
  voters: number;
  /** Choice: every option in order; rating: "1"…"5"; words: most counted first, at most 60. */
  counts: PollCount[];
}

/** A participant's vote. A word-cloud answer may be held for moderation (status pending) or refused (400 on PUT). */
export interface Vote {
  id: number;
  poll_id: number;
  /** What it counts: option ids, the rating, the words of the answer. */
  keys: string[];
  /** A word-cloud answer as written ("" otherwise). */
  text: string;
  status: ItemStatus;
  updated_at: string;
}

/** A poll as the caller sees it: results null while hidden from them, my_vote the caller's (participants). */
export interface PollView extends Poll {
  results: PollResults | null;
  my_vote: Vote | null;
}

/** The body of PUT …/polls/{id}/vote: options for choice, rating for rating, text (1–60 characters) for words. */
export interface Ballot {
  options?: string[];
  rating?: number;
  text?: string;
}

/** POST …/talks/{talk}/polls: a new draft. */
export interface NewPoll {
  kind: PollKind;
  question: string;
  /** choice only: 2–10 labels of 1–80 characters. */
  options?: string[];
  multiple?: boolean;
  results_mode?: PollResultsMode;
}

/** PATCH …/polls/{id}: question, options and multiple only while no vote counts (409 after). */
export interface PollPatch {
  question?: string;
  options?: string[];
  multiple?: boolean;
  results_mode?: PollResultsMode;
  revealed?: boolean;
  state?: 'open' | 'closed';
}

// Export (F22; act/export.go): GET /api/v1/events/{id}[/talks/{talk}]/export?format=…[&all=true].

/** csv: one row per question, UTF-8 with a BOM (Excel opens Japanese right); json: everything; md: for speakers (unanswered first, likes, replies, polls). */
export type ExportFormat = 'csv' | 'json' | 'md';

// Schedule (F21; act/schedule.go, act/import.go).

/** A talk as an imported schedule has it. */
export interface ImportedTalk {
  source_id: string;
  title: string;
  speaker: string;
  room: string;
  track: string;
  language: string;
  starts_at: string | null;
  ends_at: string | null;
}

/** What importing a schedule does (dry_run) or did (applied). */
export interface ImportPlan {
  format: 'pretalx' | 'sessionize';
  /** The schedule's own title, "" if none. */
  title: string;
  /** The zone times without a UTC offset were read in; "" when every time had one. */
  assumed_zone: string;
  added: ImportedTalk[];
  changed: { talk_id: number; fields: (keyof ImportedTalk)[]; talk: ImportedTalk }[];
  /** delete: it has no questions and goes; flag: it has questions, stays, and is marked removed_from_schedule. */
  removed: { talk_id: number; title: string; questions: number; action: 'delete' | 'flag' }[];
  unchanged: number;
  applied: boolean;
}

/** A schedule kept by URL and fetched again every refresh_minutes (0: never; else 5–1440). */
export interface ScheduleSource {
  event_id: number;
  url: string;
  refresh_minutes: number;
  checked_at: string | null;
  changed_at: string | null;
  /** Why the last fetch failed; "" when it did not. */
  error: string;
  created_at: string;
}

/** A room and the talk its screen shows now (server's clock). */
export interface Room {
  name: string;
  /** The talk on now (or the first, before the day starts); 0 when the room has no timed talk. */
  talk_id: number;
  /** The talk shown from switch_at; 0 for none. */
  next_talk_id: number;
  switch_at: string | null;
}

export interface RoomList {
  /** The server's time when it answered (for the client's clock offset). */
  now: string;
  rooms: Room[];
}

// Report (act/report.go): GET /api/v1/events/{id}/report, /api/v1/events/{id}/talks/{talk}/report.

/** A count in the interval that starts at `at` (interval_minutes long); intervals without any are left out. */
export interface Bucket {
  at: string;
  count: number;
}

export interface ReportQuestions {
  /** Every question, in any status. */
  total: number;
  /** Approved and not hidden. */
  shown: number;
  answered: number;
  likes: number;
  replies: number;
  /** Questions asked per interval. */
  asked: Bucket[];
}

export interface ReportConnections {
  /** The most connections at once (per-minute peaks, summed over talks for an event). */
  peak: number;
  peak_at: string | null;
  /** Per report interval: each the interval's highest minute. */
  series: Bucket[];
}

export interface ReportTalk {
  talk: Talk;
  questions: number;
  shown: number;
  answered: number;
  likes: number;
  replies: number;
  /** All reactions together. */
  reactions: number;
  peak_connections: number;
}

export interface EventReport {
  event_id: number;
  generated_at: string;
  time_zone: string;
  interval_minutes: number;
  participants: { total: number; joined: Bucket[] };
  questions: ReportQuestions;
  connections: ReportConnections;
  talks: ReportTalk[];
  /** The ten shown questions with the most likes. */
  top_questions: Question[];
  /** Reviews by outcome (moderation queue). */
  moderation: { pending: number; flagged: number; approved: number; rejected: number };
}

export interface TalkReport {
  event_id: number;
  talk: Talk;
  generated_at: string;
  time_zone: string;
  interval_minutes: number;
  questions: ReportQuestions;
  reactions: Record<string, number>;
  connections: ReportConnections;
  top_questions: Question[];
  polls: { poll: Poll; results: PollResults }[];
}
