import { startFakeElevenLabsApi, type FakeElevenLabsApi } from '../support/fake-elevenlabs-api';
import { startLocalServerProcess } from '../support/local-server-process';
import { loadExample } from '../support/webhooks';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/*
 * `npm start` with ELEVENLABS_API_KEY and `npm run backfill`, as processes, against a fake of the
 * ElevenLabs API: a missed call appears, audio that never came is fetched, and nothing twice.
 */
const API_KEY = 'sk_local_test';
const now = Math.floor(Date.now() / 1000);
let api: FakeElevenLabsApi;
let local: Awaited<ReturnType<typeof startLocalServerProcess>>;

beforeAll(async () => {
  api = await startFakeElevenLabsApi({
    apiKey: API_KEY,
    conversations: [
      { conversation_id: 'conv_no_webhooks', agent_id: 'agent_a', start_time_unix_secs: now - 3600, has_audio: true, audioBytes: 50_000 },
      // Older than the startup backfill looks: only its audio check can fetch its audio.
      { conversation_id: 'conv_audio_lost', agent_id: 'agent_a', start_time_unix_secs: now - 24 * 3600, has_audio: true, audioBytes: 200_000 },
    ],
  });
  local = await startLocalServerProcess({ ELEVENLABS_API_KEY: API_KEY, ELEVENLABS_API_BASE_URL: api.baseUrl, AUDIO_CHECK_DELAY_SECONDS: '1' });
}, 40_000);

afterAll(async () => {
  await local?.stop();
  await api?.close();
});

const listed = async () => JSON.parse((await local.run('bin/calls.ts', 'list', '--json')).stdout) as Record<string, any>[];

describe('npm start with an ElevenLabs API key', () => {
  it('says reconciliation is on and backfills a call that sent no webhook at all', async () => {
    expect(local.output()).toContain('ElevenLabs API reconciliation on');
    await local.waitForOutput(/backfill: 1 listed, 1 stored, 1 audio fetched, 0 failed/);
    expect((await listed()).find((c) => c.conversation_id === 'conv_no_webhooks')).toMatchObject({ audio_source: 'api', audio_bytes: 50_000, cost: 100 });
  });

  it('fetches the audio of a transcription whose audio webhook never came', async () => {
    const body = loadExample('post_call_transcription.phone');
    Object.assign(body.data, { conversation_id: 'conv_audio_lost', agent_id: 'agent_a', has_audio: true });
    const file = join(local.localDir, 'transcription.json');
    writeFileSync(file, JSON.stringify(body));
    expect((await local.run('bin/send.ts', file)).code).toBe(0);
    await local.waitForOutput(/audio check conv_audio_lost: fetched/);
    const shown = (await local.run('bin/calls.ts', 'show', 'conv_audio_lost')).stdout;
    expect(shown).toMatch(/audio\s+s3:\/\/elevenlabs-calls\/audio\/calls\/conv_audio_lost\/api\.mp3 \(200000 bytes, audio\/mpeg, from the api\)/);
  });
});

describe('npm run backfill', () => {
  it('stores nothing twice when the calls are already there', async () => {
    const result = await local.run('bin/backfill.ts', '--since', '2d');
    expect(result).toMatchObject({ code: 0 });
    expect(result.stdout).toContain('2 conversations listed, 0 calls stored, 0 recordings fetched');
  });

  it('refuses to run without an API key, saying what to set', async () => {
    const { spawnSync } = await import('node:child_process');
    const run = spawnSync(join(__dirname, '..', '..', 'node_modules', '.bin', 'tsx'), ['bin/backfill.ts', '--since', '1d'], {
      cwd: join(__dirname, '..', '..'),
      env: { ...process.env, ELEVENLABS_API_KEY: '' },
    });
    expect(run.status).toBe(2);
    expect(run.stderr.toString()).toContain('Set ELEVENLABS_API_KEY');
  });
});
