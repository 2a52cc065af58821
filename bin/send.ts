import { parseCommandLine, runCli, UsageError } from '../lib/cli';
import { localPaths, localPorts, readLocalSecret } from '../lib/local/local-settings';
import { resolvePayload, sendWebhook } from '../lib/send-webhook';
import { DEFAULT_WEBHOOK_PATH } from '../lambda/service';
import { terminalText } from '../lib/terminal-text';

const USAGE = `Usage: npm run send -- <example name | payload.json> [--url URL] [--secret wsec_...] [--timestamp-offset SECONDS]

Signs the payload as ElevenLabs does and POSTs it. Defaults: the local receiver's URL and secret.
Examples: post_call_transcription, post_call_transcription.phone, post_call_audio,
          call_initiation_failure.sip, call_initiation_failure.twilio
A --timestamp-offset of -3600 shows what a stale signature gets (401).`;

/** parseArgs reads `-3600` as an option: join it to its flag so `--timestamp-offset -3600` works. */
function joinNegativeOffset(args: string[]): string[] {
  const i = args.indexOf('--timestamp-offset');
  if (i < 0 || !/^-\d+$/.test(args[i + 1] ?? '')) return args;
  return [...args.slice(0, i), `--timestamp-offset=${args[i + 1]}`, ...args.slice(i + 2)];
}

async function main(): Promise<number> {
  const { values, positionals } = parseCommandLine({
    args: joinNegativeOffset(process.argv.slice(2)),
    allowPositionals: true,
    options: {
      url: { type: 'string' },
      secret: { type: 'string' },
      'timestamp-offset': { type: 'string', default: '0' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help || positionals.length !== 1) {
    console.log(USAGE);
    return values.help ? 0 : 2;
  }
  const secret = values.secret ?? readLocalSecret(process.env)?.secret;
  if (!secret) {
    console.error(`No secret: pass --secret, set ELEVENLABS_WEBHOOK_SECRET, or run npm start once to generate one (looked for ${localPaths(process.env).secretFile}; set RECEIVER_LOCAL_DIR as npm start has it).`);
    return 2;
  }
  const offset = Number(values['timestamp-offset']);
  if (!Number.isInteger(offset)) {
    console.error('--timestamp-offset takes whole seconds, e.g. -3600.');
    return 2;
  }
  const { body, source } = resolvePayload(positionals[0]);
  const url = values.url ?? `http://localhost:${localPorts(process.env).port}${DEFAULT_WEBHOOK_PATH}`;
  if (!URL.canParse(url)) throw new UsageError(`--url ${url} is not a URL: give it as https://host/elevenlabs/webhook.`);
  console.log(`POST ${url}  (${source}, ${body.length} bytes, timestamp offset ${offset} s)`);
  const answer = await sendWebhook({ url, secret, body, timestampOffsetSeconds: offset });
  // --url may point at any server: its answer is shown as printable text.
  console.log(`${answer.status} ${terminalText(answer.body, 'keep')}`);
  return answer.status === 200 ? 0 : 1;
}

runCli(main, USAGE);
