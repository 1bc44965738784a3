// A Slack link (/slack/link#TOKEN): koe answered a moderator's first
// button press in Slack with it. Confirmed here by a signed-in staff
// account, it links their Slack user to that account, so that their
// presses act as them (docs/architecture.md "Slack"). The token is read
// from the fragment, which the browser never sends (so no log holds it),
// and kept for this tab while the moderator signs in.
import { useState } from 'preact/hooks';
import { ApiError, api } from '../api';
import { t, useLocale } from '../i18n';
import { Header, Notice, Spinner } from '../ui/chrome';
import { errorText } from '../ui/errors';
import { useTitle } from '../ui/hooks';
import { SignIn } from '../ui/signin';
import { SignOutButton, StaffTools, whoName } from '../ui/staff';
import { toast } from '../ui/toast';
import { refreshWhoami, useWhoami } from '../ui/whoami';
import { forgetSecret, takeSecret } from './Setup';
import '../styles/admin.css';

const key = 'koe.slack-link';

/** What became of the link: linked (as whom), refused by koe as bad or expired, or another error. */
type Outcome = { linked: string } | 'invalid' | { error: unknown } | null;

export function SlackLink() {
  useLocale();
  useTitle(t('slackLinkTitle'));
  const [token] = useState(() => takeSecret(key));
  const s = useWhoami();
  const [out, setOut] = useState<Outcome>(null);
  const [busy, setBusy] = useState(false);

  const link = async (name: string) => {
    if (busy) return;
    setBusy(true);
    setOut(null);
    try {
      await api.linkSlack(token);
      forgetSecret(key);
      setOut({ linked: name });
      toast(t('slackLinkedTitle'));
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) {
        // The session ended meanwhile: sign in again, the link is kept.
        await refreshWhoami();
      } else if (e instanceof ApiError && (e.status === 400 || e.status === 410)) {
        forgetSecret(key);
        setOut('invalid');
      } else {
        setOut({ error: e });
      }
    } finally {
      setBusy(false);
    }
  };

  const linked = out && typeof out === 'object' && 'linked' in out ? out.linked : null;
  return (
    <>
      <Header title={t('slackLinkTitle')}>
        <StaffTools />
      </Header>
      <main id="main" class="page narrow">
        {!token ? (
          <section class="card signin slack-link" data-testid="slack-link-missing">
            <h1>{t('slackLinkTitle')}</h1>
            <Notice kind="warn">{t('slackLinkMissing')}</Notice>
            <p>
              <a href="/admin">{t('slackLinkToEvents')}</a>
            </p>
          </section>
        ) : linked !== null ? (
          <section class="card signin slack-link" data-testid="slack-linked">
            <h1>{t('slackLinkedTitle')}</h1>
            <Notice kind="info">{t('slackLinked', { name: linked })}</Notice>
            <p>
              <a href="/admin">{t('slackLinkToEvents')}</a>
            </p>
          </section>
        ) : s.status === 'loading' ? (
          <Spinner />
        ) : s.status === 'error' ? (
          <Notice kind="error">{errorText(s.error)}</Notice>
        ) : s.status === 'out' ? (
          <>
            <section class="card signin slack-link" aria-labelledby="slack-link-h">
              <h1 id="slack-link-h">{t('slackLinkTitle')}</h1>
              <p class="muted">{t('slackLinkLead')}</p>
              <p>{t('slackLinkSignIn')}</p>
            </section>
            <SignIn heading={false} onDone={() => undefined} returnTo="/slack/link" />
          </>
        ) : !s.who.account ? (
          <section class="card signin slack-link" aria-labelledby="slack-link-h">
            <h1 id="slack-link-h">{t('slackLinkTitle')}</h1>
            <Notice kind="warn">{t('slackLinkOwnerToken')}</Notice>
            <SignOutButton onDone={() => undefined} />
          </section>
        ) : (
          <section class="card signin slack-link" aria-labelledby="slack-link-h" data-testid="slack-link">
            <h1 id="slack-link-h">{t('slackLinkTitle')}</h1>
            <p class="muted">{t('slackLinkLead')}</p>
            <div role="alert" data-testid="slack-link-error">
              {out === 'invalid' && <p class="error-text slack-link-error">{t('slackLinkInvalid')}</p>}
              {out && typeof out === 'object' && 'error' in out && <p class="error-text slack-link-error">{errorText(out.error)}</p>}
            </div>
            {out === 'invalid' ? (
              <p>
                <a href="/admin">{t('slackLinkToEvents')}</a>
              </p>
            ) : (
              <div class="form-actions slack-link-actions">
                <button type="button" class="btn btn-primary" disabled={busy} onClick={() => void link(whoName(s.who))} data-testid="slack-link-confirm">
                  {busy ? t('slackLinking') : t('slackLinkAs', { name: whoName(s.who) })}
                </button>
                <a class="btn btn-ghost" href="/admin">
                  {t('slackLinkNotNow')}
                </a>
              </div>
            )}
          </section>
        )}
      </main>
    </>
  );
}
