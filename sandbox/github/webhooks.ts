/**
 * Webhook deliveries as GitHub sends them: a JSON POST signed with HMAC-SHA256 of the
 * raw body under the hook's secret (`X-Hub-Signature-256: sha256=<hex>`, plus the legacy
 * SHA-1 `X-Hub-Signature`), a GUID per delivery that a redelivery repeats, and a
 * 10-second timeout after which GitHub gives up on the receiver.
 *
 * https://docs.github.com/webhooks/webhook-events-and-payloads#delivery-headers
 * https://docs.github.com/webhooks/using-webhooks/validating-webhook-deliveries
 * https://docs.github.com/webhooks/testing-and-troubleshooting-webhooks/redelivering-webhooks
 */
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { isoSeconds } from './world.js';

export interface HookInput {
  url: string;
  secret: string;
  /** Event names, or `*` for all. */
  events: string[];
  target?: { type: 'repository' | 'organization'; id: number };
}

interface Hook extends HookInput {
  id: number;
  createdAt: Date;
}

export interface DeliveryResult {
  hookId: number;
  /** The `X-GitHub-Delivery` GUID. */
  deliveryId: string;
  event: string;
  /** The receiver's HTTP status; undefined when it did not answer. */
  status?: number;
  /** True for a 2xx answer. */
  ok: boolean;
  /** Why the delivery failed without a status (timeout, refused); never contains the secret. */
  error?: string;
  durationMs: number;
}

interface Delivery {
  id: string;
  hook: Hook;
  event: string;
  body: string;
}

const ZEN = [
  'Design for failure.',
  'Keep it logically awesome.',
  'Anything added dilutes everything else.',
  'Practicality beats purity.',
];

export class WebhookEmitter {
  private readonly hooks: Hook[] = [];
  private readonly deliveries = new Map<string, Delivery>();
  private nextHookId = 1;

  constructor(
    private readonly now: () => Date,
    /** How long a receiver may take before the delivery counts as failed, in ms. */
    private readonly timeoutMs = 10_000,
  ) {}

  add(input: HookInput): { hookId: number } {
    const hook: Hook = {
      ...input,
      events: [...input.events],
      id: this.nextHookId++,
      createdAt: this.now(),
    };
    this.hooks.push(hook);
    return { hookId: hook.id };
  }

  /**
   * Delivers `event` to every hook subscribed to it (every hook for `ping`, whose payload
   * gets `zen`, `hook_id` and `hook` added per hook). Never throws for a failing receiver.
   */
  async emit(event: string, payload: object): Promise<DeliveryResult[]> {
    const targets = this.hooks.filter(
      (h) => event === 'ping' || h.events.includes(event) || h.events.includes('*'),
    );
    return Promise.all(
      targets.map((hook) => {
        const body = JSON.stringify(event === 'ping' ? this.pingPayload(hook, payload) : payload);
        const delivery: Delivery = { id: randomUUID(), hook, event, body };
        this.deliveries.set(delivery.id, delivery);
        return this.send(delivery);
      }),
    );
  }

  /** Sends a past delivery again with the same GUID and body, as "Redeliver" does. */
  async redeliver(deliveryId: string): Promise<DeliveryResult> {
    const delivery = this.deliveries.get(deliveryId);
    if (!delivery) throw new Error(`no delivery with id ${deliveryId}`);
    return this.send(delivery);
  }

  /** https://docs.github.com/webhooks/webhook-events-and-payloads#ping */
  private pingPayload(hook: Hook, payload: object): Record<string, unknown> {
    const zen = ZEN[hook.id % ZEN.length];
    return {
      zen,
      hook_id: hook.id,
      hook: {
        type: hook.target?.type === 'organization' ? 'Organization' : 'Repository',
        id: hook.id,
        name: 'web',
        active: true,
        events: hook.events,
        config: { content_type: 'json', insecure_ssl: '0', url: hook.url },
        created_at: isoSeconds(hook.createdAt),
        updated_at: isoSeconds(hook.createdAt),
      },
      ...payload,
    };
  }

  private async send(delivery: Delivery): Promise<DeliveryResult> {
    const { hook, body } = delivery;
    const sha256 = createHmac('sha256', hook.secret).update(body).digest('hex');
    const sha1 = createHmac('sha1', hook.secret).update(body).digest('hex');
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': `GitHub-Hookshot/${randomBytes(4).toString('hex').slice(0, 7)}`,
      'x-github-event': delivery.event,
      'x-github-delivery': delivery.id,
      'x-github-hook-id': String(hook.id),
      'x-hub-signature-256': `sha256=${sha256}`,
      'x-hub-signature': `sha1=${sha1}`,
    };
    if (hook.target) {
      headers['x-github-hook-installation-target-type'] = hook.target.type;
      headers['x-github-hook-installation-target-id'] = String(hook.target.id);
    }
    const started = Date.now();
    const base = { hookId: hook.id, deliveryId: delivery.id, event: delivery.event };
    try {
      const res = await fetch(hook.url, {
        method: 'POST',
        headers,
        body,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      await res.arrayBuffer();
      return { ...base, status: res.status, ok: res.ok, durationMs: Date.now() - started };
    } catch (err) {
      const error = err instanceof Error ? `${err.name}: ${err.message}` : 'delivery failed';
      return { ...base, ok: false, error, durationMs: Date.now() - started };
    }
  }
}
