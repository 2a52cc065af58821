/*
 * The "More calls" button under the list. It also loads the next page by itself when the person
 * scrolls down to it (not after a failure, and a first page that fits the window waits for a click).
 */
import { useEffect, useRef } from 'preact/hooks';

interface MoreCallsProps {
  loading: boolean;
  /** Whether reaching the button loads by itself: not after a failed load. */
  auto: boolean;
  onMore: () => void;
}

export function MoreCalls({ loading, auto, onMore }: MoreCallsProps) {
  const button = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    const target = button.current;
    if (!target || loading || !auto || typeof IntersectionObserver === 'undefined') return undefined;
    // A new observer after each page reports at once whether the button is still in view.
    const observer = new IntersectionObserver(
      (entries) => {
        if (entries.some((entry) => entry.isIntersecting) && window.scrollY > 0) onMore();
      },
      { rootMargin: '0px 0px 300px 0px' },
    );
    observer.observe(target);
    return () => observer.disconnect();
  }, [loading, auto, onMore]);
  return (
    <button ref={button} type="button" class="more" data-testid="more" onClick={() => loading || onMore()} aria-disabled={loading}>
      {loading ? 'Loading more calls…' : 'More calls'}
    </button>
  );
}
