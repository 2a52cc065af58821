/*
 * The call's recording beside its transcript: an audio player (served with Range requests, so seeking
 * works), links to download the MP3 and the transcription JSON, or why there is no audio.
 */
import type { Ref } from 'preact';
import type { CallDetail } from '../api';
import { formatIsoTime } from '../format';

interface AudioPanelProps {
  detail: CallDetail;
  audioRef: Ref<HTMLAudioElement>;
  onTime: () => void;
  onPlaying: (playing: boolean) => void;
}

export function AudioPanel({ detail, audioRef, onTime, onPlaying }: AudioPanelProps) {
  const audio = detail.audio;
  const playable = audio.status === 'available' && audio.url;
  return (
    <aside class="player" aria-labelledby="player-heading">
      <h2 id="player-heading">Recording</h2>
      {playable ? (
        <audio
          ref={audioRef}
          data-testid="audio"
          controls
          preload="metadata"
          src={audio.url ?? undefined}
          onTimeUpdate={onTime}
          onSeeked={onTime}
          onPlay={() => onPlaying(true)}
          onPause={() => onPlaying(false)}
          onEnded={() => onPlaying(false)}
        >
          Your browser cannot play this recording: download it below.
        </audio>
      ) : (
        <AudioStatus detail={detail} />
      )}
      {playable && <p class="hint">Click a turn, or focus it and press Enter, to play from there.</p>}
      <ul class="downloads">
        {audio.download_url && (
          <li>
            <a href={audio.download_url} download data-testid="download-audio">
              Download MP3{typeof audio.bytes === 'number' ? ` (${megabytes(audio.bytes)})` : ''}
            </a>
          </li>
        )}
        {detail.transcription_url && (
          <li>
            <a href={detail.transcription_url} download data-testid="download-transcription">
              Download transcript (JSON)
            </a>
          </li>
        )}
      </ul>
    </aside>
  );
}

/** Why there is nothing to play: deleted, unreadable with these credentials, missing from the bucket, not delivered, or never recorded. */
function AudioStatus({ detail }: { detail: CallDetail }) {
  const { call, audio } = detail;
  let message: string;
  if (audio.status === 'deleted') {
    const at = formatIsoTime(audio.deleted_at ?? call.audio_deleted_at);
    message = at
      ? `Audio deleted under ElevenLabs' deletion settings on ${at}.`
      : call.audio_fetch_status === 'deleted'
        ? 'Audio deleted by ElevenLabs before it could be fetched.'
        : "Audio deleted under ElevenLabs' deletion settings.";
  } else if (audio.reason === 'not_readable') {
    message = 'The audio could not be read with these credentials (they need s3:GetObject and s3:ListBucket on the bucket).';
  } else if (audio.status === 'missing' && audio.reason === 'not_in_bucket') {
    message = 'Audio expected but not found in the bucket.';
  } else if (audio.status === 'missing') {
    message = 'No audio received for this call (yet): ElevenLabs recorded it, but the audio webhook has not delivered it (it may be off, or still to come).';
  } else {
    message =
      detail.outcome === 'not_connected'
        ? 'No audio: the call never connected.'
        : call.has_audio === false
          ? 'No audio: ElevenLabs recorded none for this call.'
          : 'No audio received for this call (yet).';
  }
  return (
    <p class="notice" data-testid="audio-status">
      {message}
    </p>
  );
}

function megabytes(bytes: number): string {
  return bytes < 1024 * 1024 ? `${Math.max(1, Math.round(bytes / 1024))} KB` : `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}
