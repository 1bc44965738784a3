// An event's Slack connection (docs/architecture.md "Slack"): the pure
// logic behind the Slack part of the Integrations page — where each
// credential comes from (the event's own, or the installation's), how koe
// will post (a bot with buttons, an incoming webhook without), the
// connection's state in one word, and the form's draft with the PUT it
// makes.
import type { SlackConnection, SlackInput, SlackInstallation } from '../types';
import { latestOutcome } from './webhooks';

/** The credentials a connection holds; only whether each is set ever comes back. */
export type Credential = 'bot_token' | 'signing_secret' | 'webhook_url';

export const credentials: Credential[] = ['bot_token', 'signing_secret', 'webhook_url'];

const setFlag = { bot_token: 'bot_token_set', signing_secret: 'signing_secret_set', webhook_url: 'webhook_url_set' } as const;

/**
 * Where koe takes a credential from: the event's own, else the
 * installation's (KOE_SLACK_BOT_TOKEN / KOE_SLACK_SIGNING_SECRET; there is
 * no installation-wide webhook URL), else nowhere.
 */
export function source(c: SlackConnection | null, inst: SlackInstallation | null | undefined, f: Credential): 'event' | 'installation' | 'none' {
  if (c?.[setFlag[f]]) return 'event';
  if (f === 'bot_token' && inst?.bot_token_set) return 'installation';
  if (f === 'signing_secret' && inst?.signing_secret_set) return 'installation';
  return 'none';
}

/**
 * How koe posts: through the bot (a token, the event's or the
 * installation's, and a channel: messages with buttons), through the
 * incoming webhook (notifications only), or not at all yet.
 */
export function postingMode(c: SlackConnection | null, inst: SlackInstallation | null | undefined): 'bot' | 'webhook' | 'none' {
  if (!c) return 'none';
  if (c.channel.trim() !== '' && source(c, inst, 'bot_token') !== 'none') return 'bot';
  if (c.webhook_url_set) return 'webhook';
  return 'none';
}

/** Whether koe can take button presses: it posts as the bot and can check Slack's signature. */
export function buttonsWork(c: SlackConnection | null, inst: SlackInstallation | null | undefined): boolean {
  return postingMode(c, inst) === 'bot' && source(c, inst, 'signing_secret') !== 'none';
}

/** The connection's state in one word, for its badge. */
export type SlackState = 'none' | 'off' | 'incomplete' | 'failing' | 'ok' | 'idle';

/**
 * none: no connection; off: switched off; incomplete: saved, but koe has
 * no way to post (no channel and bot token, no webhook URL); failing: the
 * latest attempt failed; ok: it succeeded; idle: nothing was sent yet.
 */
export function slackState(c: SlackConnection | null, inst: SlackInstallation | null | undefined): SlackState {
  if (!c) return 'none';
  if (!c.enabled) return 'off';
  if (postingMode(c, inst) === 'none') return 'incomplete';
  return latestOutcome(c.health);
}

/** The form's fields as typed; a credential left empty keeps the one that is set. */
export interface SlackDraft {
  channel: string;
  bot_token: string;
  signing_secret: string;
  webhook_url: string;
  reviews: boolean;
  digest: boolean;
}

/** The form for c; a new connection posts reviews and digests unless the owner unticks them. */
export function slackDraft(c: SlackConnection | null): SlackDraft {
  return { channel: c?.channel ?? '', bot_token: '', signing_secret: '', webhook_url: '', reviews: c ? c.reviews : true, digest: c ? c.digest : true };
}

/** Whether d is still the form of c, untouched (so a newer c may replace it). */
export function pristine(d: SlackDraft, c: SlackConnection | null): boolean {
  const p = slackDraft(c);
  return d.channel === p.channel && d.bot_token === '' && d.signing_secret === '' && d.webhook_url === '' && d.reviews === p.reviews && d.digest === p.digest;
}

/** A pasted credential: Slack's are one word, so the spaces around it are a copy's. */
export const cleanSecret = (s: string) => s.trim();

export type SlackProblems = {
  channel: '' | 'empty' | 'format';
  bot_token: '' | 'format';
  signing_secret: '' | 'format';
  webhook_url: '' | 'format';
};

/**
 * Why the draft cannot be sent, by field ("" for none); the server checks
 * again. A channel is needed unless koe posts through an incoming webhook.
 */
export function slackProblems(d: SlackDraft, c: SlackConnection | null): SlackProblems {
  const channel = d.channel.trim();
  const bot = cleanSecret(d.bot_token);
  const secret = cleanSecret(d.signing_secret);
  const hook = cleanSecret(d.webhook_url);
  const hasHook = hook !== '' || !!c?.webhook_url_set;
  let url: URL | null = null;
  try {
    url = new URL(hook);
  } catch {
    url = null;
  }
  return {
    // An id (C0123ABCD, G…, D…) as Slack shows it, or a #name.
    channel: channel === '' ? (hasHook ? '' : 'empty') : /^(#[^\s#]+|[A-Z][A-Z0-9]+)$/.test(channel) ? '' : 'format',
    // A bot token, or a rotating one (xoxe.xoxb-…); not a user's or an app-level token.
    bot_token: bot === '' || /^(xoxe\.)?xoxb-\S+$/.test(bot) ? '' : 'format',
    // One word, and not a token or a URL pasted into the wrong field.
    signing_secret: secret === '' || (!/\s/.test(secret) && !/^(xox|https?:)/i.test(secret)) ? '' : 'format',
    webhook_url: hook === '' || (url && (url.protocol === 'https:' || url.protocol === 'http:') && url.host && !/\s/.test(hook)) ? '' : 'format',
  };
}

export function hasProblem(p: SlackProblems): boolean {
  return Object.values(p).some((v) => v !== '');
}

/**
 * The PUT that makes the draft: everything for a new connection (switched
 * on), only what changed for an existing one, and a credential only when
 * one was typed (null when nothing changed).
 */
export function slackBody(d: SlackDraft, c: SlackConnection | null): SlackInput | null {
  const body: SlackInput = {};
  const channel = d.channel.trim();
  if (!c) {
    body.enabled = true;
    body.channel = channel;
    body.reviews = d.reviews;
    body.digest = d.digest;
  } else {
    if (channel !== c.channel) body.channel = channel;
    if (d.reviews !== c.reviews) body.reviews = d.reviews;
    if (d.digest !== c.digest) body.digest = d.digest;
  }
  for (const f of credentials) {
    const v = cleanSecret(d[f]);
    if (v !== '') body[f] = v;
  }
  return Object.keys(body).length ? body : null;
}

/**
 * A URL koe gave as a path when it does not know its public address
 * (no KOE_PUBLIC_URL), made absolute with the page's origin: Slack needs
 * the whole URL.
 */
export function absoluteURL(u: string, origin: string): string {
  if (!u) return '';
  try {
    return new URL(u, origin).href;
  } catch {
    return u;
  }
}
