// Shapes of koe's API (api/*.go and the domain types are the truth).

export interface EventSettings {
  participant_replies: boolean;
}

export interface KoeEvent {
  id: number;
  slug: string;
  title: string;
  join_code: string;
  time_zone: string;
  starts_at: string | null;
  ends_at: string | null;
  settings: EventSettings;
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
  starts_at: string | null;
  ends_at: string | null;
  qa_open: boolean;
  /** 0 when nothing is highlighted. */
  highlighted_question_id: number;
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
