import type { IncomingMessage } from 'node:http';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';

/*
 * What API Gateway (HTTP API, payload 2.0) and Lambda do to a request before our code sees it,
 * reproduced where users would otherwise be surprised only in production.
 */

/** API Gateway refuses larger request bodies (HTTP and REST APIs alike). */
export const API_GATEWAY_MAX_BODY_BYTES = 10 * 1024 * 1024;
/** A synchronous Lambda invocation refuses larger events, wrapper included; the function never runs. */
export const LAMBDA_MAX_EVENT_BYTES = 6_291_456;

export class RequestTooLargeError extends Error {
  override readonly name = 'RequestTooLargeError';
  constructor(readonly limit: 'api_gateway_body' | 'lambda_event', readonly bytes: number) {
    super(
      limit === 'api_gateway_body'
        ? `API Gateway limit: request body over ${API_GATEWAY_MAX_BODY_BYTES} bytes is refused`
        : `Lambda limit: invocation event of ${bytes} bytes is over ${LAMBDA_MAX_EVENT_BYTES} bytes; the function would never run`,
    );
  }
}

/** Reads a (possibly chunked) body, refusing it as soon as it passes API Gateway's limit. */
export async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of request) {
    bytes += (chunk as Buffer).length;
    if (bytes > API_GATEWAY_MAX_BODY_BYTES) throw new RequestTooLargeError('api_gateway_body', bytes);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** HTTP APIs pass text and JSON bodies as text, anything else base64-encoded. */
function isTextContent(contentType: string | undefined): boolean {
  const type = (contentType ?? '').split(';')[0].trim().toLowerCase();
  return type.startsWith('text/') || type === 'application/json';
}

/** The payload 2.0 event API Gateway would build: lower-case headers, repeated ones comma-joined. */
export function toApiGatewayEvent(request: IncomingMessage, body: Buffer, now = new Date()): APIGatewayProxyEventV2 {
  const headers: Record<string, string> = {};
  const cookies: string[] = [];
  for (let i = 0; i < request.rawHeaders.length; i += 2) {
    const name = request.rawHeaders[i].toLowerCase();
    const value = request.rawHeaders[i + 1];
    // Payload 2.0 moves cookies out of the headers into their own list.
    if (name === 'cookie') cookies.push(...value.split(/;\s*/).filter(Boolean));
    else headers[name] = name in headers ? `${headers[name]},${value}` : value;
  }
  const url = new URL(request.url ?? '/', 'http://localhost');
  const text = isTextContent(headers['content-type']);
  const event: APIGatewayProxyEventV2 = {
    version: '2.0',
    routeKey: `${request.method} ${url.pathname}`,
    rawPath: url.pathname,
    rawQueryString: url.search.replace(/^\?/, ''),
    cookies: cookies.length ? cookies : undefined,
    headers,
    queryStringParameters: url.search ? Object.fromEntries([...url.searchParams.keys()].map((k) => [k, url.searchParams.getAll(k).join(',')])) : undefined,
    requestContext: {
      accountId: 'local',
      apiId: 'local',
      domainName: headers.host ?? 'localhost',
      domainPrefix: 'localhost',
      http: { method: request.method ?? 'POST', path: url.pathname, protocol: `HTTP/${request.httpVersion}`, sourceIp: request.socket.remoteAddress ?? '', userAgent: headers['user-agent'] ?? '' },
      requestId: `local-${now.getTime().toString(36)}-${Math.random().toString(36).slice(2, 8)}`,
      routeKey: `${request.method} ${url.pathname}`,
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    body: body.length === 0 ? undefined : body.toString(text ? 'utf8' : 'base64'),
    isBase64Encoded: !text && body.length > 0,
  };
  const eventBytes = Buffer.byteLength(JSON.stringify(event));
  if (eventBytes > LAMBDA_MAX_EVENT_BYTES) throw new RequestTooLargeError('lambda_event', eventBytes);
  return event;
}
