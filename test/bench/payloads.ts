/* The bench's payloads, shared by the in-process bench, the peak-memory script and the measured processes. */
import { loadExample } from '../support/webhooks';

export interface BenchPayload {
  readonly name: string;
  readonly body: Buffer;
  readonly audio: boolean;
  /** The conversation id in the body; measured processes replace it to make each event a new call. */
  readonly conversationId: string;
}

/** Realistic payloads of the three sizes. */
export function payloads(): BenchPayload[] {
  const phone = loadExample('post_call_transcription.phone');
  const turns = phone.data.transcript;
  const transcription = (turnCount: number) => {
    const body = structuredClone(phone);
    body.event_timestamp = Math.floor(Date.now() / 1000);
    body.data.transcript = Array.from({ length: turnCount }, (_, i) => ({ ...turns[i % turns.length], time_in_call_secs: i * 3 }));
    return Buffer.from(JSON.stringify(body));
  };
  const mp3 = Buffer.alloc(4_400_000, 0x55);
  const audioId = 'conv_bench0audio000000000001';
  const audio = { type: 'post_call_audio', event_timestamp: Math.floor(Date.now() / 1000), data: { agent_id: phone.data.agent_id, conversation_id: audioId, full_audio: mp3.toString('base64') } };
  return [
    { name: 'transcription ~20 KB', body: transcription(32), audio: false, conversationId: phone.data.conversation_id },
    { name: 'transcription ~1 MB', body: transcription(2000), audio: false, conversationId: phone.data.conversation_id },
    { name: 'audio ~5.9 MB', body: Buffer.from(JSON.stringify(audio)), audio: true, conversationId: audioId },
  ];
}
