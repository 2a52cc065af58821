/* What a page shows while its data loads, when it failed to load, and when there is nothing to show. */
import type { ComponentChildren } from 'preact';

export function Loading({ what }: { what: string }) {
  return (
    <p class="status" role="status">
      Loading {what}…
    </p>
  );
}

/** The server's `{error}` message (or the network's), as text. */
export function ErrorMessage({ message, children }: { message: string; children?: ComponentChildren }) {
  return (
    <div class="error" role="alert" data-testid="error">
      <p>
        <strong>Could not load this:</strong> {message}
      </p>
      {children}
    </div>
  );
}

export function Empty({ children }: { children: ComponentChildren }) {
  return (
    <div class="empty" data-testid="empty">
      {children}
    </div>
  );
}
