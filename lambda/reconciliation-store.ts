import { Upload } from '@aws-sdk/lib-storage';
import { Transform, type Readable } from 'node:stream';
import { createCallStore, sdkFailure, type CallStoreWithReads, type StorageConfig } from './storage';

/*
 * Reconciliation's storage: the webhook's adapter plus a streamed upload for recordings fetched
 * from the API. Apart, so the webhook's bundle does not carry (or load) the multipart uploader.
 */

/** What reconciliation needs beyond the webhook's writes: read an item, check and stream an object. */
export interface ReconciliationStore extends CallStoreWithReads {
  /**
   * Streams a body of unknown length into S3 with a multipart upload, holding one part in memory.
   * @returns the bytes written
   */
  uploadStream(key: string, body: Readable, contentType: string): Promise<number>;
}

/** Multipart part size: S3's minimum, so memory stays flat whatever the recording's length. */
const UPLOAD_PART_BYTES = 5 * 1024 * 1024;

export function createReconciliationStore(config: StorageConfig): ReconciliationStore {
  return {
    ...createCallStore(config),
    async uploadStream(key, body, contentType) {
      let bytes = 0;
      const counted = new Transform({
        transform(chunk: Buffer, _encoding, done) {
          bytes += chunk.length;
          done(null, chunk);
        },
      });
      body.on('error', (error) => counted.destroy(error));
      try {
        const upload = new Upload({
          client: config.s3,
          params: { Bucket: config.bucketName, Key: key, Body: body.pipe(counted), ContentType: contentType },
          partSize: UPLOAD_PART_BYTES,
          queueSize: 1,
        });
        await upload.done();
        return bytes;
      } catch (error) {
        // The download may still be open: free its socket (the upload itself was aborted by the SDK).
        body.destroy();
        if ((error as Error)?.name === 'ElevenLabsApiError') throw error;
        throw sdkFailure('object', 'S3 multipart upload', error);
      }
    },
  };
}
