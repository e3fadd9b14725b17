/** API Gateway HTTP API (v2.0) → the GitHub webhook core → 200/202/401/400/413. */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { handleGitHubWebhook } from '../../shared/webhooks/github.js';
import { fromApiGateway, toApiGateway, unavailable } from '../lib/http.js';
import { runtime } from '../lib/runtime.js';

export async function handler(
  event: APIGatewayProxyEventV2,
): Promise<APIGatewayProxyStructuredResultV2> {
  let deps: Awaited<ReturnType<Awaited<ReturnType<typeof runtime>>['githubWebhook']>>;
  try {
    deps = await (await runtime('aws', 'githubWebhook')).githubWebhook();
  } catch (err) {
    console.error(JSON.stringify({ message: 'githubWebhook cannot start', error: String(err) }));
    return unavailable();
  }
  return toApiGateway(await handleGitHubWebhook(fromApiGateway(event), deps));
}
