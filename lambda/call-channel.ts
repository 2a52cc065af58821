import type { FailureData, TranscriptionData } from './events';
import { normalizedNumber } from './phone-numbers';

/*
 * Who was on the line, and how: the channel of a call and its parties, in one form whatever
 * channel or provider carried it, so `--number` and the `by_number` index find a caller on the
 * phone, on WhatsApp and by SMS alike.
 */

/** `web` is a conversation with neither a phone call, WhatsApp nor SMS: the widget and the SDKs. */
export type Channel = 'phone' | 'whatsapp' | 'sms' | 'web';

export interface CallParties {
  readonly channel: Channel;
  readonly direction?: string;
  /** The other party: the caller or callee, the WhatsApp user, the SMS user. */
  readonly external_number?: string;
  /** Your number (WhatsApp sends only its id: `phone_number_id`). */
  readonly agent_number?: string;
  readonly call_sid?: string;
  /** `twilio`, `sip_trunking`, `exotel`. */
  readonly phone_provider?: string;
  /** ElevenLabs' id of your number: an id, never a number. */
  readonly phone_number_id?: string;
}

type Metadata = NonNullable<TranscriptionData['metadata']>;

/** A transcription's channel and parties; a conversation has at most one of phone, WhatsApp, SMS. */
export function transcriptionParties(metadata: Metadata): CallParties {
  const { phone_call: phone, whatsapp, sms } = metadata;
  if (phone) {
    return {
      channel: 'phone',
      direction: phone.direction ?? undefined,
      external_number: normalizedNumber(phone.external_number),
      agent_number: normalizedNumber(phone.agent_number),
      call_sid: phone.call_sid ?? undefined,
      phone_provider: phone.type ?? undefined,
      phone_number_id: phone.phone_number_id ?? undefined,
    };
  }
  if (whatsapp) {
    return {
      channel: 'whatsapp',
      direction: whatsapp.direction ?? undefined,
      external_number: normalizedNumber(whatsapp.whatsapp_user_id),
      phone_number_id: whatsapp.whatsapp_phone_number_id ?? undefined,
    };
  }
  if (sms) {
    return {
      channel: 'sms',
      direction: sms.direction ?? undefined,
      external_number: normalizedNumber(sms.sms_user_phone_number),
      agent_number: normalizedNumber(sms.agent_phone_number),
      phone_number_id: sms.phone_number_id ?? undefined,
    };
  }
  return { channel: 'web' };
}

/** A call that never connected: an outbound phone call, with its numbers from SIP or Twilio's callback fields. */
export function failureParties(data: FailureData): CallParties {
  const provider = data.metadata?.type ?? undefined;
  const body = data.metadata?.body ?? {};
  const [to, from, sid] = provider === 'twilio' ? ['To', 'From', 'CallSid'] : ['to_number', 'from_number', 'call_sid'];
  const callSid = body[sid];
  return {
    channel: 'phone',
    direction: 'outbound',
    external_number: normalizedNumber(body[to]),
    agent_number: normalizedNumber(body[from]),
    call_sid: typeof callSid === 'string' || typeof callSid === 'number' ? String(callSid) : undefined,
  };
}
