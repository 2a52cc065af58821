import { join } from 'node:path';
import { readAllowedSourceIps } from '../lambda/config';
import { checkedBaseUrl } from '../lambda/elevenlabs-api-guards';
import { DataDirInUseError, LOCK_FILE_NAME, lockDataDir } from '../lib/local/data-dir-lock';
import { emptyDir, LOCAL_BUCKET_NAME, LOCAL_TABLE_NAME, localPaths, localPorts, localSecret, preparePrivateDir } from '../lib/local/local-settings';
import { startLocalReceiver } from '../lib/local/local-receiver';
import { startConsoleServer } from '../lib/console/server';

// `npm start [-- --reset]`: the receiver on this machine, with DynamoDB and S3 emulators.

const RESET = process.argv.includes('--reset');

function audioCheckDelaySeconds(env: NodeJS.ProcessEnv): number | undefined {
  if (!env.AUDIO_CHECK_DELAY_SECONDS) return undefined;
  const seconds = Number(env.AUDIO_CHECK_DELAY_SECONDS);
  if (!Number.isInteger(seconds) || seconds < 0 || seconds > 900) throw new Error('AUDIO_CHECK_DELAY_SECONDS must be whole seconds from 0 to 900.');
  return seconds;
}
/** The variables `npm run send` needs to find this receiver and its secret, when they are not the defaults. */
function sendEnvironment(port: number): string {
  const settings = [port === 3000 ? '' : `PORT=${port}`, process.env.RECEIVER_LOCAL_DIR ? `RECEIVER_LOCAL_DIR=${process.env.RECEIVER_LOCAL_DIR}` : ''];
  return settings.filter(Boolean).map((s) => `${s} `).join('');
}

async function main() {
  // The SDK warns on Node 20 about its releases after January 2027; the lock file pins today's.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  // Settings that would fail every request stop the start instead, before the data folder is touched.
  readAllowedSourceIps(process.env);
  if (process.env.ELEVENLABS_API_KEY && process.env.ELEVENLABS_API_BASE_URL) checkedBaseUrl(process.env.ELEVENLABS_API_BASE_URL);
  const { port, dynamodbPort, s3Port, consolePort } = localPorts(process.env);
  if (consolePort === port && port !== 0) throw new Error(`CONSOLE_PORT and PORT are both ${port}: the console never shares the webhook's port (the one a tunnel exposes).`);
  const audioCheckDelay = audioCheckDelaySeconds(process.env);
  const paths = localPaths(process.env);
  preparePrivateDir(paths.dir);
  // Before anything is read or removed: a folder in use stays as the running receiver needs it.
  const lock = lockDataDir(paths.dir);
  // However this process ends, short of being killed (a lock left then is taken over next time).
  process.on('exit', () => lock.release());
  if (RESET) {
    emptyDir(paths.dir, [LOCK_FILE_NAME]);
    console.log(`Emptied ${paths.dir}: starting with no calls and a new secret.`);
  }
  const { secret, source } = localSecret(process.env);
  const honourDeletionSettings = process.env.HONOUR_DELETION_SETTINGS === 'true';
  const receiver = await startLocalReceiver({
    secret,
    port,
    host: process.env.HOST ?? '127.0.0.1',
    dynamodbPort,
    s3Port,
    dataDir: paths.dataDir,
    tableName: LOCAL_TABLE_NAME,
    bucketName: LOCAL_BUCKET_NAME,
    reconciliation: process.env.ELEVENLABS_API_KEY
      ? {
          apiKey: process.env.ELEVENLABS_API_KEY,
          baseUrl: process.env.ELEVENLABS_API_BASE_URL || undefined,
          audioCheckDelaySeconds: audioCheckDelay,
        }
      : undefined,
    // Every minute locally, so trying it out takes no patience.
    deletionSweepIntervalMs: honourDeletionSettings ? 60_000 : undefined,
    eventsFile: join(paths.dir, 'events.jsonl'),
  });
  if (receiver.reconciliation) void receiver.reconciliation.runBackfill();
  const { dynamodbEndpoint, s3Endpoint } = receiver.emulators;
  // Its own server on its own port: the webhook's port is the one a tunnel exposes to the internet.
  const console_ = await startConsoleServer({
    target: { description: 'local emulators', local: true, tableName: LOCAL_TABLE_NAME, bucketName: LOCAL_BUCKET_NAME, dynamodb: receiver.emulators.dynamodb, s3: receiver.emulators.s3 },
    host: process.env.CONSOLE_HOST || '127.0.0.1',
    port: consolePort,
  }).catch(async (error: Error) => {
    await receiver.close();
    throw error;
  });
  console.log(`
ElevenLabs webhook receiver, running locally
Console: ${console_.url}${console_.token ? '  (listening beyond this machine: the URL carries the token it needs)' : ''}
  Webhook URL  ${receiver.url}
  Secret       ${secret}
               (from ${source})
  DynamoDB     ${dynamodbEndpoint}  table ${LOCAL_TABLE_NAME}
  S3           ${s3Endpoint}  bucket ${LOCAL_BUCKET_NAME}
  Credentials  AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER AWS_REGION=us-east-1
  Data         ${paths.dataDir} (kept across restarts; npm start -- --reset clears it)
  API          ${receiver.reconciliation ? 'ElevenLabs API reconciliation on: audio checked after each transcription, backfill now and hourly' : 'reconciliation off (set ELEVENLABS_API_KEY to fetch missed audio and calls)'}
  Events       ${join(paths.dir, 'events.jsonl')} (one line each); analytics rows under analytics/calls/ in the bucket
  Deletion     ${honourDeletionSettings ? 'ElevenLabs deletion settings honoured: due deletions swept every minute' : 'deletion settings recorded, not carried out (HONOUR_DELETION_SETTINGS=true sweeps them)'}

Send a signed example:  ${sendEnvironment(port)}npm run send -- post_call_transcription.phone
Stop:                   Ctrl-C
`);

  let stopping = false;
  const stop = async (signal: string) => {
    // A second Ctrl-C while closing means "now".
    if (stopping) process.exit(130);
    stopping = true;
    console.log(`\n${signal}: stopping the receiver and the emulators...`);
    try {
      await console_.close();
      await receiver.close();
    } finally {
      process.exit(0);
    }
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((error: Error) => {
  console.error(`Could not ${RESET ? 'reset and start' : 'start'}: ${error.message}`);
  if (error instanceof DataDirInUseError) console.error('Nothing was changed.');
  if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
    console.error('A port is taken: set PORT, DYNAMODB_PORT, S3_PORT or CONSOLE_PORT, or stop the other process.');
  }
  process.exit(1);
});
