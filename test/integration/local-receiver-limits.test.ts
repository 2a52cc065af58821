import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest, type ClientRequest } from 'node:http';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { startLocalReceiver, type LocalReceiver } from '../../lib/local/local-receiver';
import type { ProcessDependencies } from '../../lambda/process';
import { signPayload } from '../../lambda/signature';
import { loadExample, nowSecs, TEST_SECRET } from '../support/webhooks';

/*
 * What the local receiver does with bodies it should not hold: refused before they are read, cut
 * off at API Gateway's 10 MB, given up when they stall; and connections beyond a cap. Raw HTTP
 * requests, so the test decides when each byte is sent and sees resets as resets.
 */
const IDLE_MS = 1000;
const MB = 1024 * 1024;
/** A header that parses (so the body is read) but was never signed by anyone. */
const FORGED_SIGNATURE = () => `t=${nowSecs()},v0=${'0'.repeat(64)}`;

let dataDir: string;
let receiver: LocalReceiver;
const lines: string[] = [];

beforeAll(async () => {
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  dataDir = mkdtempSync(join(tmpdir(), 'local-receiver-limits-'));
  receiver = await startLocalReceiver({ secret: TEST_SECRET, dataDir, log: (line) => lines.push(line), bodyIdleTimeoutMs: IDLE_MS });
});

afterAll(async () => {
  await receiver?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

interface Exchange {
  readonly request: ClientRequest;
  /** The status and body, as soon as the answer is complete. */
  readonly answer: Promise<{ status: number; body: string }>;
  /** Settles when the connection is gone, with the client's error if there was one. */
  readonly closed: Promise<string | undefined>;
  /** Writes `bytes` in 64 KB pieces as fast as the receiver takes them, stopping early if the connection goes. */
  send(bytes: number): Promise<void>;
  sent(): number;
}

/** A POST to the webhook whose body the test writes; with no content-length it is sent chunked. */
function openPost(headers: Record<string, string | undefined>): Exchange {
  const request = httpRequest(receiver.url, {
    method: 'POST',
    agent: false,
    headers: Object.fromEntries(Object.entries({ 'content-type': 'application/json', ...headers }).filter(([, v]) => v !== undefined)) as Record<string, string>,
  });
  let sent = 0;
  let error: string | undefined;
  request.on('error', (e: NodeJS.ErrnoException) => (error = e.code ?? e.message));
  const closed = new Promise<string | undefined>((resolve) => request.on('close', () => resolve(error)));
  const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
    request.on('response', (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode!, body }));
    });
    void closed.then((e) => reject(new Error(`no answer; the connection closed (${e ?? 'no error'}) after ${sent} bytes`)));
  });
  answer.catch(() => undefined);
  const piece = Buffer.alloc(64 * 1024, 0x20);
  const send = async (bytes: number) => {
    for (let left = bytes; left > 0 && !request.destroyed; left -= piece.length) {
      const chunk = piece.subarray(0, Math.min(piece.length, left));
      sent += chunk.length;
      if (!request.write(chunk)) await Promise.race([new Promise((r) => request.once('drain', r)), closed]);
    }
  };
  return { request, answer, closed, send, sent: () => sent };
}

const port = () => Number(new URL(receiver.url).port);

/** Everything a raw connection receives until it closes, and the error it closed with, if any. */
function rawExchange(socket: Socket): Promise<{ received: string; error?: string }> {
  let received = '';
  let error: string | undefined;
  socket.on('data', (chunk) => (received += chunk));
  socket.on('error', (e: NodeJS.ErrnoException) => (error = e.code));
  return new Promise((resolve) => socket.on('close', () => resolve({ received, error })));
}

/**
 * A sender that writes its whole body whatever happens (it even keeps writing after the receiver
 * has finished sending) and reads only what arrives: how much the receiver took is what it read,
 * plus what the two sockets' buffers hold.
 */
async function relentlessPost(headers: string, bodyBytes: number, { chunked = false } = {}) {
  const socket = connect({ port: port(), host: '127.0.0.1', allowHalfOpen: true });
  const exchange = rawExchange(socket);
  socket.write(`POST /elevenlabs/webhook HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n${chunked ? 'Transfer-Encoding: chunked\r\n' : ''}${headers}\r\n`);
  const piece = Buffer.alloc(64 * 1024, 0x20);
  const framed = chunked ? Buffer.concat([Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from('\r\n')]) : piece;
  let taken = 0;
  for (; taken < bodyBytes && socket.writable; taken += piece.length) {
    if (!socket.write(framed)) await Promise.race([new Promise((resolve) => socket.once('drain', resolve)), exchange]);
  }
  if (socket.writable) socket.end(chunked ? '0\r\n\r\n' : '');
  return { ...(await exchange), taken };
}

/** Fails, rather than waiting for the test's timeout, when nothing comes in time. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} took over ${ms} ms`)), ms)));
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/** What the Lambda handler itself answers to this signature header, whatever the body. */
async function handlerAnswer(signature: string | undefined) {
  const { createHandler } = await import('../../lambda/handler');
  const handler = createHandler(() => ({ now: () => new Date() }) as unknown as ProcessDependencies);
  const event = {
    headers: signature === undefined ? {} : { 'elevenlabs-signature': signature },
    body: '{}',
    isBase64Encoded: false,
    requestContext: { requestId: 'parity', http: { method: 'POST', path: '/elevenlabs/webhook' } },
  } as unknown as APIGatewayProxyEventV2;
  const answer = await handler(event);
  return { status: answer.statusCode, body: answer.body };
}

describe('the local receiver before and while reading a body', () => {
  it.each([
    ['missing', undefined],
    ['malformed', 'v0=abc'],
  ])('answers a %s signature with the handler\'s 401 before the body arrives', async (_, signature) => {
    const post = openPost({ 'elevenlabs-signature': signature, 'content-length': String(9 * MB) });
    await post.send(64 * 1024);
    const answer = await within(post.answer, 5_000, 'the answer to a body still on its way');
    expect(answer).toEqual(await handlerAnswer(signature));
    expect(answer.status).toBe(401);
    post.request.destroy();
  });

  it('delivers that 401 to fetch sending a 9 MB unsigned body', async () => {
    const response = await fetch(receiver.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: Buffer.alloc(9 * MB, 0x20) });
    expect({ status: response.status, body: await response.text() }).toEqual(await handlerAnswer(undefined));
  });

  it('delivers that 401 to a sender that writes all 9 MB before reading, then closes cleanly, with no reset', async () => {
    const { received, error, taken } = await within(relentlessPost(`Content-Length: ${9 * MB}\r\n`, 9 * MB), 10_000, 'the exchange');
    expect(error).toBeUndefined();
    expect(taken).toBe(9 * MB);
    expect(received).toMatch(/^HTTP\/1.1 401 Unauthorized\r\n/);
    expect(received.split('\r\n\r\n')[1]).toBe((await handlerAnswer(undefined)).body);
  });

  it('stops reading a chunked body at API Gateway\'s 10 MB and still delivers the 413', async () => {
    const post = openPost({ 'elevenlabs-signature': FORGED_SIGNATURE() });
    const sending = post.send(100 * MB);
    expect(await post.answer).toEqual({ status: 413, body: '{"message":"Request Entity Too Large"}' });
    await within(post.closed, 10_000, 'closing the refused connection');
    await sending;
    expect(lines.at(-1)).toMatch(/^413 API Gateway limit/);
  });

  it('stops reading at 10 MB even when the sender goes on regardless, and the 413 reaches it first', async () => {
    const { received, taken } = await within(relentlessPost(`ElevenLabs-Signature: ${FORGED_SIGNATURE()}\r\n`, 100 * MB, { chunked: true }), 10_000, 'the exchange');
    expect(received).toMatch(/^HTTP\/1.1 413 Payload Too Large\r\n/);
    expect(taken).toBeGreaterThan(10 * MB);
    expect(taken).toBeLessThan(40 * MB);
  });

  it('answers 413 at once to a body declared over 10 MB, and reads none of it', async () => {
    const { received, taken } = await within(relentlessPost(`ElevenLabs-Signature: ${FORGED_SIGNATURE()}\r\nContent-Length: ${100 * MB}\r\n`, 100 * MB), 10_000, 'the exchange');
    expect(received).toMatch(/^HTTP\/1.1 413 Payload Too Large\r\n/);
    expect(taken).toBeLessThan(30 * MB);
  });

  it('gives up a body that stops arriving for the idle time: 408, one line, and the connection closes', async () => {
    const post = openPost({ 'elevenlabs-signature': FORGED_SIGNATURE(), 'content-length': '1000' });
    await post.send(10);
    const answer = await within(post.answer, IDLE_MS + 5_000, 'the 408');
    expect(answer).toEqual({ status: 408, body: '{"message":"Request Timeout"}' });
    await within(post.closed, 5_000, 'closing the idle connection');
    expect(lines.at(-1)).toBe(`408 no byte of the request body for ${IDLE_MS} ms (after 10 bytes): answered 408 and closed`);
  });

  it('closes the connection of a sender that stalls after its 401, with one line', async () => {
    const socket = connect(port(), '127.0.0.1');
    const exchange = rawExchange(socket);
    socket.write('POST /elevenlabs/webhook HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1000\r\n\r\n0123456789');
    const { received } = await within(exchange, IDLE_MS + 5_000, 'closing the stalled connection');
    expect(received).toMatch(/^HTTP\/1.1 401 /);
    expect(lines.at(-1)).toBe(`no byte of the request body for ${IDLE_MS} ms (after 10 bytes): the connection is closed`);
  });

  it('takes a chunked body that pauses for less than the idle time between pieces, though it takes longer in all', async () => {
    const example = loadExample('call_initiation_failure.sip');
    const body = Buffer.from(JSON.stringify({ ...example, data: { ...example.data, conversation_id: 'conv_trickled' } }));
    const post = openPost({ 'elevenlabs-signature': signPayload(TEST_SECRET, body, nowSecs()) });
    const pieces = 8;
    const started = Date.now();
    for (let i = 0; i < pieces; i++) {
      post.request.write(body.subarray(Math.floor((i * body.length) / pieces), Math.floor(((i + 1) * body.length) / pieces)));
      await new Promise((resolve) => setTimeout(resolve, IDLE_MS / 5));
    }
    post.request.end();
    expect(await post.answer).toMatchObject({ status: 200, body: expect.stringContaining('"status":"stored"') });
    expect(Date.now() - started).toBeGreaterThan(IDLE_MS);
  });
});

describe('the local receiver with its connections at the limit', () => {
  const open: Socket[] = [];

  beforeAll(async () => {
    await receiver.close();
    // A long idle time: the connections held open below must stay open for as long as the test needs.
    receiver = await startLocalReceiver({ secret: TEST_SECRET, dataDir, log: (line) => lines.push(line), maxConnections: 2, bodyIdleTimeoutMs: 60_000 });
  });

  afterAll(() => open.forEach((socket) => socket.destroy()));

  /** A connection carrying an unsigned POST whose body never comes: answered 401, then held open. */
  async function holdConnection(): Promise<Socket> {
    const socket = connect(port(), '127.0.0.1');
    open.push(socket);
    socket.write('POST /elevenlabs/webhook HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1000\r\n\r\n');
    await within(new Promise((resolve) => socket.once('data', resolve)), 5_000, 'the 401 on a held connection');
    return socket;
  }

  /** What a GET on a new connection gets: the status line, or nothing when the receiver closes it unanswered. */
  async function statusOfNewConnection(): Promise<string> {
    const socket = connect(port(), '127.0.0.1');
    const exchange = rawExchange(socket);
    socket.write('GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n');
    return (await exchange).received.split('\r\n')[0];
  }

  it('closes connections beyond the limit as they arrive, and takes new ones once one closes', async () => {
    await holdConnection();
    const second = await holdConnection();
    expect(await within(statusOfNewConnection(), 5_000, 'a connection over the limit')).toBe('');
    expect(lines.at(-1)).toBe('connection refused: 2 connections already open (the limit)');
    second.destroy();
    const deadline = Date.now() + 5_000;
    let status = '';
    while (status === '' && Date.now() < deadline) status = await statusOfNewConnection();
    expect(status).toBe('HTTP/1.1 404 Not Found');
  });
});

describe('the local receiver with a source allow-list', () => {
  beforeAll(async () => {
    await receiver.close();
    process.env.ALLOWED_SOURCE_IPS = '192.0.2.1';
    receiver = await startLocalReceiver({ secret: TEST_SECRET, dataDir, log: (line) => lines.push(line), bodyIdleTimeoutMs: IDLE_MS });
  });

  afterAll(() => {
    delete process.env.ALLOWED_SOURCE_IPS;
  });

  it('answers a request from another source 403 first, as deployed, whatever its signature', async () => {
    const response = await fetch(receiver.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(response.status).toBe(403);
    expect(await response.json()).toEqual({ error: 'forbidden_source' });
  });

  it('answers that 403 before the body, so a refused source holds no memory here', async () => {
    // A well-formed (forged) signature and a 9 MB body of which nothing is sent.
    const post = openPost({ 'elevenlabs-signature': FORGED_SIGNATURE(), 'content-length': String(9 * MB) });
    post.request.flushHeaders();
    expect(await within(post.answer, 5_000, 'the 403')).toEqual({ status: 403, body: '{"error":"forbidden_source"}' });
    expect(post.sent()).toBe(0);
    post.request.destroy();
  });
});
