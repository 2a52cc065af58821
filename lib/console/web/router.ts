/*
 * Client-side routing: every page is a URL (filters in its query string), links change it with
 * history.pushState, and the back button works. Links to files (audio, JSON downloads) load normally.
 */
import { useEffect, useState } from 'preact/hooks';

export interface Location {
  path: string;
  search: string;
}

const current = (): Location => ({ path: location.pathname, search: location.search });

/** The pages the front end draws; anything else under this origin (downloads, .json) is left to the browser. */
export function isPage(path: string): boolean {
  return ['/', '/calls', '/calls/', '/analytics'].includes(path) || (/^\/calls\/[^/]+$/.test(path) && !path.endsWith('.json'));
}

/** The URL of one call's page, its id encoded so any stored id stays one path segment. */
export function callHref(conversationId: string): string {
  return `/calls/${encodeURIComponent(conversationId)}`;
}

/** A query string from name/value pairs, empty values left out: `?since=7d&q=refund`, or '' for none. */
export function queryString(values: Record<string, string | undefined | null>): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(values)) if (value) params.set(name, value);
  const text = params.toString();
  return text ? `?${text}` : '';
}

export function navigate(href: string): void {
  const before = location.pathname;
  // The same URL again (the current page's link) adds no history entry.
  if (new URL(href, location.href).href !== location.href) history.pushState(null, '', href);
  if (location.pathname !== before) window.scrollTo(0, 0);
  dispatchEvent(new PopStateEvent('popstate'));
}

/** The current location, updated on pushState (through navigate) and on the back and forward buttons. */
export function useLocation(): Location {
  const [here, setHere] = useState(current);
  useEffect(() => {
    const update = () => setHere(current());
    addEventListener('popstate', update);
    return () => removeEventListener('popstate', update);
  }, []);
  return here;
}

/** A click on a link to one of our pages navigates without reloading; a modified click (new tab...) is the browser's. */
export function interceptLinkClicks(root: Document): void {
  root.addEventListener('click', (event) => {
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    const link = event.target instanceof Element ? event.target.closest('a[href]') : null;
    if (!(link instanceof HTMLAnchorElement) || link.target || link.hasAttribute('download')) return;
    const url = new URL(link.href);
    if (url.origin !== location.origin || !isPage(url.pathname)) return;
    // A link within the page (#main) is the browser's to follow.
    if (url.hash && url.pathname === location.pathname && url.search === location.search) return;
    event.preventDefault();
    navigate(url.pathname + url.search + url.hash);
  });
}
