/** API Gateway HTTP API (payload v2.0) ↔ the core's webhook request and answer. */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import {
  lowerCaseHeaders,
  type WebhookRequest,
  type WebhookResponse,
} from '../../shared/webhooks/http.js';

export function fromApiGateway(event: APIGatewayProxyEventV2): WebhookRequest {
  const raw = event.body ?? '';
  return {
    headers: lowerCaseHeaders(event.headers),
    body: event.isBase64Encoded ? Buffer.from(raw, 'base64').toString('utf8') : raw,
  };
}

export function toApiGateway(res: WebhookResponse): APIGatewayProxyStructuredResultV2 {
  return {
    statusCode: res.status,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(res.body),
  };
}

/** The answer when the function itself cannot start (configuration, secrets). */
export function unavailable(): APIGatewayProxyStructuredResultV2 {
  return toApiGateway({
    status: 503,
    body: { message: 'credrot cannot handle webhooks right now; see the function logs' },
  });
}
