// What staff may see and do, and how the audit log reads: the pure logic
// behind the staff pages. The server decides (act/permission.go); the UI
// only hides what the server would refuse.
import type { AuditEntry, EventRole, Me, Talk, Whoami } from '../types';

/** The capabilities of a role in an event, as act/permission.go grants them. */
export interface Caps {
  /** Change the event and its talks, open and close Q&A. */
  manage: boolean;
  /** The staff page: roles, invitations. */
  staff: boolean;
  /** Read and export the event's audit log. */
  audit: boolean;
  /** Hide and show questions, fix their text. */
  moderate: boolean;
  /** Highlight on the screen, mark answered (a presenter: in its talks). */
  present: boolean;
}

const none: Caps = { manage: false, staff: false, audit: false, moderate: false, present: false };

export function caps(role: EventRole | null | undefined): Caps {
  switch (role) {
    case 'owner':
      return { manage: true, staff: true, audit: true, moderate: true, present: true };
    case 'moderator':
      return { ...none, moderate: true, present: true };
    case 'presenter':
      return { ...none, present: true };
  }
  return none;
}

/** The role the signed-in staff holds in the event (an admin: owner). */
export function roleIn(who: Whoami | null, eventID: number): EventRole | null {
  if (!who) return null;
  if (who.admin) return 'owner';
  return who.events[String(eventID)] ?? null;
}

/** The role and talk limit that /events/{id}/me reports. */
export function meRole(me: Me | null): { role: EventRole | null; talks: number[] } {
  if (!me || me.role !== 'staff' || !me.staff_role) return { role: null, talks: [] };
  return { role: me.staff_role, talks: me.staff_role === 'presenter' ? me.talks ?? [] : [] };
}

/** The talks a member of staff works on: a limited presenter, only its own. */
export function visibleTalks<T extends Pick<Talk, 'id'>>(talks: T[], limit: number[]): T[] {
  if (limit.length === 0) return talks;
  const set = new Set(limit);
  return talks.filter((t) => set.has(t.id));
}

/** The link an invitation's secret is shared as; the secret stays in the fragment. */
export function invitationLink(origin: string, token: string): string {
  return `${origin}/invite#${token}`;
}

/**
 * Reads a secret from a link's fragment ("#koe_i_…"), decoding it; "" when
 * there is none.
 */
export function secretFromHash(hash: string): string {
  const raw = hash.replace(/^#/, '').trim();
  if (!raw) return '';
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

/** Invitation lifetimes offered, in hours (the API's default is a week). */
export const invitationHours = [24, 72, 168, 720] as const;

/** API token lifetimes offered, in days; 0 for none. */
export const tokenDays = [30, 90, 365, 0] as const;

/** expires_at for a token that lasts days from now; null for none. */
export function expiresAt(days: number, now: number): string | null {
  return days > 0 ? new Date(now + days * 86_400_000).toISOString() : null;
}

/** Whether an invitation still waits to be used. */
export function pending(inv: { used_at: string | null; expires_at: string }, now: number): boolean {
  return inv.used_at === null && Date.parse(inv.expires_at) > now;
}

/** Seconds to wait, from a 429's Retry-After, as a whole number ≥ 1. */
export function waitSeconds(retryAfter: number): number {
  return Math.max(1, Math.ceil(retryAfter || 1));
}

/** The failures the OpenID callback sends back as ?signin_error=. */
export type SignInError = 'oidc_denied' | 'oidc_not_allowed' | 'oidc_disabled' | 'oidc_failed';

export function signInError(search: string): SignInError | null {
  const v = new URLSearchParams(search).get('signin_error');
  return v === 'oidc_denied' || v === 'oidc_not_allowed' || v === 'oidc_disabled' || v === 'oidc_failed'
    ? v
    : v
      ? 'oidc_failed'
      : null;
}

/** A local path to come back to after a sign-in elsewhere: never another site. */
export function localReturn(path: string): string {
  return /^\/(?!\/)[^\\]*$/.test(path) ? path : '/admin';
}

// The audit log.

/** Fields every record has that say nothing about the change. */
const noise = new Set(['version', 'updated_at', 'created_at', 'last_seen_at', 'last_used_at']);

export interface FieldChange {
  field: string;
  before: string;
  after: string;
}

function show(v: unknown, max = 80): string {
  let s: string;
  if (v === null || v === undefined) s = '';
  else if (typeof v === 'string') s = v;
  else if (Array.isArray(v)) s = v.map((x) => show(x, max)).join(', ');
  else if (typeof v === 'object') s = JSON.stringify(v);
  else s = String(v);
  return [...s].length > max ? `${[...s].slice(0, max - 1).join('')}…` : s;
}

function record(v: unknown): Record<string, unknown> | null {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
}

/** Flattens nested objects one level ("settings.participant_replies"). */
function flat(r: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(r)) {
    const inner = record(v);
    if (inner) for (const [k2, v2] of Object.entries(inner)) out[`${k}.${k2}`] = v2;
    else out[k] = v;
  }
  return out;
}

/**
 * What a change changed: for an update, each field whose value differs
 * (before → after); for a record created or removed, its telling fields.
 */
export function changes(before: unknown, after: unknown): FieldChange[] {
  const b = record(before) && flat(record(before)!);
  const a = record(after) && flat(record(after)!);
  const keys = [...new Set([...Object.keys(b ?? {}), ...Object.keys(a ?? {})])].filter((k) => !noise.has(k));
  const out: FieldChange[] = [];
  for (const k of keys) {
    const bv = b ? show(b[k]) : '';
    const av = a ? show(a[k]) : '';
    if (b && a && JSON.stringify(b[k]) === JSON.stringify(a[k])) continue;
    if ((!b || !a) && (!telling.has(k) || (bv === '' && av === ''))) continue;
    out.push({ field: k, before: bv, after: av });
  }
  return out;
}

/** The fields shown for a record created or removed. */
const telling = new Set(['title', 'body', 'name', 'login', 'display_name', 'role', 'talks', 'roles', 'method', 'speaker', 'hidden', 'answered', 'admin']);

export type Via = 'session' | 'api_token' | 'owner_token' | 'system' | 'other';

/** How the actor acted. */
export function via(e: AuditEntry): Via {
  if (e.actor.kind === 'system') return 'system';
  if (e.actor.via === 'session' || e.actor.via === 'api_token' || e.actor.via === 'owner_token') return e.actor.via;
  return 'other';
}

/** The actor's name: display name and login, or the owner token, or koe. */
export function actorName(e: AuditEntry): { name: string; login: string } | 'owner_token' | 'system' {
  if (e.actor.kind === 'system') return 'system';
  if (e.actor.account_id === 0) return 'owner_token';
  return { name: e.actor.display_name || e.actor.login || `#${e.actor.account_id}`, login: e.actor.login };
}

/** The audit types the filter offers, as prefixes. */
export const auditTypes = ['event.', 'talk.', 'question.', 'reply.', 'review.', 'moderation.', 'ban.', 'staff.', 'invitation.', 'account.', 'token.', 'session.'] as const;

/** A datetime-local value (the browser's time zone) → RFC 3339; "" → "". */
export function localToISO(v: string): string {
  if (!v) return '';
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? '' : d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
