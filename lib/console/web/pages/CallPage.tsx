/*
 * One call (`/calls/<id>`): its facts, summary, evaluation, collected data and feedback, then the
 * conversation beside its recording. Playing the recording highlights the turn being spoken;
 * clicking a turn plays from there.
 */
import { useCallback, useRef, useState } from 'preact/hooks';
import { useJson, type CallDetail, type Turn } from '../api';
import { AudioPanel } from '../components/AudioPanel';
import { CallFacts, hasNothing } from '../components/CallFacts';
import { DataCollection } from '../components/DataCollection';
import { DynamicVariables } from '../components/DynamicVariables';
import { Evaluation } from '../components/Evaluation';
import { Feedback } from '../components/Feedback';
import { ErrorMessage, Loading } from '../components/Status';
import { Summary } from '../components/Summary';
import { Transcript } from '../components/Transcript';
import { formatTime } from '../format';
import { useTitle } from '../title';

export function CallPage({ id }: { id: string }) {
  const loaded = useJson<CallDetail>(`/calls/${encodeURIComponent(id)}.json`);
  const detail = loaded.state === 'done' ? loaded.data : null;
  const title = detail ? callTitle(detail) : null;
  useTitle(title ? `${title} · Call` : `Call ${id}`);
  return (
    <main id="main" class="call-page">
      <p class="back">
        <a href="/">← All calls</a>
      </p>
      <h1 tabIndex={-1}>{title ?? 'Call'}</h1>
      {detail && <Byline detail={detail} />}
      {loaded.state === 'loading' && <Loading what="the call" />}
      {loaded.state === 'error' && <ErrorMessage message={loaded.message} />}
      {detail && <CallBody key={id} detail={detail} />}
    </main>
  );
}

/** ElevenLabs' title for the call; without one, whom it was with. */
function callTitle({ call }: CallDetail): string | null {
  if (typeof call.call_summary_title === 'string' && call.call_summary_title) return call.call_summary_title;
  return typeof call.external_number === 'string' && call.external_number ? `Call with ${call.external_number}` : null;
}

/** When and with whom, under the title. */
function Byline({ detail }: { detail: CallDetail }) {
  const call = detail.call;
  const parts = [formatTime(call.start_time_unix_secs), typeof call.agent_name === 'string' ? call.agent_name : typeof call.agent_id === 'string' ? call.agent_id : ''];
  return <p class="byline">{parts.filter(Boolean).join(' · ')}</p>;
}

function CallBody({ detail }: { detail: CallDetail }) {
  const audio = useRef<HTMLAudioElement>(null);
  const [current, setCurrent] = useState<number | null>(null);
  const [playing, setPlaying] = useState(false);
  const turns = detail.transcript ?? [];

  const onTime = useCallback(() => {
    const player = audio.current;
    if (!player) return;
    // Loading the file reports a time too: nothing is being spoken until the person plays or seeks.
    if (player.paused && player.currentTime === 0) return;
    // At the end (or a seek past it, to a turn the recording does not reach) the turn shown stays.
    if (player.ended || player.currentTime >= player.duration) return;
    setCurrent(turnAt(turns, player.currentTime));
  }, [turns]);

  const play = useCallback(
    (time: number) => {
      const player = audio.current;
      if (!player) return;
      player.currentTime = time;
      setCurrent(turnAt(turns, time));
      // A browser may refuse to play (no user gesture it accepts, a broken file): the player shows it.
      player.play().catch(() => undefined);
    },
    [turns],
  );

  const canPlay = detail.audio.status === 'available' && Boolean(detail.audio.url);
  const absent = analysisAbsence(detail);
  // A call that never connected says so once, in its facts: the sections that would only repeat it are left out.
  const neverConnected = detail.outcome === 'not_connected';
  const showAnalysis = !neverConnected || hasAnalysis(detail.call);
  const showConversation = !neverConnected || !hasNothing(detail);
  return (
    <>
      <CallFacts detail={detail} />
      {showAnalysis && (
        <div class="analysis">
          <Summary call={detail.call} absent={absent} />
          <Evaluation call={detail.call} absent={absent} />
          <DataCollection call={detail.call} absent={absent} />
          <Feedback call={detail.call} />
        </div>
      )}
      {showConversation && (
        <section class="conversation" aria-labelledby="conversation-heading">
          <h2 id="conversation-heading">Conversation</h2>
          {/* The transcript first, so Tab reaches the turns before the player's controls; the layout puts the player beside (or above) it. */}
          <div class={`conversation-layout${canPlay ? ' with-audio' : ''}`}>
            <Transcript detail={detail} current={current} following={playing} onPlay={canPlay ? play : undefined} />
            <AudioPanel detail={detail} audioRef={audio} onTime={onTime} onPlaying={setPlaying} />
          </div>
        </section>
      )}
      <DynamicVariables call={detail.call} />
    </>
  );
}

/** Whether the item holds any analysis: a summary, evaluation results, collected data or feedback. */
function hasAnalysis(call: CallDetail['call']): boolean {
  const filled = (value: unknown) => value !== undefined && value !== null && value !== '' && !(typeof value === 'object' && Object.keys(value as object).length === 0);
  return [call.transcript_summary, call.evaluation, call.evaluation_rationale, call.data_collection, call.data_collection_rationale, call.feedback].some(filled);
}

/** Why the call has no analysis at all (no summary, evaluation or data), or null when it may have one. */
function analysisAbsence(detail: CallDetail): string | null {
  if (detail.outcome === 'not_connected') return 'No analysis: the call never connected.';
  if (detail.transcript_status === 'none') return 'No transcription yet: the analysis comes with it.';
  return null;
}

/** The turn being spoken at `seconds`: the last one that started at or before it; null before the first. */
export function turnAt(turns: readonly Turn[], seconds: number): number | null {
  let found: number | null = null;
  let foundTime = -Infinity;
  turns.forEach((turn, i) => {
    const time = turn.time_in_call_secs;
    // A hair of slack: a seek to a turn's time may land a few microseconds before it.
    if (typeof time === 'number' && time <= seconds + 0.05 && time >= foundTime) {
      found = i;
      foundTime = time;
    }
  });
  return found;
}
