import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DeleteItemCommand, DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { asStoredItem } from '../support/storage';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../lib/local/emulators';
import { LOCAL_TABLE_NAME } from '../../lib/local/local-settings';
import { portIsFree, startLocalServerProcess } from '../support/local-server-process';
import { exampleNames } from '../support/webhooks';

/*
 * The README's commands as a user runs them: `npm start` as its own process, `npm run send`
 * against it, `npm run calls` reading back, and Ctrl-C leaving no port open behind.
 */
let local: Awaited<ReturnType<typeof startLocalServerProcess>>;
let output: string;
let ports: number[];
let localDir: string;

beforeAll(async () => {
  local = await startLocalServerProcess();
  ({ ports, localDir } = local);
  output = local.output();
}, 40_000);

afterAll(async () => {
  await local?.stop();
});

const send = (...args: string[]) => local.run('bin/send.ts', ...args);
const calls = (...args: string[]) => local.run('bin/calls.ts', ...args);

describe('npm start and npm run send', () => {
  it('prints the URL, the generated secret, the emulators and the names', () => {
    const secret = readFileSync(join(localDir, 'webhook-secret'), 'utf8').trim();
    expect(secret).toMatch(/^wsec_[0-9a-f]{64}$/);
    expect(output).toContain(`http://localhost:${ports[0]}/elevenlabs/webhook`);
    expect(output).toContain(secret);
    expect(output).toContain(`http://127.0.0.1:${ports[1]}  table elevenlabs-calls`);
    expect(output).toContain(`http://127.0.0.1:${ports[2]}  bucket elevenlabs-calls`);
  });

  it('sends a bundled example signed with the local secret and prints the answer', async () => {
    const result = await send('post_call_transcription.phone');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^200 \{"status":"stored"/m);
  });

  it('shows what a stale signature gets', async () => {
    const result = await send('post_call_audio', '--timestamp-offset', '-3600');
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^401 .*expired|^401 .*old/m);
  });

  it('reads back every example sent, with the numbers stats should give', async () => {
    for (const example of exampleNames()) expect((await send(example)).code).toBe(0);
    const list = JSON.parse((await calls('list', '--json')).stdout);
    expect(list.map((c: { conversation_id: string }) => c.conversation_id).sort()).toEqual(
      ['abc', 'conv_7901kfail0sip000000000001', 'conv_7901kfail0twilio0000000001', 'conv_7901kphone0inbound0000001'],
    );
    const [{ stats }] = JSON.parse((await calls('stats', '--json')).stdout);
    expect(stats).toMatchObject({
      calls: 4,
      answered: 2,
      failed: 2,
      duration_secs: { total: 43, average: 21.5, p50: 21, p90: 22 },
      total_cost: 438,
      call_successful: { success: 2, failure: 0, unknown: 0, success_rate: 1 },
      data_collection: { caller_name: { Jordan: 1 }, order_id: { A123: 1 }, needs_follow_up: { false: 1 } },
    });
  });

  it('answers SQL over the same calls: npm start wrote their rows as the stream function would, DuckDB reads them', async () => {
    const result = await calls('sql', 'SELECT count(*) AS calls, sum(cost) AS credits, count(*) FILTER (WHERE outcome = \'not_connected\') AS not_connected FROM calls', '--json');
    expect([result.code, JSON.parse(result.stdout)]).toEqual([0, [{ calls: 4, credits: 438, not_connected: 2 }]]);
    const named = await calls('sql', '--named', 'success_rate', '--json');
    expect(named.code).toBe(0);
    expect(JSON.parse(named.stdout).length).toBeGreaterThan(0);
  });

  it('lists one agent\'s calls through its index, and as CSV', async () => {
    const { stdout } = await calls('list', '--agent', 'agent_7901kdemo0outbound00000001', '--csv');
    const lines = stdout.trim().split('\n');
    expect(lines[0]).toBe('start_time,agent,direction,number,duration_secs,cost,call_successful,title,conversation_id,channel,cost_usd,failure_kind,failure_reason,error_code,error_reason');
    const rows = lines.slice(1).map((l) => l.split(','));
    expect(rows.map((r) => r[8]).sort()).toEqual(['conv_7901kfail0sip000000000001', 'conv_7901kfail0twilio0000000001']);
    // The verdict column holds ElevenLabs' verdict only (none for a call that never connected); why it failed is at the end.
    for (const row of rows) expect([row[2], row[6], row[11]]).toEqual(['outbound', '', 'not_connected']);
    expect(rows.map((r) => r[12])).toEqual(['busy', 'busy']);
  });

  it('shows one call with its analysis, transcript turns and where its audio is', async () => {
    const shown = (await calls('show', 'abc')).stdout;
    expect(shown).toContain('Call abc');
    expect(shown).toContain('[0:02] user: Hey, can you tell me, like, a fun fact about 11 Labs?');
    expect(shown).toMatch(/audio\s+s3:\/\/elevenlabs-calls\/audio\/calls\/abc\/1739537319\.mp3 \(\d+ bytes, audio\/mpeg, from the webhook\)/);
  });

  it('lists calls within 120 columns, each with a short id that show takes', async () => {
    const { stdout } = await calls('list');
    const lines = stdout.trimEnd().split('\n');
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(120);
    const shortIds = lines.slice(1, -1).map((line) => line.split(' ')[0]);
    expect(shortIds.sort()).toEqual(['00000000001', 'abc', 'o0000000001', 'ound0000001']);
    const shown = await calls('show', '00000000001');
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain('Call conv_7901kfail0sip000000000001');
  });

  it('says when a short id ends several ids, or none', async () => {
    const several = await calls('show', '0000001');
    expect(several.code).toBe(1);
    expect(several.stdout).toBe('3 calls end with 0000001: give more of the id (the whole ids are below, and in list --json), or the filters list was given (--agent, --number, ...) to look among those calls only.\n  conv_7901kfail0sip000000000001\n  conv_7901kfail0twilio0000000001\n  conv_7901kphone0inbound0000001\n');
    const none = await calls('show', 'zzz9');
    expect(none.code).toBe(1);
    expect(none.stdout).toMatch(/^No call zzz9 in local emulators \(DynamoDB 127\.0\.0\.1:\d+, S3 127\.0\.0\.1:\d+\): no conversation id is or ends with it\.\n$/);
  });

  it('shows one call as JSON: the item and the transcription event', async () => {
    const shown = await calls('show', 'abc', '--json');
    expect(shown.code).toBe(0);
    const { call, transcript_event } = JSON.parse(shown.stdout);
    expect(call).toMatchObject({ conversation_id: 'abc', agent_id: 'xyz', transcript_format: 'json' });
    expect(transcript_event).toMatchObject({ type: 'post_call_transcription', data: { conversation_id: 'abc' } });
  });

  it("reads calls stored with issue 11's attributes: a campaign, a number stored both ways, both kinds of failure", async () => {
    const T = 1_764_100_000;
    const done = { status: 'done', transcription_event_timestamp: T + 900, agent_id: 'agent_issue11' };
    const items = [
      { ...done, conversation_id: 'conv_issue11_campaign_ok', batch_call_id: 'btcal_cmd', batch_call_recipient_id: 'r1', start_time_unix_secs: T, start_time: '2025-11-25T19:46:40Z', call_duration_secs: 40, channel: 'phone', direction: 'outbound', external_number: '+15550109999', cost: 100, cost_fiat: 0.25, call_successful: 'success', evaluation: { solved: 'success' }, evaluation_rationale: { solved: 'Answered the question.' }, charging: { llm_price: 0.01, llm_tokens: { 'gpt-4o-mini': { input: 10, output: 5 } } }, tool_calls: 2, tool_errors: 1, tools_used: new Set(['crm', 'calendar']), call_summary_title: 'Campaign reached' },
      { ...done, conversation_id: 'conv_issue11_campaign_err', batch_call_id: 'btcal_cmd', batch_call_recipient_id: 'r2', start_time_unix_secs: T + 60, channel: 'phone', status: 'failed', error_code: 1002, error_reason: 'LLM quota exceeded' },
      { ...done, conversation_id: 'conv_issue11_old_number', external_number: '15550109999', start_time_unix_secs: T - 1000 },
      { ...done, conversation_id: 'conv_issue11_other_campaign_ok', external_number: '+15550108888', start_time_unix_secs: T - 2000 },
    ];
    const dynamodb = new DynamoDBClient({ region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, endpoint: `http://127.0.0.1:${ports[1]}` });
    try {
      for (const item of items) await dynamodb.send(new PutItemCommand({ TableName: LOCAL_TABLE_NAME, Item: asStoredItem(item) }));
    } finally {
      dynamodb.destroy();
    }
    const ids = (list: { conversation_id: string }[]) => list.map((c) => c.conversation_id);

    const campaign = JSON.parse((await calls('list', '--batch', 'btcal_cmd', '--json')).stdout);
    expect(ids(campaign)).toEqual(['conv_issue11_campaign_err', 'conv_issue11_campaign_ok']);
    expect(campaign[0].failure_kind).toBe('conversation_failed');
    expect(campaign[1]).toMatchObject({ cost_fiat: 0.25, channel: 'phone', tools_used: ['crm', 'calendar'], charging: { llm_tokens: { 'gpt-4o-mini': { input: 10, output: 5 } } } });
    expect(campaign[1].failure_kind).toBeUndefined();

    expect(ids(JSON.parse((await calls('list', '--number', '15550109999', '--json')).stdout))).toEqual(['conv_issue11_campaign_ok', 'conv_issue11_old_number']);
    const failed = JSON.parse((await calls('list', '--failed', '--json')).stdout) as { conversation_id: string; failure_kind: string }[];
    expect(failed.map((c) => [c.conversation_id, c.failure_kind]).sort()).toEqual([
      ['conv_7901kfail0sip000000000001', 'not_connected'], ['conv_7901kfail0twilio0000000001', 'not_connected'], ['conv_issue11_campaign_err', 'conversation_failed'],
    ]);

    const text = (await calls('list', '--batch', 'btcal_cmd')).stdout.split('\n');
    expect(text[1]).toMatch(/ tel\s+-\s+-\s+conv\. failed\s+error 1002: LLM quot/);
    expect(text[2]).toMatch(/ tel out \+15550109999\s+40s\s+\$0\.25\s+success\s+Campaign reached$/);

    const failedJson = JSON.parse((await calls('show', 'conv_issue11_campaign_err', '--json')).stdout);
    expect(failedJson.call).toMatchObject({ conversation_id: 'conv_issue11_campaign_err', failure_kind: 'conversation_failed', error_code: 1002 });
    expect(JSON.parse((await calls('show', 'conv_issue11_campaign_ok', '--json')).stdout).call.failure_kind).toBeUndefined();

    // Short ids are unique among the calls listed: show takes the same filters to look among them.
    const byNumber = (await calls('list', '--number', '+15550109999')).stdout.split('\n');
    const shortId = byNumber[1].split(' ')[0];
    expect(shortId).toBe('paign_ok');
    const anywhere = await calls('show', shortId);
    expect([anywhere.code, anywhere.stdout.split('\n').slice(1)]).toEqual([1, ['  conv_issue11_campaign_ok', '  conv_issue11_other_campaign_ok', '']]);
    expect((await calls('show', shortId, '--number', '+15550109999')).stdout).toContain('Call conv_issue11_campaign_ok\n');

    const csv = (await calls('stats', '--by-agent', '--csv')).stdout.trim().split('\n');
    expect(csv[0]).toMatch(/^group,agent_id,calls,answered,/);
    expect(csv.slice(1).map((row) => row.split(',')[1]).sort()).toEqual(['agent_7901kdemo0outbound00000001', 'agent_7901kdemo0support000000001', 'agent_issue11', 'xyz']);

    const shown = (await calls('show', 'conv_issue11_campaign_ok')).stdout;
    expect(shown).toMatch(/Campaign\n {2}batch call {2}btcal_cmd\n {2}recipient {3}r1\n/);
    expect(shown).toMatch(/Evaluation\n {2}solved {2}success\n {10}Answered the question\.\n/);
    expect(shown).toMatch(/tokens gpt-4o-mini {2}10 in, 5 out/);

    const [{ group, stats }] = JSON.parse((await calls('stats', '--batch', 'btcal_cmd', '--json')).stdout);
    expect(group).toBe('campaign btcal_cmd');
    expect(stats).toMatchObject({ calls: 2, answered: 1, conversation_failed: 1, cost_usd: { total: 0.25, calls: 1 }, channels: { phone: 2 }, tools: { calls: 2, errors: 1, error_rate: 0.5 }, evaluation: { solved: { pass: 1, fail: 0 } }, campaign: { recipients: 2, recipients_answered: 1 } });
    expect((await calls('stats', '--batch', 'btcal_cmd')).stdout).toContain('  calls          2   answered 1   not connected 0   conversation failed 1\n');
  });

  it('rebuilds a lost item from the archive: a dry run says what it would do, the rebuild does it', async () => {
    expect((await send('sdk/whatsapp.inbound')).code).toBe(0);
    const id = JSON.parse(readFileSync(join(__dirname, '..', 'fixtures', 'elevenlabs', 'sdk', 'whatsapp.inbound.json'), 'utf8')).data.conversation_id;
    const dynamodb = new DynamoDBClient({ region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, endpoint: `http://127.0.0.1:${ports[1]}` });
    try {
      await dynamodb.send(new DeleteItemCommand({ TableName: LOCAL_TABLE_NAME, Key: { conversation_id: { S: id } } }));
    } finally {
      dynamodb.destroy();
    }
    const dry = await calls('rebuild', '--dry-run');
    expect([dry.code, dry.stdout]).toEqual([0, expect.stringMatching(/^Dry run \(nothing is written\).*\n\d+ objects, \d+ updates for \d+ calls: [1-9]\d* would apply/)]);
    expect((await calls('show', id)).code).toBe(1);
    const rebuilt = await calls('rebuild', '--since', '1d');
    expect([rebuilt.code, rebuilt.stdout]).toEqual([0, expect.stringMatching(/^Rebuilding local emulators.*\n.* 0 failed\n$/)]);
    expect(JSON.parse((await calls('show', id, '--json')).stdout).call).toMatchObject({ channel: 'whatsapp', external_number: '+447700900734' });
    const keys = await calls('rebuild', '--keys-only', '--dry-run');
    expect([keys.code, keys.stdout]).toEqual([0, expect.stringMatching(/^0 items in local emulators .* lack the calls list's month key \(start_month\) of their start time\n$/)]);
    const exported = await calls('export', '--dry-run');
    expect([exported.code, exported.stdout]).toEqual([0, expect.stringMatching(/^\d+ items read from local emulators .*: [1-9]\d* rows would be written under analytics\/calls\/ in bucket elevenlabs-calls/)]);
    const refused = await calls('rebuild', '--limit', '3');
    expect([refused.code, refused.stdout]).toEqual([2, expect.stringContaining('rebuild does not take --limit')]);
  });

  it('stops on Ctrl-C and frees every port', async () => {
    const exited = new Promise<number | null>((resolve) => local.server.once('exit', resolve));
    local.server.kill('SIGINT');
    expect(await exited).toBe(0);
    for (const port of ports) expect(await portIsFree(port)).toBe(true);
  });
});
