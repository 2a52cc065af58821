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
  it('writes one JSON line per request with ids, type, sizes and outcome', () => {
    const lines = written.join('').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(exampleNames().length + 2);
    expect(lines[0]).toMatchObject({ message: 'webhook', service: 'elevenlabs-webhook-receiver', status_code: 200, body_bytes: expect.any(Number), duration_ms: expect.any(Number) });
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
