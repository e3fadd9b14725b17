/**
 * Where "noticed today" is remembered. Durable choices keep it on the credential's primary
 * store, next to the rotation state, so no extra service is needed and every function
 * instance agrees: the AWS tag `credrot:noticed-on`, or the GCP annotation
 * `credrot-noticed-on` (written with the secret's etag). A watcher has no store: its notices
 * are remembered per function instance only (`MemoryNoticeLog`), so a cold start may send a
 * second notice the same day.
 *
 * Two instances noticing the same credential at the same moment may both send: the check
 * and the record are not one atomic step. That costs a duplicate message, never a lost one.
 */
import {
  DescribeSecretCommand,
  type SecretsManagerClient,
  TagResourceCommand,
} from '@aws-sdk/client-secrets-manager';
import type { SecretManagerServiceClient } from '@google-cloud/secret-manager';
import type { NoticeLog } from './notice.js';

export const NOTICED_TAG = 'credrot:noticed-on';
export const NOTICED_ANNOTATION = 'credrot-noticed-on';

export class MemoryNoticeLog implements NoticeLog {
  private readonly days = new Map<string, string>();
  async lastNoticed(credential: string): Promise<string | undefined> {
    return this.days.get(credential);
  }
  async record(credential: string, day: string): Promise<void> {
    this.days.set(credential, day);
  }
}

/** The tag on the credential's primary AWS secret. */
export class AwsTagNoticeLog implements NoticeLog {
  constructor(
    private readonly client: SecretsManagerClient,
    private readonly secretId: string,
  ) {}

  async lastNoticed(): Promise<string | undefined> {
    const out = await this.client.send(new DescribeSecretCommand({ SecretId: this.secretId }));
    return out.Tags?.find((t) => t.Key === NOTICED_TAG)?.Value;
  }

  async record(_credential: string, day: string): Promise<void> {
    await this.client.send(
      new TagResourceCommand({ SecretId: this.secretId, Tags: [{ Key: NOTICED_TAG, Value: day }] }),
    );
  }
}

/** The annotation on the credential's primary GCP secret, written with its etag. */
export class GcpAnnotationNoticeLog implements NoticeLog {
  private readonly name: string;

  constructor(
    private readonly client: SecretManagerServiceClient,
    project: string,
    secret: string,
  ) {
    this.name = `projects/${project}/secrets/${secret}`;
  }

  async lastNoticed(): Promise<string | undefined> {
    const [secret] = await this.client.getSecret({ name: this.name });
    return secret.annotations?.[NOTICED_ANNOTATION] ?? undefined;
  }

  async record(_credential: string, day: string): Promise<void> {
    for (let attempt = 1; attempt <= 3; attempt++) {
      const [secret] = await this.client.getSecret({ name: this.name });
      try {
        await this.client.updateSecret({
          secret: {
            name: this.name,
            etag: secret.etag ?? '',
            annotations: { ...(secret.annotations ?? {}), [NOTICED_ANNOTATION]: day },
          },
          updateMask: { paths: ['annotations'] },
        });
        return;
      } catch (err) {
        // 9 FAILED_PRECONDITION / 10 ABORTED: the etag moved (a rotation wrote); re-read.
        const code = (err as { code?: unknown }).code;
        if ((code !== 9 && code !== 10) || attempt === 3) throw err;
      }
    }
  }
}
