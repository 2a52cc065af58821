/* The browser tab's title for each page: what the page shows, then the console's name. */
import { useEffect } from 'preact/hooks';

export function useTitle(title: string): void {
  useEffect(() => {
    document.title = `${title} · ElevenLabs calls`;
  }, [title]);
}
