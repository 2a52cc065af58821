/* The header on every page: the console's name and the links to its two lists, Calls and Analytics. */

export function Header({ path }: { path: string }) {
  const onCalls = path === '/' || path.startsWith('/calls');
  return (
    <header class="site-header">
      <span class="site-name">ElevenLabs calls</span>
      <nav aria-label="Console">
        <a href="/" aria-current={onCalls ? 'page' : undefined}>Calls</a>
        <a href="/analytics" aria-current={path === '/analytics' ? 'page' : undefined}>Analytics</a>
      </nav>
    </header>
  );
}
