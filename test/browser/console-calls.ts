import { sendWebhook } from '../../lib/send-webhook';
import { loadExample } from '../support/webhooks';
import { silentMp3 } from './mp3';

/*
 * The calls the browser tests send to a running `npm start`, through its webhook URL, signed with
 * its secret: what a user's receiver gets from ElevenLabs. Times are recent (the console reads the
 * last 30 days unless told), one call per outcome, two agents, a phone and a web call, and a call
 * whose every free-text field carries HTML and script.
 */

const HOUR = 3600;

/** Markup that runs if it ever reaches the DOM as HTML: each field gets its own, labelled. */
export const xss = (field: string) => `${field}<img src=x onerror="alert('${field}')"><script>alert('${field}')</script>"><svg onload=alert(1)>`;

export const XSS_FIELDS = ['title', 'summary', 'agent', 'message', 'tool', 'value', 'rationale', 'variable'] as const;

export const AGENTS = {
  support: { id: 'agent_7901kdemo0support000000001', name: 'Acme Support' },
  sales: { id: 'agent_browser0sales0000000001', name: 'Acme Sales' },
  outbound: { id: 'agent_7901kdemo0outbound00000001' },
  web: { id: 'agent_browser0web00000000001', name: 'Web Helper' },
  xss: { id: 'agent_browser0xss00000000001', name: xss('agent') },
};

export interface SeededCalls {
  /** Conversation ids by role. */
  readonly ids: { success: string; failure: string; web: string; notConnected: string; xss: string };
  /** Newest first, as the list shows them. */
  readonly newestFirst: string[];
  /** The MP3 sent with the phone call (22 s), and the one sent with the web call (ElevenLabs' example). */
  readonly successAudio: Buffer;
  readonly webAudio: Buffer;
  /** The phone call's turn times, all inside its MP3. */
  readonly successTurnTimes: number[];
}

const clone = <T>(value: T): T => JSON.parse(JSON.stringify(value));

/** Sends every call; throws unless each webhook is answered 200. */
export async function sendBrowserTestCalls(webhookUrl: string, secret: string, now = Math.floor(Date.now() / 1000)): Promise<SeededCalls> {
  const ids = {
    success: 'conv_browser0phone0success01',
    failure: 'conv_browser0phone0failure01',
    web: 'conv_browser0web0unknown0001',
    notConnected: 'conv_browser0sip0busy0000001',
    xss: 'conv_browser0xss0000000000001',
  };
  const bodies: object[] = [];

  // A phone call that went well: ElevenLabs' phone example (turns at 0, 5, 9, 11 and 16 s), recent, with USD.
  const success = clone(loadExample('post_call_transcription.phone'));
  success.data.conversation_id = ids.success;
  success.data.agent_name = AGENTS.support.name;
  success.data.metadata.start_time_unix_secs = now - 1 * HOUR;
  success.data.metadata.accepted_time_unix_secs = now - 1 * HOUR;
  success.data.metadata.cost_fiat = 0.0875;
  success.event_timestamp = now - 1 * HOUR + 30;
  bodies.push(success);
  const successTurnTimes = success.data.transcript.map((turn: { time_in_call_secs: number }) => turn.time_in_call_secs);
  // 22 s of audio for a 21 s call: every turn's time is inside it.
  const successAudio = silentMp3(22);
  bodies.push({ type: 'post_call_audio', event_timestamp: success.event_timestamp + 5, data: { agent_id: AGENTS.support.id, conversation_id: ids.success, full_audio: successAudio.toString('base64') } });

  // A phone call judged a failure, another agent, another number.
  const failure = clone(loadExample('post_call_transcription.phone'));
  failure.data.conversation_id = ids.failure;
  failure.data.agent_id = AGENTS.sales.id;
  failure.data.agent_name = AGENTS.sales.name;
  failure.data.metadata.start_time_unix_secs = now - 3 * HOUR;
  failure.data.metadata.accepted_time_unix_secs = now - 3 * HOUR;
  failure.data.metadata.call_duration_secs = 47;
  failure.data.metadata.cost = 310;
  failure.data.metadata.termination_reason = 'Agent ended the call';
  failure.data.metadata.phone_call.external_number = '+15550100777';
  failure.data.metadata.phone_call.direction = 'outbound';
  failure.data.analysis.call_successful = 'failure';
  failure.data.analysis.call_summary_title = 'Refund refused';
  failure.data.analysis.transcript_summary = 'The caller wanted a refund for a late delivery; the agent could not grant one.';
  failure.data.analysis.evaluation_criteria_results.order_status_given.result = 'failure';
  failure.data.analysis.data_collection_results.caller_name.value = 'Sam';
  failure.data.analysis.data_collection_results.needs_follow_up.value = true;
  failure.event_timestamp = now - 3 * HOUR + 60;
  bodies.push(failure);

  // A web (widget) call whose outcome ElevenLabs could not judge, with ElevenLabs' example MP3.
  const web = clone(loadExample('post_call_transcription'));
  web.data.conversation_id = ids.web;
  web.data.agent_id = AGENTS.web.id;
  web.data.agent_name = AGENTS.web.name;
  web.data.metadata.start_time_unix_secs = now - 5 * HOUR;
  web.data.metadata.deletion_settings.deletion_time_unix_secs = null;
  web.data.analysis.call_successful = 'unknown';
  web.data.analysis.call_summary_title = 'Fun fact about ElevenLabs';
  web.event_timestamp = now - 5 * HOUR + 22;
  bodies.push(web);
  const webAudio = Buffer.from(loadExample('post_call_audio').data.full_audio, 'base64');
  bodies.push({ type: 'post_call_audio', event_timestamp: web.event_timestamp + 5, data: { agent_id: AGENTS.web.id, conversation_id: ids.web, full_audio: webAudio.toString('base64') } });

  // An outbound call that never connected (SIP 486 busy).
  const notConnected = clone(loadExample('call_initiation_failure.sip'));
  notConnected.data.conversation_id = ids.notConnected;
  notConnected.event_timestamp = now - 2 * HOUR;
  bodies.push(notConnected);

  // Every free-text field a page shows, carrying markup.
  const hostile = clone(loadExample('post_call_transcription.phone'));
  hostile.data.conversation_id = ids.xss;
  hostile.data.agent_id = AGENTS.xss.id;
  hostile.data.agent_name = AGENTS.xss.name;
  hostile.data.metadata.start_time_unix_secs = now - HOUR / 2;
  hostile.data.metadata.accepted_time_unix_secs = now - HOUR / 2;
  hostile.data.metadata.phone_call.external_number = '+15550100888';
  hostile.data.analysis.call_summary_title = xss('title');
  hostile.data.analysis.transcript_summary = xss('summary');
  hostile.data.transcript[1].message = xss('message');
  hostile.data.transcript[2].tool_calls[0].tool_name = xss('tool');
  hostile.data.transcript[2].tool_results[0].tool_name = xss('tool');
  hostile.data.analysis.data_collection_results.caller_name.value = xss('value');
  hostile.data.analysis.data_collection_results.caller_name.rationale = xss('rationale');
  hostile.data.conversation_initiation_client_data = { dynamic_variables: { user_name: xss('variable') } };
  hostile.event_timestamp = now - HOUR / 2 + 30;
  bodies.push(hostile);

  for (const body of bodies) {
    const answer = await sendWebhook({ url: webhookUrl, secret, body: Buffer.from(JSON.stringify(body)) });
    if (answer.status !== 200) throw new Error(`${(body as { type: string }).type} answered ${answer.status}: ${answer.body}`);
  }
  return { ids, newestFirst: [ids.xss, ids.success, ids.notConnected, ids.failure, ids.web], successAudio, webAudio, successTurnTimes };
}
