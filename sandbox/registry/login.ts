/**
 * `docker login` and a pull (or push) as a client walks them, one hop at a time, for
 * tests and the demo. The walk itself is credrot's production verifier
 * (`probeRegistry` in shared/registry/probe.ts), so what a test proves about the
 * sandbox registry is what credrot checks before promoting a registry credential.
 */
import {
  probeRegistry,
  type RegistryHop,
  type RegistryHopName,
  type RegistryProbeOptions,
  type RegistryProbeResult,
} from '../../shared/registry/probe.js';
import type { RegistryCredentials } from './token-client.js';

export type LoginStepName = RegistryHopName;
export type LoginStep = RegistryHop;
export type DockerLoginResult = RegistryProbeResult;
export type DockerLoginOptions = Omit<RegistryProbeOptions, 'fetch'>;

/** Walks the login (and optional pull/push) flow against `registry` and reports every hop. */
export function dockerLogin(
  registry: { url: string } | string,
  credentials: RegistryCredentials,
  opts: DockerLoginOptions = {},
): Promise<DockerLoginResult> {
  return probeRegistry(typeof registry === 'string' ? registry : registry.url, credentials, opts);
}
