import type { Template } from 'aws-cdk-lib/assertions';
import { synthStack } from './support/synth-stack';

/*
 * Least privilege on the calls table and its indexes, with every option on: each function's
 * DynamoDB grants, written out in full, so a new index, a Table.grant* call or a wildcard that
 * widens them fails here rather than reaching a deployed role.
 */

const template = synthStack({ apiReconciliation: {}, honourDeletionSettings: {}, alarmEmail: 'ops@example.com' });
const tableId = Object.keys(template.findResources('AWS::DynamoDB::Table'))[0];

/** A resource as text: the table's ARN is `table`, anything the CDK joined onto it follows it. */
function resourceText(resource: unknown): string {
  const isTableArn = (value: any) => JSON.stringify(value) === JSON.stringify({ 'Fn::GetAtt': [tableId, 'Arn'] });
  if (isTableArn(resource)) return 'table';
  if (JSON.stringify(resource) === JSON.stringify({ 'Fn::GetAtt': [tableId, 'StreamArn'] })) return 'table stream';
  const join = (resource as any)?.['Fn::Join'];
  if (join && join[0] === '') return (join[1] as unknown[]).map((part) => (isTableArn(part) ? 'table' : typeof part === 'string' ? part : JSON.stringify(part))).join('');
  return JSON.stringify(resource);
}

/** Every statement of every identity policy in the stack, with the function whose role holds it. */
function statementsByFunction(t: Template): { holder: string; statement: any }[] {
  const functionOfRole = new Map(
    Object.entries(t.findResources('AWS::Lambda::Function')).map(([id, fn]: [string, any]) => [fn.Properties.Role['Fn::GetAtt'][0], id.replace(/[0-9A-F]{8}$/, '')]),
  );
  const holderOf = (roles: any[] = []) => roles.map((r) => functionOfRole.get(r.Ref) ?? `role ${r.Ref}`).join(',');
  const policies = Object.values({ ...t.findResources('AWS::IAM::Policy'), ...t.findResources('AWS::IAM::ManagedPolicy') }) as any[];
  const inline = Object.entries(t.findResources('AWS::IAM::Role')).flatMap(([id, role]: [string, any]) =>
    (role.Properties.Policies ?? []).map((p: any) => ({ holder: functionOfRole.get(id) ?? `role ${id}`, document: p.PolicyDocument })),
  );
  return [...policies.map((p) => ({ holder: holderOf(p.Properties.Roles), document: p.Properties.PolicyDocument })), ...inline].flatMap(({ holder, document }) =>
    (document.Statement as any[]).map((statement) => ({ holder, statement })),
  );
}

const list = (value: unknown) => ([] as unknown[]).concat(value ?? []);

describe('access to the calls table and its indexes (every option on)', () => {
  const statements = statementsByFunction(template);
  const touchesDynamoDB = ({ statement }: { statement: any }) => [...list(statement.Action), ...list(statement.NotAction)].some((a) => String(a).startsWith('dynamodb:') || a === '*');

  it('is exactly: the webhook updates items; the reconciler reads and updates them; the sweeper queries by_deletion_due and reads and updates items; the stream function reads the stream', () => {
    const grants = statements
      .filter(touchesDynamoDB)
      .flatMap(({ holder, statement }) => list(statement.Action).flatMap((action) => list(statement.Resource).map((resource) => `${holder}: ${statement.Effect} ${action} on ${resourceText(resource)}`)))
      .sort();
    expect(grants).toEqual([
      'ReceiverApiReconciliationReconciler: Allow dynamodb:GetItem on table',
      'ReceiverApiReconciliationReconciler: Allow dynamodb:UpdateItem on table',
      'ReceiverCallAnalyticsStreamFunction: Allow dynamodb:DescribeStream on table stream',
      'ReceiverCallAnalyticsStreamFunction: Allow dynamodb:GetRecords on table stream',
      'ReceiverCallAnalyticsStreamFunction: Allow dynamodb:GetShardIterator on table stream',
      // ListStreams has no resource-level permissions: IAM takes only "*" (acknowledged for cdk-nag).
      'ReceiverCallAnalyticsStreamFunction: Allow dynamodb:ListStreams on "*"',
      'ReceiverDeletionSweepSweeper: Allow dynamodb:GetItem on table',
      'ReceiverDeletionSweepSweeper: Allow dynamodb:Query on table/index/by_deletion_due',
      'ReceiverDeletionSweepSweeper: Allow dynamodb:UpdateItem on table',
      'ReceiverHandler: Allow dynamodb:UpdateItem on table',
    ]);
  });

  it('uses no NotAction, NotResource or condition that could stand in for those grants', () => {
    for (const { statement } of statements.filter(touchesDynamoDB)) {
      expect(statement).not.toHaveProperty('NotAction');
      expect(statement).not.toHaveProperty('NotResource');
      expect(statement).not.toHaveProperty('Condition');
    }
  });

  it('has no resource policy on the table', () => {
    expect(Object.keys(template.findResources('AWS::DynamoDB::ResourcePolicy'))).toEqual([]);
    expect(Object.values(template.findResources('AWS::DynamoDB::Table'))[0]).not.toHaveProperty('Properties.ResourcePolicy');
  });
});
