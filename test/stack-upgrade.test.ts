import type { Template } from 'aws-cdk-lib/assertions';
import { oneDeployRefusal, type TemplateIndex } from './support/index-changes';
import { synthStack } from './support/synth-stack';

/*
 * What lets a user on the previous release deploy this one: the table's indexes change by at most
 * one added index, and the retained resources keep their logical ids (a new id would make
 * CloudFormation create a new, empty table or bucket and leave the old one, with every call, out of
 * the stack).
 */

const keys = (hash: string, range: string): TemplateIndex['KeySchema'] => [
  { AttributeName: hash, KeyType: 'HASH' },
  { AttributeName: range, KeyType: 'RANGE' },
];

/**
 * The indexes of the last release (stop 17, the record issue), as its template deployed them.
 * Once this release is out, by_month joins this list, so the next added index is again checked
 * against what users have. (A stack from before by_batch takes two deploys: README, Upgrading.)
 */
const PREVIOUS_RELEASE_INDEXES: TemplateIndex[] = [
  { IndexName: 'by_agent', KeySchema: keys('agent_id', 'start_time_unix_secs'), Projection: { ProjectionType: 'ALL' } },
  { IndexName: 'by_number', KeySchema: keys('external_number', 'start_time_unix_secs'), Projection: { ProjectionType: 'ALL' } },
  { IndexName: 'by_deletion_due', KeySchema: keys('deletion_queue', 'deletion_due_unix_secs'), Projection: { ProjectionType: 'KEYS_ONLY' } },
  { IndexName: 'by_batch', KeySchema: keys('batch_call_id', 'start_time_unix_secs'), Projection: { ProjectionType: 'ALL' } },
];
/** The previous release's key attributes: an index keeps its attribute's type, or it changes. */
const PREVIOUS_RELEASE_KEY_TYPES: Record<string, string> = {
  conversation_id: 'S', agent_id: 'S', start_time_unix_secs: 'N', external_number: 'S', deletion_queue: 'S', deletion_due_unix_secs: 'N', batch_call_id: 'S',
};

/** Every configuration a user may have deployed: the indexes and ids must not depend on options. */
const CONFIGURATIONS = {
  default: synthStack(),
  'every option on': synthStack({ apiReconciliation: {}, honourDeletionSettings: {}, alarmEmail: 'ops@example.com', allowedSourceIps: ['203.0.113.0/24'] }),
};

const tableOf = (template: Template) => {
  const tables = Object.entries(template.findResources('AWS::DynamoDB::Table'));
  expect(tables).toHaveLength(1);
  return { logicalId: tables[0][0], properties: (tables[0][1] as any).Properties };
};

describe.each(Object.entries(CONFIGURATIONS))('upgrading from the previous release (%s)', (_, template) => {
  it('adds at most one index and leaves every existing index as it was', () => {
    const indexes = tableOf(template).properties.GlobalSecondaryIndexes as TemplateIndex[];
    expect(oneDeployRefusal(PREVIOUS_RELEASE_INDEXES, indexes)).toBeUndefined();
    // Each previous index, literally: the check above compares through a helper, this does not.
    for (const previous of PREVIOUS_RELEASE_INDEXES) expect(indexes).toContainEqual(previous);
    expect(indexes.length - PREVIOUS_RELEASE_INDEXES.length).toBeLessThanOrEqual(1);
  });

  it('keeps the table key and the type of every key attribute the previous release defined', () => {
    const { properties } = tableOf(template);
    // A new key schema would replace the table: a new, empty one, the old one retained outside the stack.
    expect(properties.KeySchema).toEqual([{ AttributeName: 'conversation_id', KeyType: 'HASH' }]);
    const types = Object.fromEntries((properties.AttributeDefinitions as any[]).map((a) => [a.AttributeName, a.AttributeType]));
    expect(types).toMatchObject(PREVIOUS_RELEASE_KEY_TYPES);
  });

  it('keeps the logical ids of the retained table, buckets and log groups', () => {
    // Read from a synth once and written here literally: a renamed construct id fails this test.
    expect(tableOf(template).logicalId).toBe('ReceiverCalls68774C43');
    expect(Object.keys(template.findResources('AWS::S3::Bucket')).sort()).toEqual(['ReceiverArchive27957772', 'ReceiverArchiveAccessLogs3DD2EEBD']);
    const versioned = Object.entries(template.findResources('AWS::S3::Bucket')).filter(([, b]: [string, any]) => b.Properties.VersioningConfiguration);
    expect(versioned.map(([id]) => id)).toEqual(['ReceiverArchive27957772']);
    const retainedLogGroups = Object.entries(template.findResources('AWS::Logs::LogGroup')).filter(([, g]: [string, any]) => g.DeletionPolicy === 'Retain').map(([id]) => id);
    expect(retainedLogGroups).toEqual(expect.arrayContaining(['ReceiverHandlerLogs1BFF63D5', 'ReceiverAccessLogs7D533884']));
  });
});

describe('the one-deploy index check', () => {
  const [byAgent, byNumber, byDeletionDue] = PREVIOUS_RELEASE_INDEXES;
  const added = (name: string): TemplateIndex => ({ IndexName: name, KeySchema: keys(`${name}_key`, 'start_time_unix_secs'), Projection: { ProjectionType: 'ALL' } });

  it('accepts the same indexes, and one added', () => {
    expect(oneDeployRefusal(PREVIOUS_RELEASE_INDEXES, [...PREVIOUS_RELEASE_INDEXES])).toBeUndefined();
    expect(oneDeployRefusal(PREVIOUS_RELEASE_INDEXES, [added('by_one'), ...PREVIOUS_RELEASE_INDEXES])).toBeUndefined();
  });

  it('refuses two indexes added in one deploy', () => {
    expect(oneDeployRefusal(PREVIOUS_RELEASE_INDEXES, [...PREVIOUS_RELEASE_INDEXES, added('by_one'), added('by_two')])).toBe(
      'adds 2 indexes (by_one, by_two): CloudFormation adds at most one per stack update',
    );
  });

  it('refuses an existing index with another projection or key schema', () => {
    const keysOnly = { ...byAgent, Projection: { ProjectionType: 'KEYS_ONLY' } };
    expect(oneDeployRefusal(PREVIOUS_RELEASE_INDEXES, [keysOnly, byNumber, byDeletionDue])).toMatch(/^changes existing indexes \(by_agent\)/);
    const otherSortKey = { ...byNumber, KeySchema: keys('external_number', 'call_duration_secs') };
    expect(oneDeployRefusal(PREVIOUS_RELEASE_INDEXES, [byAgent, otherSortKey, byDeletionDue])).toMatch(/^changes existing indexes \(by_number\)/);
    const included = { ...byAgent, Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['cost'] } };
    expect(oneDeployRefusal(PREVIOUS_RELEASE_INDEXES, [included, byNumber, byDeletionDue])).toMatch(/by_agent/);
  });

  it('refuses an index removed, since readers of the previous release still query it', () => {
    expect(oneDeployRefusal(PREVIOUS_RELEASE_INDEXES, [byAgent, byNumber])).toMatch(/^removes indexes \(by_deletion_due, by_batch\)/);
  });
});
