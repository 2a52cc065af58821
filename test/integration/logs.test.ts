import { startEmulators, type Emulators } from '../../lib/local/emulators';
import { exampleNames, loadExample, signedApiEvent, TEST_SECRET } from '../support/webhooks';

/*
 * What the handler actually writes to stdout and stderr while storing every example and some bad
 * requests: ids, types, sizes and outcomes, never what people said or their numbers.
 */
let emulators: Emulators;
const written: string[] = [];

beforeAll(async () => {
  emulators = await startEmulators();
  Object.assign(process.env, emulators.environment, { WEBHOOK_SECRET: TEST_SECRET, POWERTOOLS_LOG_LEVEL: 'INFO' });
  delete process.env.POWERTOOLS_DEV;
  const capture = (stream: NodeJS.WriteStream) =>
    jest.spyOn(stream, 'write').mockImplementation((chunk: unknown) => {
      written.push(String(chunk));
      return true;
    });
  capture(process.stdout);
  capture(process.stderr);
  const { handler } = await import('../../lambda/handler');
  for (const name of exampleNames()) await handler(signedApiEvent(loadExample(name)));
  await handler(signedApiEvent(loadExample('post_call_transcription.phone'), { secret: 'wsec_wrong' }));
  await handler(signedApiEvent('{"type":"post_call_transcription","data":{"transcript_summary":"Jordan +15550100123"}}'));
  jest.restoreAllMocks();
});

afterAll(async () => {
  await emulators?.close();
});

describe('handler logs', () => {
  const lines = () => written.join('').trim().split('\n').map((l) => JSON.parse(l));

  it('writes one JSON log line per request with ids, type, sizes and outcome', () => {
    const requests = lines().filter((l) => l.message === 'webhook');
    expect(requests).toHaveLength(exampleNames().length + 2);
    expect(requests[0]).toMatchObject({ message: 'webhook', service: 'elevenlabs-webhook-receiver', status_code: 200, body_bytes: expect.any(Number), duration_ms: expect.any(Number) });
  });

  it('writes CloudWatch metrics as embedded metric format: per request, and per call by agent', () => {
    const metrics = lines().filter((l) => l._aws);
    const named = (name: string) => metrics.filter((m) => name in m);
    expect(named('Webhooks').length).toBe(exampleNames().length + 2);
    expect(named('SignatureFailures')).toHaveLength(1);
    expect(named('Calls').map((m) => m.agent_id ?? 'all').sort()).toEqual(['agent_7901kdemo0support000000001', 'all', 'all', 'xyz']);
    expect(named('CallDurationSeconds').find((m) => m.agent_id === 'agent_7901kdemo0support000000001')).toMatchObject({ CallDurationSeconds: 21, CallCostCredits: 142, CallSucceeded: 1 });
    expect(named('InitiationFailures').map((m) => m.reason)).toEqual(['busy', 'busy']);
    expect(metrics[0]._aws.CloudWatchMetrics[0].Namespace).toBe('ElevenLabsWebhookReceiver');
  });

  it('counts a call once even when it is delivered twice', async () => {
    const { handler } = await import('../../lambda/handler');
    const before = written.length;
    const capture = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: unknown) => {
      written.push(String(chunk));
      return true;
    });
    await handler(signedApiEvent(loadExample('post_call_transcription.phone')));
    capture.mockRestore();
    const again = written.slice(before).join('');
    expect(again).toContain('"outcome":"duplicate"');
    expect(again).not.toContain('"Calls"');
  });

  it('has the deletion sweep log counts and ids, never what it deleted', async () => {
    const { handler } = await import('../../lambda/handler');
    const { handler: sweep } = await import('../../lambda/deletion-handler');
    const body = loadExample('post_call_transcription.phone');
    body.data.conversation_id = 'conv_logs_deleted';
    body.data.metadata.deletion_settings = { deletion_time_unix_secs: Math.floor(Date.now() / 1000) - 60, delete_transcript_and_pii: true, delete_audio: true };
    await handler(signedApiEvent(body));
    const own: string[] = [];
    const capture = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: unknown) => {
      own.push(String(chunk));
      return true;
    });
    await sweep({});
    capture.mockRestore();
    const [line] = own.join('').trim().split('\n').map((l) => JSON.parse(l));
    expect(line).toMatchObject({ message: 'deletion sweep', due: 1, transcriptsDeleted: 1, audioDeleted: 1, failed: 0, service: 'elevenlabs-webhook-receiver' });
    for (const text of ['Jordan', '+15550100123', 'Order A123', 'transcripts/']) expect(own.join('')).not.toContain(text);
  });

  it('has the first line carry the service and a duration', () => {
    const [first] = lines();
    expect(first).toMatchObject({ service: 'elevenlabs-webhook-receiver', duration_ms: expect.any(Number) });
  });

  it.each([
    ['transcript text', 'Order A123 has shipped'],
    ['a summary', 'Jordan called about order A123'],
    ['a caller number', '+15550100123'],
    ['an agent number', '+15550100999'],
    ['a failure number', '+441111111111'],
    ['a collected value', 'Jordan'],
    ['the audio', 'SUQzAwAAAAAAXVRTU0UAAAAv'],
    ['the secret', TEST_SECRET],
    ['the signature', 'v0='],
  ])('never contains %s', (_label, text) => {
    expect(written.join('')).not.toContain(text);
  });
});
