/* What a page shows while its data loads, when it failed to load, and when there is nothing to show. */
import type { ComponentChildren } from 'preact';
import { isRequestFault } from '../api';

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

/**
 * A page's data failed to load. A 4xx is the request's fault (a mistyped filter): asking again
 * cannot help, so it offers to clear the filters; a 5xx or a network failure may pass, so "Try again".
 */
export function LoadFailure({ message, status, path, onRetry }: { message: string; status: number | null; path: string; onRetry: () => void }) {
  return (
    <ErrorMessage message={message}>
      {isRequestFault(status) ? (
        <p>
          <a href={path} data-testid="clear-filters">
            Clear filters
          </a>{' '}
          to start again from the defaults.
        </p>
      ) : (
        <button type="button" onClick={onRetry}>
          Try again
        </button>
      )}
    </ErrorMessage>
  );
}

export function Empty({ children }: { children: ComponentChildren }) {
  return (
    <div class="empty" data-testid="empty">
      {children}
    </div>
  );
}
