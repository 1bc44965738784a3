// One place that turns API errors into words for people.
import { ApiError, NETWORK } from '../api';
import { t } from '../i18n';
import { maxQuestion } from '../state/text';

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
    case 'passcode_required':
      return t('errPasscode');
    case 'invalid_argument':
      if (/at most \d+ characters/.test(msg) && /^body/.test(msg)) return t('errTooLong', { max: maxQuestion });
      if (/must not be empty/.test(msg) && /^body/.test(msg)) return t('errEmpty');
      return t('errInvalid', { msg });
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
