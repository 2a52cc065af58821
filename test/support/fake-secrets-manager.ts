import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A loopback stand-in for Secrets Manager's GetSecretValue (AWS JSON 1.1 protocol), enough for the
 * real SDK client: lets tests run the deployed secret path (no value yet, then the stored value).
 */
export async function startFakeSecretsManager(initialValue?: string) {
  let value = initialValue;
  let reads = 0;
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (c) => chunks.push(c));
    request.on('end', () => {
      const target = String(request.headers['x-amz-target'] ?? '');
      if (target !== 'secretsmanager.GetSecretValue') {
        response.writeHead(400, { 'content-type': 'application/x-amz-json-1.1' });
        response.end(JSON.stringify({ __type: 'InvalidRequestException', message: `unsupported ${target}` }));
        return;
      }
      reads += 1;
      const { SecretId } = JSON.parse(Buffer.concat(chunks).toString() || '{}');
      if (value === undefined) {
        // What Secrets Manager says of a secret created without a value.
        response.writeHead(400, { 'content-type': 'application/x-amz-json-1.1' });
        response.end(JSON.stringify({ __type: 'ResourceNotFoundException', message: "Secrets Manager can't find the specified secret value for staging label: AWSCURRENT" }));
        return;
      }
      response.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
      response.end(JSON.stringify({ ARN: SecretId, Name: 'webhook', SecretString: value, VersionId: `v${reads}`, CreatedDate: Date.now() / 1000 }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    setValue(next: string | undefined) {
      value = next;
    },
    get reads() {
      return reads;
    },
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}
