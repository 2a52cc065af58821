/**
 * The one definition of the calls table's keys and indexes. The CDK construct builds the deployed
 * table from it and `npm start` creates the local table from it, so the two cannot drift.
 * Plain data, no CDK import: the local server and the command-line tools load it cheaply.
 */
export type KeyAttribute = { readonly name: string; readonly type: 'S' | 'N' };

export interface CallsIndex {
  readonly indexName: string;
  readonly partitionKey: KeyAttribute;
  readonly sortKey: KeyAttribute;
  /** `KEYS_ONLY` for indexes that only find items to read afresh. @default 'ALL' */
  readonly projection?: 'ALL' | 'KEYS_ONLY';
}

export const CALLS_PARTITION_KEY: KeyAttribute = { name: 'conversation_id', type: 'S' };

/** "An agent's calls in a time range": agent_id + start time. */
export const BY_AGENT_INDEX: CallsIndex = {
  indexName: 'by_agent',
  partitionKey: { name: 'agent_id', type: 'S' },
  sortKey: { name: 'start_time_unix_secs', type: 'N' },
};

/** "Every call with one phone number": the caller's (or callee's) number + start time. */
export const BY_NUMBER_INDEX: CallsIndex = {
  indexName: 'by_number',
  partitionKey: { name: 'external_number', type: 'S' },
  sortKey: { name: 'start_time_unix_secs', type: 'N' },
};

/** "One outbound campaign's calls": ElevenLabs' batch call id + start time (sparse: campaign calls only). */
export const BY_BATCH_INDEX: CallsIndex = {
  indexName: 'by_batch',
  partitionKey: { name: 'batch_call_id', type: 'S' },
  sortKey: { name: 'start_time_unix_secs', type: 'N' },
};

/**
 * "Every call, newest first": the month the call started (`2026-12`, UTC) + start time. A call
 * enters it once it has a start time (a transcription or a failure; audio alone has none). Keys
 * only: the list reads a page of keys, then those items afresh, so each write copies ~100 bytes
 * here rather than the whole item. Months rather than days: a period is read in a few queries
 * (a year in 12), and the write load per key at any moment is the same either way.
 */
export const BY_MONTH_INDEX: CallsIndex = {
  indexName: 'by_month',
  partitionKey: { name: 'start_month', type: 'S' },
  sortKey: { name: 'start_time_unix_secs', type: 'N' },
  projection: 'KEYS_ONLY',
};

/** The value of {@link BY_DELETION_DUE_INDEX}'s partition key while a call has a deletion to carry out. */
export const DELETION_QUEUE_DUE = 'due';

/**
 * "Calls whose ElevenLabs deletion time has come": sparse, since only calls with a deletion
 * scheduled carry `deletion_queue`; the deletion sweep removes it once done.
 */
export const BY_DELETION_DUE_INDEX: CallsIndex = {
  indexName: 'by_deletion_due',
  partitionKey: { name: 'deletion_queue', type: 'S' },
  sortKey: { name: 'deletion_due_unix_secs', type: 'N' },
  projection: 'KEYS_ONLY',
};

export const CALLS_INDEXES: readonly CallsIndex[] = [BY_AGENT_INDEX, BY_NUMBER_INDEX, BY_DELETION_DUE_INDEX, BY_BATCH_INDEX, BY_MONTH_INDEX];

/** Items carrying this attribute (unix seconds) expire when a retention period is configured. */
export const EXPIRY_ATTRIBUTE = 'expires_at';

/** The table as a DynamoDB CreateTable request (on-demand), for emulators and tools. */
export function callsTableCreateInput(tableName: string) {
  const keyAttributes = [CALLS_PARTITION_KEY, ...CALLS_INDEXES.flatMap((i) => [i.partitionKey, i.sortKey])];
  const uniqueAttributes = [...new Map(keyAttributes.map((a) => [a.name, a])).values()];
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST' as const,
    AttributeDefinitions: uniqueAttributes.map((a) => ({ AttributeName: a.name, AttributeType: a.type })),
    KeySchema: [{ AttributeName: CALLS_PARTITION_KEY.name, KeyType: 'HASH' as const }],
    GlobalSecondaryIndexes: CALLS_INDEXES.map((i) => ({
      IndexName: i.indexName,
      KeySchema: [
        { AttributeName: i.partitionKey.name, KeyType: 'HASH' as const },
        { AttributeName: i.sortKey.name, KeyType: 'RANGE' as const },
      ],
      Projection: { ProjectionType: i.projection ?? 'ALL' },
    })),
  };
}
