import { request } from 'node:http';
import { networkInterfaces } from 'node:os';
import { freePort, startLocalServerProcess } from '../support/local-server-process';

/*
 * `npm start` in its own process with the console on a free port of its own, and plain HTTP to it
 * (node:http, so a test can send any Host header, which fetch and browsers cannot).
 */

export type LocalServer = Awaited<ReturnType<typeof startLocalServerProcess>>;

export interface ConsoleProcess {
  readonly local: LocalServer;
  /** As the banner prints it (with `?token=...` when one is required). */
  readonly consoleUrl: string;
  readonly consolePort: number;
  readonly webhookUrl: string;
  readonly webhookPort: number;
  readonly secret: string;
  /** The environment the server runs with, for `npm run calls` and SDK clients. */
  readonly env: Record<string, string>;
}

/** Starts `npm start` with the console on a free port; `extraEnv` adds to (or overrides) its environment. */
export async function startConsoleProcess(extraEnv: Record<string, string> = {}): Promise<ConsoleProcess> {
  const consolePort = await freePort();
  const local = await startLocalServerProcess({ CONSOLE_PORT: String(consolePort), ...extraEnv });
  const output = local.output();
  const consoleUrl = /^Console: (http:\/\/\S+)/m.exec(output)?.[1];
  const webhookUrl = /Webhook URL\s+(http:\/\/\S+)/.exec(output)?.[1];
  const secret = /Secret\s+(wsec_[0-9a-f]+)/.exec(output)?.[1];
  if (!consoleUrl || !webhookUrl || !secret) {
    await local.stop();
    throw new Error(`The banner lacks the console URL, the webhook URL or the secret:\n${output}`);
  }
  const [webhookPort, dynamodbPort, s3Port] = local.ports;
  return {
    local,
    consoleUrl,
    consolePort,
    webhookUrl,
    webhookPort,
    secret,
    env: { DYNAMODB_PORT: String(dynamodbPort), S3_PORT: String(s3Port), RECEIVER_LOCAL_DIR: local.localDir },
  };
}

export interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Buffer;
}

/** One GET with exactly the headers given (Host too); resolves with the answer, or rejects with the socket's error (ECONNREFUSED...). */
export function httpGet(host: string, port: number, path: string, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host, port, path, method: 'GET', headers, timeout: 5_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET http://${host}:${port}${path} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

/** The socket error's code when connecting fails, or 'connected' when something answered. */
export async function connectOutcome(host: string, port: number): Promise<string> {
  try {
    await httpGet(host, port, '/');
    return 'connected';
  } catch (error) {
    return (error as NodeJS.ErrnoException).code ?? String(error);
  }
}

/** This machine's first IPv4 address that is not loopback, if it has one. */
export function nonLoopbackIPv4(): string | undefined {
  for (const addresses of Object.values(networkInterfaces())) {
    for (const address of addresses ?? []) if (address.family === 'IPv4' && !address.internal) return address.address;
  }
  return undefined;
}
