// An event's outbound webhooks (docs/architecture.md "Integrations"): the
// pure logic behind the Integrations page — the events offered and which
// are private, a webhook's health in one word, the form's draft and the
// PATCH it makes, and the delivery log's pages merged as they are re-read.
import type { Delivery, DeliveryPage, DeliveryState, IntegrationHealth, Webhook, WebhookEvent, WebhookInput } from '../types';

/** Every event a webhook may take, in the order the form offers them (koe.WebhookEvents). */
export const webhookEvents: WebhookEvent[] = [
  'question.created', 'question.approved', 'question.answered', 'question.updated', 'reply.created',
  'talk.created', 'talk.updated', 'event.updated', 'post.featured', 'poll.opened', 'poll.closed', 'review.created', 'review.decided',
];

/**
 * What a new webhook takes unless the owner changes it: every question the
 * audience comes to see (shown at once, or approved) and its answering —
 * what a chat channel or a dashboard of the Q&A wants. Nothing private.
 */
export const defaultEvents: WebhookEvent[] = ['question.created', 'question.approved', 'question.answered'];

/** Events that carry items nobody but the moderators has seen yet. */
export function isPrivate(e: WebhookEvent | string): boolean {
  return e.startsWith('review.');
}

/** The events of a set in the form's order, unknown ones dropped. */
export function orderedEvents(chosen: Iterable<string>): WebhookEvent[] {
  const set = new Set(chosen);
  return webhookEvents.filter((e) => set.has(e));
}

/** A webhook's state in one word, for its badge. */
export type HookHealth = 'suspended' | 'off' | 'failing' | 'ok' | 'idle';

/**
 * suspended: koe switched it off after a day of failures; off: an owner
 * did; failing: its latest attempt failed (after any success); ok: its
 * latest attempt succeeded; idle: nothing was tried yet.
 */
export function hookHealth(w: Pick<Webhook, 'enabled' | 'disabled_reason' | 'health'>): HookHealth {
  if (w.disabled_reason) return 'suspended';
  if (!w.enabled) return 'off';
  return latestOutcome(w.health);
}

/** failing: the latest attempt failed (after any success); ok: it succeeded; idle: nothing was tried yet. */
export function latestOutcome(h: IntegrationHealth | undefined): 'failing' | 'ok' | 'idle' {
  const ok = h?.last_success_at ? Date.parse(h.last_success_at) : NaN;
  const bad = h?.last_error_at ? Date.parse(h.last_error_at) : NaN;
  if (!Number.isNaN(bad) && (Number.isNaN(ok) || bad > ok)) return 'failing';
  if (!Number.isNaN(ok)) return 'ok';
  return 'idle';
}

/** The form's fields as typed. */
export interface HookDraft {
  url: string;
  description: string;
  events: WebhookEvent[];
}

export function hookDraft(w?: Pick<Webhook, 'url' | 'description' | 'events'>): HookDraft {
  return w ? { url: w.url, description: w.description, events: orderedEvents(w.events) } : { url: '', description: '', events: [...defaultEvents] };
}

/** Why the draft cannot be sent, by field ("" for none); the server checks again. */
export function draftProblems(d: HookDraft): { url: '' | 'empty' | 'format'; events: '' | 'empty' } {
  const url = d.url.trim();
  let u: URL | null = null;
  try {
    u = new URL(url);
  } catch {
    u = null;
  }
  return {
    url: url === '' ? 'empty' : !u || (u.protocol !== 'http:' && u.protocol !== 'https:') || !u.host || u.hash !== '' ? 'format' : '',
    events: d.events.length === 0 ? 'empty' : '',
  };
}

/**
 * The body that makes the draft: all of it for a new webhook, only what
 * changed for an existing one (null when nothing did).
 */
export function hookBody(d: HookDraft, w?: Pick<Webhook, 'url' | 'description' | 'events'>): WebhookInput | null {
  const url = d.url.trim();
  const description = d.description.trim();
  const events = orderedEvents(d.events);
  if (!w) return { url, description, events, enabled: true };
  const body: WebhookInput = {};
  if (url !== w.url) body.url = url;
  if (description !== w.description) body.description = description;
  if (events.join() !== orderedEvents(w.events).join()) body.events = events;
  return Object.keys(body).length ? body : null;
}

/**
 * The list as read again, except where the page holds a newer version
 * (an action's answer that the read, begun before it, did not see yet).
 */
export function mergeHooks<T extends { id: number; version: number }>(current: T[] | null, fresh: T[]): T[] {
  const mine = new Map((current ?? []).map((w) => [w.id, w]));
  return fresh.map((w) => {
    const c = mine.get(w.id);
    return c && c.version > w.version ? c : w;
  });
}

/** A webhook as the page keeps it: its secret is shown once, not kept. */
export function withoutSecret(w: Webhook & { secret?: string }): Webhook {
  const copy = { ...w };
  delete copy.secret;
  return copy;
}

/** Replaces a webhook in a list by id (keeping its place), or adds it at the end. */
export function putHook<T extends { id: number }>(list: T[], w: T): T[] {
  return list.some((x) => x.id === w.id) ? list.map((x) => (x.id === w.id ? w : x)) : [...list, w];
}

/** The deliveries loaded so far, newest first, and the cursor of the next older page. */
export interface DeliveryLog {
  items: Delivery[];
  next: number | null;
}

export const emptyLog: DeliveryLog = { items: [], next: null };

const newestFirst = (a: Delivery, b: Delivery) => b.id - a.id;

/**
 * The newest page read again: it replaces what it covers (deliveries
 * change state, and may leave the filter), the older pages loaded
 * below it stay, and so does the cursor past them.
 */
export function withFirstPage(log: DeliveryLog, page: DeliveryPage): DeliveryLog {
  const fresh = [...(page.deliveries ?? [])].sort(newestFirst);
  if (page.next_before === null || fresh.length === 0) return { items: fresh, next: page.next_before ?? null };
  const oldest = fresh[fresh.length - 1].id;
  const below = log.items.filter((d) => d.id < oldest);
  return { items: [...fresh, ...below], next: below.length ? log.next : page.next_before };
}

/** An older page appended (a delivery already there is not repeated). */
export function withOlderPage(log: DeliveryLog, page: DeliveryPage): DeliveryLog {
  const seen = new Set(log.items.map((d) => d.id));
  const older = (page.deliveries ?? []).filter((d) => !seen.has(d.id));
  return { items: [...log.items, ...older].sort(newestFirst), next: page.next_before ?? null };
}

/** One delivery as an action returned it (a redelivery, a ping): replaced, or added in its place. */
export function withDelivery(log: DeliveryLog, d: Delivery, filter: DeliveryState | ''): DeliveryLog {
  if (log.items.some((x) => x.id === d.id)) return { ...log, items: log.items.map((x) => (x.id === d.id ? d : x)) };
  if (filter && d.state !== filter) return log;
  return { ...log, items: [d, ...log.items].sort(newestFirst) };
}

/** Failed and delivered ones can be sent again; a pending one is on its way. */
export function mayRedeliver(d: Pick<Delivery, 'state'>): boolean {
  return d.state === 'failed' || d.state === 'delivered';
}

/** A delivery's time in the log: its latest attempt's, else when it was made. */
export function deliveryTime(d: Pick<Delivery, 'last' | 'created_at'>): string {
  return d.last?.at ?? d.created_at;
}

/** Latency as people read it: "38 ms", "1.2 s". */
export function latencyText(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
}

/** A payload for reading: indented JSON (a string that is not JSON stays as it is). */
export function prettyJSON(v: unknown): string {
  if (typeof v === 'string') {
    try {
      return JSON.stringify(JSON.parse(v), null, 2);
    } catch {
      return v;
    }
  }
  try {
    return JSON.stringify(v, null, 2) ?? '';
  } catch {
    return String(v);
  }
}

/** A URL without its scheme, for a heading or a question: "hooks.example.com/koe". */
export function shortURL(raw: string): string {
  try {
    const u = new URL(raw);
    return `${u.host}${u.pathname === '/' ? '' : u.pathname}${u.search}`;
  } catch {
    return raw;
  }
}
