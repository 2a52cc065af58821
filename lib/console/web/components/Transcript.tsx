/*
 * The conversation, turn by turn. While the audio plays the current turn is highlighted and, when it
 * has left the window and the person is not scrolling themselves, brought back into view.
 */
import { useEffect, useRef } from 'preact/hooks';
import type { CallDetail, Turn } from '../api';
import { formatIsoTime } from '../format';
import { TurnItem } from './TurnItem';

interface TranscriptProps {
  detail: CallDetail;
  current: number | null;
  /** Whether the audio is playing: only then does the highlight move the page. */
  following: boolean;
  onPlay?: (time: number) => void;
}

export function Transcript({ detail, current, following, onPlay }: TranscriptProps) {
  const list = useRef<HTMLOListElement>(null);
  useFollow(list, current, following);
  const turns = detail.transcript;
  if (detail.transcript_status !== 'available' || !turns) return <TranscriptStatus detail={detail} />;
  if (turns.length === 0) return <p class="muted" data-testid="transcript-status">The transcript has no turns.</p>;
  return (
    <ol class="transcript" data-testid="transcript" ref={list} aria-label="Transcript">
      {turns.map((turn: Turn, i) => (
        <TurnItem key={i} turn={turn} current={i === current} onPlay={onPlay} />
      ))}
    </ol>
  );
}

/** Why there is no conversation to show. */
function TranscriptStatus({ detail }: { detail: CallDetail }) {
  const deletedAt = formatIsoTime(detail.transcript_deleted_at ?? detail.call.transcript_deleted_at);
  const messages: Record<CallDetail['transcript_status'], string> = {
    available: 'No transcript.',
    deleted: `Transcript deleted under ElevenLabs' deletion settings${deletedAt ? ` on ${deletedAt}` : ''}.`,
    missing: 'Transcript expected but not found in the bucket.',
    opentelemetry: 'This agent sends its transcript as OpenTelemetry traces: the console shows only its counts. Download the traces to read them.',
    none: detail.outcome === 'not_connected' ? 'No conversation: the call never connected.' : 'No transcription received for this call (yet).',
  };
  return (
    <p class="notice" data-testid="transcript-status">
      {messages[detail.transcript_status] ?? `Transcript: ${detail.transcript_status}`}
    </p>
  );
}

/** Seconds after the person scrolls during which the highlight does not scroll the page. */
const HANDS_OFF_MS = 4000;

function useFollow(list: { current: HTMLOListElement | null }, current: number | null, following: boolean) {
  const lastUserScroll = useRef(0);
  useEffect(() => {
    const note = () => (lastUserScroll.current = Date.now());
    const options = { passive: true };
    addEventListener('wheel', note, options);
    addEventListener('touchmove', note, options);
    addEventListener('keydown', note, options);
    return () => {
      removeEventListener('wheel', note);
      removeEventListener('touchmove', note);
      removeEventListener('keydown', note);
    };
  }, []);
  useEffect(() => {
    if (!following || current === null || Date.now() - lastUserScroll.current < HANDS_OFF_MS) return;
    const turn = list.current?.children[current];
    if (!(turn instanceof HTMLElement)) return;
    const box = turn.getBoundingClientRect();
    const visible = box.bottom > 0 && box.top < innerHeight;
    if (!visible) {
      const still = matchMedia('(prefers-reduced-motion: reduce)').matches;
      turn.scrollIntoView({ block: 'center', behavior: still ? 'auto' : 'smooth' });
    }
  }, [current, following]);
}
