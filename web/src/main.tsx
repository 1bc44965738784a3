import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import type { ComponentType } from 'preact';
import { applyLang, t, useLocale } from './i18n';
import { Audience } from './pages/Audience';
import { Join } from './pages/Join';
import { Header, Spinner } from './ui/chrome';
import { OverlayLoading } from './ui/overlayshell';
import { onLinkClick, usePath } from './ui/router';
import { Toasts } from './ui/toast';
import './styles/base.css';
import { decodeRoom } from './state/schedule'; // schedule

// The presenter screen and the staff pages load on demand, so the audience
// (phones on venue Wi-Fi) downloads only what it uses.
function lazy<P>(load: () => Promise<ComponentType<P>>, Loading: ComponentType<object> = () => <Spinner />) {
  let cached: ComponentType<P> | null = null;
  return function Lazy(props: P & object) {
    const [C, setC] = useState<ComponentType<P> | null>(() => cached);
    useEffect(() => {
      if (!C) void load().then((c) => setC(() => (cached = c)));
    }, []);
    return C ? <C {...props} /> : <Loading />;
  };
}

const Screen = lazy(() => import('./pages/Screen').then((m) => m.Screen));
const Overlay = lazy(() => import('./pages/Overlay').then((m) => m.Overlay), OverlayLoading);
const ScreenLinkPage = lazy(() => import('./pages/Screen').then((m) => m.ScreenLinkPage));
const ScreenLinks = lazy(() => import('./pages/ScreenLinks').then((m) => m.ScreenLinksPage));
const Admin = lazy(() => import('./pages/Admin').then((m) => m.Admin));
const AdminEvent = lazy(() => import('./pages/AdminEvent').then((m) => m.AdminEvent));
const Setup = lazy(() => import('./pages/Setup').then((m) => m.Setup));
const Invite = lazy(() => import('./pages/Invite').then((m) => m.Invite));
const Account = lazy(() => import('./pages/Account').then((m) => m.Account));
const Accounts = lazy(() => import('./pages/Accounts').then((m) => m.Accounts));
const EventStaff = lazy(() => import('./pages/EventStaff').then((m) => m.EventStaff));
const Audit = lazy(() => import('./pages/Audit').then((m) => m.Audit));
const Moderation = lazy(() => import('./pages/Moderation').then((m) => m.ModerationPage));
const Feed = lazy(() => import('./pages/Feed').then((m) => m.FeedPage));
const Sources = lazy(() => import('./pages/Sources').then((m) => m.SourcesPage));
const Integrations = lazy(() => import('./pages/Integrations').then((m) => m.IntegrationsPage));
const SlackLink = lazy(() => import('./pages/SlackLink').then((m) => m.SlackLink));
const Report = lazy(() => import('./pages/Report').then((m) => m.ReportPage));
const Schedule = lazy(() => import('./pages/Schedule').then((m) => m.SchedulePage));
const RoomScreen = lazy(() => import('./pages/RoomScreen').then((m) => m.RoomScreen));
const RoomLinkPage = lazy(() => import('./pages/RoomScreen').then((m) => m.RoomLinkPage));
const decodeSegment = decodeRoom;

function NotFound() {
  return (
    <>
      <Header />
      <main id="main" class="page narrow">
        <h1>{t('notFoundPage')}</h1>
        <p>
          <a href="/">{t('goHome')}</a>
        </p>
      </main>
    </>
  );
}

function route(path: string) {
  let m: RegExpExecArray | null;
  if (path === '/' || path === '') return <Join />;
  if ((m = /^\/j\/([^/]+)\/?$/.exec(path))) return <Join code={decodeURIComponent(m[1])} />;
  if ((m = /^\/e\/(\d+)\/?$/.exec(path))) return <Audience eventID={+m[1]} />;
  if ((m = /^\/e\/(\d+)\/t\/(\d+)\/?$/.exec(path))) return <Audience eventID={+m[1]} talkID={+m[2]} />;
  if ((m = /^\/e\/(\d+)\/t\/(\d+)\/screen\/?$/.exec(path))) return <Screen key={path} eventID={+m[1]} talkID={+m[2]} />;
  if ((m = /^\/screen\/([^/]+)\/?$/.exec(path))) return <ScreenLinkPage key={m[1]} secret={decodeURIComponent(m[1])} />;
  if ((m = /^\/screen\/([^/]+)\/t\/(\d+)\/?$/.exec(path))) return <ScreenLinkPage key={m[1]} secret={decodeURIComponent(m[1])} talkID={+m[2]} />;
  if ((m = /^\/e\/(\d+)\/rooms\/([^/]+)\/screen\/?$/.exec(path))) return <RoomScreen key={path} eventID={+m[1]} room={decodeSegment(m[2])} />;
  if ((m = /^\/screen\/([^/]+)\/rooms\/([^/]+)\/?$/.exec(path))) return <RoomLinkPage key={path} secret={decodeSegment(m[1])} room={decodeSegment(m[2])} />;
  if ((m = /^\/admin\/e\/(\d+)\/schedule\/?$/.exec(path))) return <Schedule key={path} eventID={+m[1]} />;
  if ((m = /^\/overlay\/([^/]+)\/?$/.exec(path))) return <Overlay key={m[1]} secret={decodeURIComponent(m[1])} />;
  if (/^\/setup\/?$/.test(path)) return <Setup />;
  if (/^\/invite\/?$/.test(path)) return <Invite />;
  if (/^\/slack\/link\/?$/.test(path)) return <SlackLink />;
  if (/^\/admin\/?$/.test(path)) return <Admin />;
  if (/^\/admin\/account\/?$/.test(path)) return <Account />;
  if (/^\/admin\/accounts\/?$/.test(path)) return <Accounts />;
  if (/^\/admin\/audit\/?$/.test(path)) return <Audit key="all" eventID={null} />;
  if ((m = /^\/admin\/e\/(\d+)\/staff\/?$/.exec(path))) return <EventStaff eventID={+m[1]} />;
  if ((m = /^\/admin\/e\/(\d+)\/audit\/?$/.exec(path))) return <Audit key={path} eventID={+m[1]} />;
  if ((m = /^\/admin\/e\/(\d+)\/moderation\/?$/.exec(path))) return <Moderation key={path} eventID={+m[1]} />;
  if ((m = /^\/admin\/e\/(\d+)\/feed\/?$/.exec(path))) return <Feed key={path} eventID={+m[1]} />;
  if ((m = /^\/admin\/e\/(\d+)\/sources\/?$/.exec(path))) return <Sources key={path} eventID={+m[1]} />;
  if ((m = /^\/admin\/e\/(\d+)\/integrations\/?$/.exec(path))) return <Integrations key={path} eventID={+m[1]} />;
  if ((m = /^\/admin\/e\/(\d+)\/screens\/?$/.exec(path))) return <ScreenLinks key={path} eventID={+m[1]} />;
  if ((m = /^\/admin\/e\/(\d+)\/report\/?$/.exec(path))) return <Report key={path} eventID={+m[1]} />;
  if ((m = /^\/admin\/e\/(\d+)\/t\/(\d+)\/report\/?$/.exec(path))) return <Report key={path} eventID={+m[1]} talkID={+m[2]} />;
  if ((m = /^\/admin\/e\/(\d+)\/?$/.exec(path))) return <AdminEvent eventID={+m[1]} />;
  if ((m = /^\/admin\/e\/(\d+)\/t\/(\d+)\/?$/.exec(path))) return <AdminEvent eventID={+m[1]} talkID={+m[2]} />;
  return <NotFound />;
}

function App() {
  useLocale();
  const path = usePath();
  return (
    <>
      <a href="#main" class="skip">
        {t('skipToContent')}
      </a>
      {route(path)}
      <Toasts />
    </>
  );
}

applyLang();
document.addEventListener('click', onLinkClick);
render(<App />, document.getElementById('app')!);
