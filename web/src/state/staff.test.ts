import { describe, expect, it } from 'vitest';
import type { AuditEntry, Whoami } from '../types';
import {
  actorName, caps, changes, expiresAt, invitationLink, localReturn, localToISO, meRole, pending, roleIn, secretFromHash,
  signInError, via, visibleTalks, waitSeconds,
} from './staff';

const who = (over: Partial<Whoami>): Whoami => ({ account: null, admin: false, via: 'session', events: {}, ...over });

describe('roles', () => {
  it('grants what act/permission.go grants', () => {
    expect(caps('owner')).toEqual({ manage: true, staff: true, audit: true, moderate: true, present: true });
    expect(caps('moderator')).toEqual({ manage: false, staff: false, audit: false, moderate: true, present: true });
    expect(caps('presenter')).toEqual({ manage: false, staff: false, audit: false, moderate: false, present: true });
    expect(caps(null)).toEqual({ manage: false, staff: false, audit: false, moderate: false, present: false });
  });
  it('an admin is owner of every event; others hold what whoami lists', () => {
    expect(roleIn(who({ admin: true }), 9)).toBe('owner');
    expect(roleIn(who({ events: { '3': 'moderator' } }), 3)).toBe('moderator');
    expect(roleIn(who({ events: { '3': 'moderator' } }), 4)).toBeNull();
    expect(roleIn(null, 3)).toBeNull();
  });
  it('reads the role and a presenter\'s talks from /me', () => {
    expect(meRole({ role: 'staff', staff_role: 'presenter', talks: [2, 5], participant: null })).toEqual({ role: 'presenter', talks: [2, 5] });
    expect(meRole({ role: 'staff', staff_role: 'presenter', participant: null })).toEqual({ role: 'presenter', talks: [] });
    expect(meRole({ role: 'staff', staff_role: 'moderator', talks: [1], participant: null })).toEqual({ role: 'moderator', talks: [] });
    expect(meRole({ role: 'participant', participant: null })).toEqual({ role: null, talks: [] });
  });
  it('a limited presenter sees only its talks', () => {
    const talks = [{ id: 1 }, { id: 2 }, { id: 3 }];
    expect(visibleTalks(talks, [])).toEqual(talks);
    expect(visibleTalks(talks, [3, 1])).toEqual([{ id: 1 }, { id: 3 }]);
  });
});

describe('links and secrets', () => {
  it('keeps the secret in the fragment', () => {
    expect(invitationLink('https://koe.example', 'koe_i_abc')).toBe('https://koe.example/invite#koe_i_abc');
    expect(secretFromHash('#koe_i_abc')).toBe('koe_i_abc');
    expect(secretFromHash('#koe_i_a%2Bb')).toBe('koe_i_a+b');
    expect(secretFromHash('#%E0%A4%A')).toBe('%E0%A4%A');
    expect(secretFromHash('')).toBe('');
    expect(secretFromHash('#')).toBe('');
  });
  it('returns only to a local path', () => {
    expect(localReturn('/admin/e/1')).toBe('/admin/e/1');
    expect(localReturn('//evil.example/')).toBe('/admin');
    expect(localReturn('/\\evil.example')).toBe('/admin');
    expect(localReturn('https://evil.example/')).toBe('/admin');
  });
  it('maps the OpenID callback failures, unknown ones to oidc_failed', () => {
    expect(signInError('?signin_error=oidc_denied')).toBe('oidc_denied');
    expect(signInError('?signin_error=oidc_not_allowed')).toBe('oidc_not_allowed');
    expect(signInError('?signin_error=oidc_disabled')).toBe('oidc_disabled');
    expect(signInError('?signin_error=<script>')).toBe('oidc_failed');
    expect(signInError('?x=1')).toBeNull();
  });
});

describe('times', () => {
  const now = Date.parse('2026-06-01T00:00:00Z');
  it('token expiry in days, or none', () => {
    expect(expiresAt(30, now)).toBe('2026-07-01T00:00:00.000Z');
    expect(expiresAt(0, now)).toBeNull();
  });
  it('an invitation is pending until used or expired', () => {
    expect(pending({ used_at: null, expires_at: '2026-06-02T00:00:00Z' }, now)).toBe(true);
    expect(pending({ used_at: '2026-05-31T00:00:00Z', expires_at: '2026-06-02T00:00:00Z' }, now)).toBe(false);
    expect(pending({ used_at: null, expires_at: '2026-05-31T00:00:00Z' }, now)).toBe(false);
  });
  it('waits at least a second', () => {
    expect(waitSeconds(0)).toBe(1);
    expect(waitSeconds(7.2)).toBe(8);
  });
  it('datetime-local to RFC 3339 without milliseconds', () => {
    expect(localToISO('')).toBe('');
    expect(localToISO('nonsense')).toBe('');
    expect(localToISO('2026-06-01T09:30')).toMatch(/^2026-0[56]-\d\dT\d\d:30:00Z$/);
  });
});

describe('audit entries', () => {
  const entry = (over: Partial<AuditEntry>): AuditEntry => ({
    id: '1', at: '2026-06-01T00:00:00Z', type: 'event.updated', event_id: 1, talk_id: 0,
    actor: { kind: 'staff', account_id: 2, login: 'aiko', display_name: 'Aiko', via: 'session', addr: '127.0.0.1' },
    before: null, after: null, ...over,
  });
  it('an update lists the fields that changed, nested ones by path, not the version', () => {
    const before = { id: 1, title: 'Old', version: 1, updated_at: 'a', settings: { participant_replies: false }, slug: 'x' };
    const after = { id: 1, title: 'New', version: 2, updated_at: 'b', settings: { participant_replies: true }, slug: 'x' };
    expect(changes(before, after)).toEqual([
      { field: 'title', before: 'Old', after: 'New' },
      { field: 'settings.participant_replies', before: 'false', after: 'true' },
    ]);
  });
  it('a created record shows its telling fields; a removed one what it was', () => {
    expect(changes(null, { id: 4, role: 'moderator', talks: [1, 2], account_id: 3 })).toEqual([
      { field: 'role', before: '', after: 'moderator' },
      { field: 'talks', before: '', after: '1, 2' },
    ]);
    expect(changes({ id: 4, role: 'owner' }, null)).toEqual([{ field: 'role', before: 'owner', after: '' }]);
    expect(changes(null, { title: 'Talk', speaker: '', talks: [] })).toEqual([{ field: 'title', before: '', after: 'Talk' }]);
  });
  it('clips long values', () => {
    const [c] = changes({ body: 'a' }, { body: 'あ'.repeat(200) });
    expect([...c.after].length).toBe(80);
    expect(c.after.endsWith('…')).toBe(true);
  });
  it('says who acted and how', () => {
    expect(actorName(entry({}))).toEqual({ name: 'Aiko', login: 'aiko' });
    expect(actorName(entry({ actor: { kind: 'staff', account_id: 0, login: '', display_name: '', via: 'owner_token', addr: '' } }))).toBe('owner_token');
    expect(actorName(entry({ actor: { kind: 'system', account_id: 0, login: '', display_name: '', via: '', addr: '' } }))).toBe('system');
    expect(via(entry({}))).toBe('session');
    expect(via(entry({ actor: { kind: 'staff', account_id: 2, login: 'a', display_name: 'A', via: 'api_token', addr: '' } }))).toBe('api_token');
    expect(via(entry({ actor: { kind: 'system', account_id: 0, login: '', display_name: '', via: '', addr: '' } }))).toBe('system');
    expect(via(entry({ actor: { kind: 'staff', account_id: 2, login: 'a', display_name: 'A', via: 'weird', addr: '' } }))).toBe('other');
  });
});
