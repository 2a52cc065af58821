/* `npm run load`: several thousand signed webhooks at a concurrency of 50 against the local receiver. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalReceiver } from '../../lib/local/local-receiver';
import { storageReader } from '../support/storage';
import { TEST_SECRET } from '../support/webhooks';
import { runLoad } from './load-run';

async function main() {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  const calls = Number(process.env.LOAD_CALLS ?? 1500);
  const dataDir = mkdtempSync(join(tmpdir(), 'load-'));
  const receiver = await startLocalReceiver({ secret: TEST_SECRET, dataDir });
  try {
    const report = await runLoad({ url: receiver.url, secret: TEST_SECRET, calls, concurrency: 50 });
    const read = storageReader(receiver.emulators);
    let complete = 0;
    for (const id of report.conversationIds) {
      const item = await read.item(id);
      if (item?.transcription_event_timestamp && item.audio_s3_key && item.events_received?.size === 2) complete += 1;
    }
    const { latencyMs } = report;
    console.table([{ requests: report.requests, seconds: report.seconds, 'per second': report.perSecond, 'p50 ms': latencyMs.p50, 'p90 ms': latencyMs.p90, 'p99 ms': latencyMs.p99, 'max ms': latencyMs.max, statuses: JSON.stringify(report.statuses) }]);
    console.log(`${complete} of ${report.conversationIds.length} calls stored complete (transcription + audio, once each)`);
  } finally {
    await receiver.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

void main();
