/* A path the console has no page for. */
import { useTitle } from '../title';

export function NotFoundPage({ path }: { path: string }) {
  useTitle('Not found');
  return (
    <main id="main">
      <h1 tabIndex={-1}>No such page</h1>
      <p>
        The console has no page at <code>{path}</code>. See the <a href="/">calls</a> or the <a href="/analytics">analytics</a>.
      </p>
    </main>
  );
}
