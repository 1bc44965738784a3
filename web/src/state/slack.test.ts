import { describe, expect, it } from 'vitest';
import type { SlackConnection, SlackInstallation } from '../types';
import { absoluteURL, buttonsWork, hasProblem, postingMode, pristine, slackBody, slackDraft, slackProblems, slackState, source } from './slack';

function conn(over: Partial<SlackConnection> = {}): SlackConnection {
  return {
    event_id: 1, enabled: true, channel: 'C0KOE', bot_token_set: true, signing_secret_set: true, webhook_url_set: false, reviews: true, digest: false,
    health: { last_success_at: null, last_error: '', last_error_at: null, backlog: 0 }, version: 3,
    created_at: '2026-01-01T10:00:00Z', updated_at: '2026-01-01T10:00:00Z', ...over,
  };
}
const none: SlackInstallation = { bot_token_set: false, signing_secret_set: false };
const both: SlackInstallation = { bot_token_set: true, signing_secret_set: true };

describe('where credentials come from', () => {
  it('takes the event’s, else the installation’s bot token and signing secret; a webhook URL is the event’s only', () => {
    expect(source(conn(), none, 'bot_token')).toBe('event');
    expect(source(conn({ bot_token_set: false }), both, 'bot_token')).toBe('installation');
    expect(source(conn({ bot_token_set: false }), none, 'bot_token')).toBe('none');
    expect(source(null, both, 'signing_secret')).toBe('installation');
    expect(source(conn({ signing_secret_set: false }), { bot_token_set: true, signing_secret_set: false }, 'signing_secret')).toBe('none');
    expect(source(null, both, 'webhook_url')).toBe('none');
    expect(source(conn({ webhook_url_set: true }), none, 'webhook_url')).toBe('event');
  });
});

describe('how koe posts', () => {
  it('through the bot with a token and a channel, else the incoming webhook, else not at all', () => {
    expect(postingMode(null, both)).toBe('none');
    expect(postingMode(conn(), none)).toBe('bot');
    expect(postingMode(conn({ bot_token_set: false }), both)).toBe('bot');
    expect(postingMode(conn({ channel: '' }), none)).toBe('none');
    expect(postingMode(conn({ channel: '', webhook_url_set: true }), none)).toBe('webhook');
    expect(postingMode(conn({ bot_token_set: false, webhook_url_set: true }), none)).toBe('webhook');
  });

  it('takes button presses only as a bot that can check signatures', () => {
    expect(buttonsWork(conn(), none)).toBe(true);
    expect(buttonsWork(conn({ signing_secret_set: false }), none)).toBe(false);
    expect(buttonsWork(conn({ signing_secret_set: false }), both)).toBe(true);
    expect(buttonsWork(conn({ bot_token_set: false, webhook_url_set: true }), none)).toBe(false);
  });
});

describe('state in one word', () => {
  const h = (over: Partial<SlackConnection['health']>) => ({ last_success_at: null, last_error: '', last_error_at: null, backlog: 0, ...over });
  it('says none, off, incomplete, failing, ok and idle', () => {
    expect(slackState(null, both)).toBe('none');
    expect(slackState(conn({ enabled: false }), none)).toBe('off');
    expect(slackState(conn({ bot_token_set: false }), none)).toBe('incomplete');
    expect(slackState(conn(), none)).toBe('idle');
    expect(slackState(conn({ health: h({ last_success_at: '2026-01-01T10:00:00Z' }) }), none)).toBe('ok');
    expect(slackState(conn({ health: h({ last_error_at: '2026-01-01T10:00:00Z', last_error: 'channel_not_found' }) }), none)).toBe('failing');
    expect(slackState(conn({ health: h({ last_success_at: '2026-01-01T10:00:01Z', last_error_at: '2026-01-01T10:00:00Z' }) }), none)).toBe('ok');
    expect(slackState(conn({ health: h({ last_success_at: '2026-01-01T10:00:00Z', last_error_at: '2026-01-01T10:00:01Z' }) }), none)).toBe('failing');
  });
});

describe('the form', () => {
  it('starts from the connection, credentials empty; a new one takes reviews and digests', () => {
    expect(slackDraft(null)).toEqual({ channel: '', bot_token: '', signing_secret: '', webhook_url: '', reviews: true, digest: true });
    expect(slackDraft(conn())).toEqual({ channel: 'C0KOE', bot_token: '', signing_secret: '', webhook_url: '', reviews: true, digest: false });
    expect(pristine(slackDraft(conn()), conn())).toBe(true);
    expect(pristine({ ...slackDraft(conn()), bot_token: 'x' }, conn())).toBe(false);
    expect(pristine({ ...slackDraft(conn()), digest: true }, conn())).toBe(false);
  });

  it('checks the channel, the token, the secret and the URL before koe does', () => {
    const d = { ...slackDraft(null) };
    expect(slackProblems(d, null).channel).toBe('empty');
    expect(slackProblems({ ...d, webhook_url: 'https://hooks.slack.com/services/T/B/x' }, null).channel).toBe('');
    expect(slackProblems(d, conn({ webhook_url_set: true })).channel).toBe('');
    for (const ok of ['C0123ABCD', 'G0KOE', '#qa-mods', '#質問']) expect(slackProblems({ ...d, channel: ok }, null).channel).toBe('');
    for (const bad of ['qa mods', 'general', '#', '#a b', 'https://x.slack.com/archives/C0123']) expect(slackProblems({ ...d, channel: bad }, null).channel).toBe('format');
    expect(slackProblems({ ...d, channel: ' C0KOE ' }, null).channel).toBe('');

    for (const ok of ['xoxb-1-2-abc', ' xoxb-1-2-abc\n', 'xoxe.xoxb-1-abc']) expect(slackProblems({ ...d, bot_token: ok }, null).bot_token).toBe('');
    for (const bad of ['xoxp-1-2', 'xapp-1-2', 'abc', 'xoxb-a b']) expect(slackProblems({ ...d, bot_token: bad }, null).bot_token).toBe('format');

    expect(slackProblems({ ...d, signing_secret: '8f742231b10e8888abcd99yyyzzz85a5' }, null).signing_secret).toBe('');
    for (const bad of ['xoxb-1-2', 'https://hooks.slack.com/x', 'two words']) expect(slackProblems({ ...d, signing_secret: bad }, null).signing_secret).toBe('format');

    for (const bad of ['hooks.slack.com/services/x', 'ftp://hooks.slack.com/x', 'https://']) expect(slackProblems({ ...d, webhook_url: bad }, null).webhook_url).toBe('format');
    expect(hasProblem(slackProblems({ ...d, channel: 'C0KOE' }, null))).toBe(false);
    expect(hasProblem(slackProblems({ ...d, channel: 'C0KOE', bot_token: 'nope' }, null))).toBe(true);
  });

  it('creates a connection switched on with all its fields, credentials only as typed', () => {
    expect(slackBody({ ...slackDraft(null), channel: ' C0KOE ', bot_token: ' xoxb-test ', signing_secret: 'sec', reviews: true, digest: false }, null)).toEqual({
      enabled: true, channel: 'C0KOE', reviews: true, digest: false, bot_token: 'xoxb-test', signing_secret: 'sec',
    });
  });

  it('changes only what changed, keeps credentials left empty, and says when nothing did', () => {
    const c = conn();
    expect(slackBody(slackDraft(c), c)).toBeNull();
    expect(slackBody({ ...slackDraft(c), bot_token: '   ' }, c)).toBeNull();
    expect(slackBody({ ...slackDraft(c), channel: '#qa' }, c)).toEqual({ channel: '#qa' });
    expect(slackBody({ ...slackDraft(c), digest: true, webhook_url: 'https://hooks.slack.com/services/T/B/x' }, c)).toEqual({
      digest: true, webhook_url: 'https://hooks.slack.com/services/T/B/x',
    });
    expect(slackBody({ ...slackDraft(c), reviews: false }, c)).toEqual({ reviews: false });
  });
});

describe('the interactivity URL', () => {
  it('is made absolute with the page’s origin when koe gives a path, and kept when it is whole', () => {
    expect(absoluteURL('/api/v1/slack/interactions', 'https://koe.example.org')).toBe('https://koe.example.org/api/v1/slack/interactions');
    expect(absoluteURL('https://qa.example.org/api/v1/slack/interactions', 'http://127.0.0.1:8080')).toBe('https://qa.example.org/api/v1/slack/interactions');
    expect(absoluteURL('', 'https://koe.example.org')).toBe('');
  });
});
