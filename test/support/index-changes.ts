/*
 * What a deploy would do to the calls table's global secondary indexes, compared with a release
 * already deployed. CloudFormation creates or deletes at most one GSI per stack update and cannot
 * change an index in place, so a user upgrading from that release can deploy only when this is
 * at most one index added and nothing else.
 */

/** A GSI as CloudFormation's AWS::DynamoDB::Table holds it (the fields a change would replace it for). */
export interface TemplateIndex {
  readonly IndexName: string;
  readonly KeySchema: readonly { AttributeName: string; KeyType: 'HASH' | 'RANGE' }[];
  readonly Projection: { ProjectionType: string; NonKeyAttributes?: readonly string[] };
}

export interface IndexChanges {
  readonly added: string[];
  readonly removed: string[];
  /** Same name, other key schema or projection: CloudFormation would have to delete and create it. */
  readonly changed: string[];
}

/** Only the fields that define an index, so properties CloudFormation adds or orders do not count. */
const definition = (index: TemplateIndex) =>
  JSON.stringify({ KeySchema: index.KeySchema, Projection: { ProjectionType: index.Projection.ProjectionType, NonKeyAttributes: [...(index.Projection.NonKeyAttributes ?? [])].sort() } });

export function indexChanges(deployed: readonly TemplateIndex[], next: readonly TemplateIndex[]): IndexChanges {
  const before = new Map(deployed.map((index) => [index.IndexName, index]));
  const after = new Map(next.map((index) => [index.IndexName, index]));
  return {
    added: [...after.keys()].filter((name) => !before.has(name)),
    removed: [...before.keys()].filter((name) => !after.has(name)),
    changed: [...after.values()].filter((index) => before.has(index.IndexName) && definition(index) !== definition(before.get(index.IndexName)!)).map((index) => index.IndexName),
  };
}

/** Why one deploy from `deployed` to `next` would fail, or undefined when CloudFormation can apply it. */
export function oneDeployRefusal(deployed: readonly TemplateIndex[], next: readonly TemplateIndex[]): string | undefined {
  const { added, removed, changed } = indexChanges(deployed, next);
  if (changed.length > 0) return `changes existing indexes (${changed.join(', ')}): CloudFormation cannot change an index in place`;
  if (removed.length > 0) return `removes indexes (${removed.join(', ')}): readers of the previous release still query them`;
  if (added.length > 1) return `adds ${added.length} indexes (${added.join(', ')}): CloudFormation adds at most one per stack update`;
  return undefined;
}
