/*
 * The console's front end: renders the page the URL names into #app, and follows the URL as links
 * and filters change it. Pages: the calls list (/ and /calls), a call (/calls/<id>), analytics.
 */
import { render } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import { Header } from './components/Header';
import { AnalyticsPage } from './pages/AnalyticsPage';
import { CallPage } from './pages/CallPage';
import { CallsPage } from './pages/CallsPage';
import { NotFoundPage } from './pages/NotFoundPage';
import { interceptLinkClicks, useLocation, type Location } from './router';

function App() {
  const here = useLocation();
  useFocusOnNavigation(here.path);
  return (
    <>
      <a class="skip-link" href="#main">
        Skip to content
      </a>
      <Header path={here.path} />
      <Page {...here} />
    </>
  );
}

/** The page for a path; a call's id is the one path segment after /calls/, URL-encoded. */
function Page({ path, search }: Location) {
  if (path === '/' || path === '/calls' || path === '/calls/') return <CallsPage path={path} search={search} />;
  if (path === '/analytics') return <AnalyticsPage path={path} search={search} />;
  const call = /^\/calls\/([^/]+)$/.exec(path);
  const id = call ? decodedSegment(call[1]) : null;
  if (id !== null) return <CallPage key={id} id={id} />;
  return <NotFoundPage path={path} />;
}

function decodedSegment(segment: string): string | null {
  try {
    return decodeURIComponent(segment);
  } catch {
    return null;
  }
}

/** After moving to another page, focus its heading, so a screen reader starts there and Tab continues from it. */
function useFocusOnNavigation(path: string) {
  const first = useRef(true);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    document.querySelector<HTMLElement>('main h1')?.focus({ preventScroll: true });
  }, [path]);
}

function start() {
  const root = document.getElementById('app');
  if (!root) throw new Error('The console page has no #app element.');
  interceptLinkClicks(document);
  render(<App />, root);
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
else start();
