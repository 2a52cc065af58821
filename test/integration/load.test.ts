import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalReceiver, type LocalReceiver } from '../../lib/local/local-receiver';
import { runLoad } from '../load/load-run';
import { storageReader } from '../support/storage';
import { TEST_SECRET } from '../support/webhooks';

/* A smaller run of `npm run load` in the suite: concurrency 50, duplicates, audio before transcription. */
let dataDir: string;
let receiver: LocalReceiver;

beforeAll(async () => {
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  dataDir = mkdtempSync(join(tmpdir(), 'load-test-'));
  receiver = await startLocalReceiver({ secret: TEST_SECRET, dataDir });
});

afterAll(async () => {
  await receiver?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('under load', () => {
  it('stores every call exactly once, with no 5xx, at a concurrency of 50', async () => {
    const report = await runLoad({ url: receiver.url, secret: TEST_SECRET, calls: 200, concurrency: 50 });
    expect(report.requests).toBe(440);
    expect(report.statuses).toEqual({ 200: 440 });
    const read = storageReader(receiver.emulators);
    for (const id of report.conversationIds) {
      const item = await read.item(id);
      expect(item).toMatchObject({ transcription_event_timestamp: expect.any(Number), audio_s3_key: expect.any(String), cost: 142 });
      expect([...item!.events_received].sort()).toEqual(['post_call_audio', 'post_call_transcription']);
    }
    // One transcription body per call (the transcript is the body), one MP3 per call: nothing written twice.
    expect(await read.keys('transcripts/')).toEqual([]);
    expect(await read.keys('audio/')).toHaveLength(200);
  });
});
