import type { FaultPlan } from '../faults.js';
import { listen, type RunningServer } from '../http.js';
import { createSecretsManagerEmulator, type SecretsManagerEmulator } from './index.js';

export interface AwsEmulatorHandle {
  emulator: SecretsManagerEmulator;
  server: RunningServer;
}

/** Starts the Secrets Manager emulator on a loopback port. */
export async function startAws(options: {
  region: string;
  now?: () => Date;
  faults?: FaultPlan;
}): Promise<AwsEmulatorHandle> {
  const emulator = createSecretsManagerEmulator(options);
  const server = await listen(emulator.router.listener);
  return { emulator, server };
}
