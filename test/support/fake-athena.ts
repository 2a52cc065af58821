import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A loopback stand-in for Amazon Athena (AWS JSON 1.1: StartQueryExecution, GetQueryExecution,
 * GetQueryResults, StopQueryExecution), enough for the real SDK client, and for CloudFormation's
 * DescribeStacks (AWS query protocol, XML) so a process can be pointed at it whole with
 * AWS_ENDPOINT_URL. Each query's fate is decided by `plan(sql)`: the states it goes through, then
 * its rows, paged as Athena pages them (a header row first on the first page of a SELECT).
 */

export interface QueryPlan {
  /** States GetQueryExecution reports, one per poll; the last one stays. @default ['RUNNING', 'SUCCEEDED'] */
  readonly states?: string[];
  /** With FAILED or CANCELLED. */
  readonly reason?: string;
  readonly columns?: { name: string; type: string }[];
  /** Values as text; null for NULL (sent as a Datum without VarCharValue). */
  readonly rows?: (string | null)[][];
  /** Rows (the header included) per page. @default 2 */
  readonly pageSize?: number;
  readonly statementType?: string;
  readonly scannedBytes?: number;
  /** StartQueryExecution refuses it: this error, as Athena names it. */
  readonly refuse?: { type: string; message: string };
}

export interface FakeAthenaRequest {
  readonly target: string;
  readonly body: Record<string, any>;
}

interface Execution {
  readonly plan: QueryPlan;
  polls: number;
  stopped: boolean;
}

export async function startFakeAthena(plan: (sql: string) => QueryPlan, stackOutputs: Record<string, Record<string, string>> = {}) {
  const requests: FakeAthenaRequest[] = [];
  const executions = new Map<string, Execution>();
  const json = (response: import('node:http').ServerResponse, status: number, body: unknown) => {
    response.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
    response.end(JSON.stringify(body));
  };
  const state = (e: Execution) => (e.stopped ? 'CANCELLED' : (e.plan.states ?? ['RUNNING', 'SUCCEEDED'])[Math.min(e.polls, (e.plan.states ?? ['RUNNING', 'SUCCEEDED']).length - 1)]);

  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (c) => chunks.push(c));
    request.on('end', () => {
      const text = Buffer.concat(chunks).toString();
      const target = String(request.headers['x-amz-target'] ?? '');
      if (!target) {
        // CloudFormation (query protocol): DescribeStacks only.
        const form = new URLSearchParams(text);
        requests.push({ target: `CloudFormation.${form.get('Action')}`, body: Object.fromEntries(form) });
        const name = form.get('StackName') ?? '';
        const outputs = stackOutputs[name];
        if (form.get('Action') !== 'DescribeStacks' || !outputs) {
          response.writeHead(400, { 'content-type': 'text/xml' });
          response.end(`<ErrorResponse><Error><Type>Sender</Type><Code>ValidationError</Code><Message>Stack with id ${name} does not exist</Message></Error><RequestId>1</RequestId></ErrorResponse>`);
          return;
        }
        const members = Object.entries(outputs).map(([key, value]) => `<member><OutputKey>${key}</OutputKey><OutputValue>${value}</OutputValue></member>`).join('');
        response.writeHead(200, { 'content-type': 'text/xml' });
        response.end(`<DescribeStacksResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><DescribeStacksResult><Stacks><member><StackName>${name}</StackName><StackId>arn:aws:cloudformation:eu-west-1:123456789012:stack/${name}/1</StackId><CreationTime>2025-11-01T00:00:00Z</CreationTime><StackStatus>CREATE_COMPLETE</StackStatus><Outputs>${members}</Outputs></member></Stacks></DescribeStacksResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></DescribeStacksResponse>`);
        return;
      }
      const body = JSON.parse(text || '{}');
      requests.push({ target, body });
      const execution = executions.get(body.QueryExecutionId);
      switch (target) {
        case 'AmazonAthena.StartQueryExecution': {
          const queryPlan = plan(body.QueryString);
          if (queryPlan.refuse) return json(response, 400, { __type: queryPlan.refuse.type, Message: queryPlan.refuse.message });
          const id = `q-${executions.size + 1}`;
          executions.set(id, { plan: queryPlan, polls: 0, stopped: false });
          return json(response, 200, { QueryExecutionId: id });
        }
        case 'AmazonAthena.GetQueryExecution': {
          if (!execution) return json(response, 400, { __type: 'InvalidRequestException', Message: 'QueryExecution not found' });
          const now = state(execution);
          execution.polls += 1;
          const ended = ['FAILED', 'CANCELLED'].includes(now);
          return json(response, 200, {
            QueryExecution: {
              QueryExecutionId: body.QueryExecutionId,
              StatementType: execution.plan.statementType ?? 'DML',
              Status: { State: now, ...(ended && execution.plan.reason ? { StateChangeReason: execution.plan.reason } : {}) },
              Statistics: now === 'SUCCEEDED' ? { DataScannedInBytes: execution.plan.scannedBytes ?? 0 } : {},
            },
          });
        }
        case 'AmazonAthena.GetQueryResults': {
          if (!execution || state(execution) !== 'SUCCEEDED') return json(response, 400, { __type: 'InvalidRequestException', Message: 'Query has not yet finished' });
          const columns = execution.plan.columns ?? [];
          const header = (execution.plan.statementType ?? 'DML') === 'DML' ? [columns.map((c) => c.name)] : [];
          const all = [...header, ...(execution.plan.rows ?? [])];
          const size = Math.min(execution.plan.pageSize ?? 2, body.MaxResults ?? 1000);
          const start = body.NextToken ? Number(body.NextToken) : 0;
          const page = all.slice(start, start + size);
          return json(response, 200, {
            ResultSet: {
              Rows: page.map((values) => ({ Data: values.map((v) => (v === null ? {} : { VarCharValue: v })) })),
              ResultSetMetadata: { ColumnInfo: columns.map((c) => ({ Name: c.name, Label: c.name, Type: c.type, CatalogName: 'hive', SchemaName: '', TableName: '', Nullable: 'UNKNOWN', CaseSensitive: true, Precision: 0, Scale: 0 })) },
            },
            ...(start + size < all.length ? { NextToken: String(start + size) } : {}),
          });
        }
        case 'AmazonAthena.StopQueryExecution':
          if (execution) execution.stopped = true;
          return json(response, 200, {});
        default:
          return json(response, 400, { __type: 'UnknownOperationException', Message: `unsupported ${target}` });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}
