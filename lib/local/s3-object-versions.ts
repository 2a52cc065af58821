/*
 * s3rver has no ListObjectVersions. Its buckets are unversioned, and for an unversioned bucket S3
 * answers ListObjectVersions with each object as its one version, id `null`; deleting version
 * `null` deletes the object. This adds that answer, so the deletion sweep runs locally unchanged.
 */

/** The part of a Koa context and s3rver's store this needs. */
interface S3rverContext {
  method: string;
  path: string;
  query: Record<string, string | string[] | undefined>;
  type: string;
  body: unknown;
  store: {
    listObjects(bucket: string, options: { prefix?: string; startAfter?: string; maxKeys?: number }): Promise<{
      objects: { key: string; size: number; lastModifiedDate: Date; metadata: Record<string, string> }[];
      isTruncated: boolean;
    }>;
  };
}

const escapeXml = (text: string) => text.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
const MAX_KEYS = 1000;

/** Koa middleware answering `GET /<bucket>?versions` (path-style) as S3 does for an unversioned bucket. */
export async function listObjectVersions(ctx: S3rverContext, next: () => Promise<unknown>): Promise<void> {
  const bucket = /^\/([^/]+)\/?$/.exec(ctx.path)?.[1];
  if (ctx.method !== 'GET' || bucket === undefined || ctx.query.versions === undefined) {
    await next();
    return;
  }
  const one = (name: string) => (typeof ctx.query[name] === 'string' ? (ctx.query[name] as string) : '');
  const prefix = one('prefix');
  const { objects, isTruncated } = await ctx.store.listObjects(decodeURIComponent(bucket), { prefix, startAfter: one('key-marker') || undefined, maxKeys: MAX_KEYS });
  const versions = objects.map(
    (o) =>
      `<Version><Key>${escapeXml(o.key)}</Key><VersionId>null</VersionId><IsLatest>true</IsLatest>` +
      `<LastModified>${o.lastModifiedDate.toISOString()}</LastModified><ETag>${escapeXml(o.metadata.etag ?? '')}</ETag>` +
      `<Size>${o.size}</Size><StorageClass>STANDARD</StorageClass></Version>`,
  );
  const last = objects[objects.length - 1];
  ctx.type = 'application/xml';
  ctx.body =
    '<?xml version="1.0" encoding="UTF-8"?>\n<ListVersionsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">' +
    `<Name>${escapeXml(decodeURIComponent(bucket))}</Name><Prefix>${escapeXml(prefix)}</Prefix><MaxKeys>${MAX_KEYS}</MaxKeys>` +
    `<IsTruncated>${isTruncated}</IsTruncated>` +
    (isTruncated && last ? `<NextKeyMarker>${escapeXml(last.key)}</NextKeyMarker><NextVersionIdMarker>null</NextVersionIdMarker>` : '') +
    versions.join('') +
    '</ListVersionsResult>';
}
