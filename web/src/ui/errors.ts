// One place that turns API errors into words for people.
import { ApiError, NETWORK } from '../api';
import { t, type Key } from '../i18n';
import { maxQuestion } from '../state/text';
import { toast } from './toast';

export function errorText(err: unknown): string {
  if (!(err instanceof ApiError)) return t('errInternal');
  const msg = err.message;
  switch (err.code) {
    case NETWORK:
      return t('errNetwork');
    case 'rate_limited':
      return t('errRateLimited', { s: Math.max(1, err.retryAfter || 10) });
    case 'qa_closed':
      return t('errQAClosed');
    case 'banned':
      return t('errBanned');
    case 'duplicate':
      return t('errDuplicate');
    case 'passcode_required':
      return t('errPasscode');
    case 'invalid_argument':
      return invalidText(err);
    case 'unauthorized':
      return t('errUnauthorized');
    case 'forbidden':
      return t('errForbidden', { msg });
    case 'not_found':
      return t('errNotFound');
    case 'conflict':
      return t('errConflict', { msg });
    case 'too_large':
      return t('errTooLarge');
    case 'unavailable':
      return t('errUnavailable');
  }
  return err.status >= 500 ? t('errInternal') : msg || t('errInternal');
}

const fieldKeys: Record<string, Key> = {
  body: 'fieldBody',
  display_name: 'fieldName',
  author_name: 'fieldName',
  name: 'fieldName',
  title: 'fieldTitle',
  speaker: 'fieldSpeaker',
  track: 'fieldTrack',
  slug: 'fieldSlug',
  time_zone: 'fieldTimeZone',
  passcode: 'fieldPasscode',
  login: 'fieldLogin',
  code: 'fieldCode',
  kind: 'fieldKind',
  // Polls (their answers' field is text).
  question: 'pollAdminFieldQuestion',
  options: 'pollAdminFieldOptions',
  results_mode: 'fieldResultsMode',
  text: 'pollAnswerLabel',
};

/**
 * Fields whose "format" refusals say what only the server's message names
 * (a poll's option given twice, the number of options it wants).
 */
const toldByMessage = new Set(['options']);

const reasonKeys: Record<string, Key> = {
  invalid_utf8: 'errInvalidUTF8',
  control_character: 'errControlChar',
  direction_control: 'errDirectionChar',
  too_many_marks: 'errTooManyMarks',
  no_visible_characters: 'errNoVisible',
  empty: 'errFieldEmpty',
  too_short: 'errFieldTooShort',
  too_long: 'errFieldTooLong',
  multiline: 'errMultiline',
  format: 'errFormat',
};

/**
 * A rejected value, in the user's language, from the error's details
 * (field, reason, limit); the server's English message is shown only for
 * an error that has none, or whose details cannot say it (toldByMessage).
 */
function invalidText(err: ApiError): string {
  const { field = '', reason = '', limit = 0 } = err.details;
  if (field === 'body' && reason === 'too_long') return t('errTooLong', { max: limit || maxQuestion });
  if (field === 'body' && reason === 'empty') return t('errEmpty');
  if (field === 'slug' && reason === 'format') return t('errSlugFormat');
  if (reason === 'order') return t('errOrder');
  if (reason === 'json') return t('errRequest');
  if (reason === 'format' && toldByMessage.has(field) && err.message) return t('pollAdminInvalid', { f: t(fieldKeys[field]), msg: err.message });
  const key = reasonKeys[reason];
  if (!key) return err.message ? t('errInvalid', { msg: err.message }) : t('errInvalidPlain');
  return t(key, { f: t(fieldKeys[field] ?? 'fieldOther'), limit });
}

/** Runs an action for a button: done, or its error, goes to the live region. */
export async function run<T>(fn: () => Promise<T>, done?: string): Promise<T | undefined> {
  try {
    const r = await fn();
    if (done) toast(done);
    return r;
  } catch (e) {
    toast(errorText(e), 'error');
    return undefined;
  }
}
