// Test data builders (used by the *.test.ts files only).
import type { Question, StreamEvent, Talk } from '../types';

export function question(id: number, over: Partial<Question> = {}): Question {
  return {
    id, event_id: 1, talk_id: 1, author_name: '', body: `question ${id}`, likes: 0, answered: false, answered_at: null,
    hidden: false, reply_count: 0, version: 1, created_at: new Date(Date.UTC(2026, 0, 1, 10, id)).toISOString(),
    updated_at: '2026-01-01T10:00:00Z', mine: false, liked_by_me: false, ...over,
  };
}

export function talk(over: Partial<Talk> = {}): Talk {
  return {
    id: 1, event_id: 1, title: 'Talk', speaker: '', track: '', starts_at: null, ends_at: null, qa_open: true,
    highlighted_question_id: 0, version: 1, created_at: '2026-01-01T00:00:00Z', updated_at: '2026-01-01T00:00:00Z', ...over,
  };
}

let seq = 0;
export function ev(type: string, data: unknown): StreamEvent {
  return { seq: ++seq, type, time: '2026-01-01T10:00:00Z', data };
}
