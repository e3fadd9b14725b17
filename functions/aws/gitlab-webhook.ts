/** API Gateway HTTP API (v2.0) → the GitLab webhook core → 202/401/400/413. */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { handleGitLabWebhook } from '../../shared/webhooks/gitlab.js';
import { fromApiGateway, toApiGateway, unavailable } from '../lib/http.js';
import { runtime } from '../lib/runtime.js';

export async function handler(
  event: APIGatewayProxyEventV2,
): Promise<APIGatewayProxyStructuredResultV2> {
  let deps: Awaited<ReturnType<Awaited<ReturnType<typeof runtime>>['gitlabWebhook']>>;
  try {
    deps = await (await runtime('aws', 'gitlabWebhook')).gitlabWebhook();
  } catch (err) {
    console.error(JSON.stringify({ message: 'gitlabWebhook cannot start', error: String(err) }));
    return unavailable();
  }
  return toApiGateway(await handleGitLabWebhook(fromApiGateway(event), deps));
}
