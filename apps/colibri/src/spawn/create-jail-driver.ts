import type { JailDriver } from '@colibri/spawner';
import type { DriverConfig } from './resolve-spawn-config.js';

/** The jail driver a resolved configuration names (the spawner is loaded only here, lazily). */
export async function createJailDriver(config: DriverConfig): Promise<JailDriver> {
  const spawner = await import('@colibri/spawner');
  if (config.kind === 'linux') {
    return spawner.createLinuxDriver({
      jailRoot: config.jailRoot,
      network: config.network,
      ...(config.tmpfsSizeBytes === undefined ? {} : { tmpfsSizeBytes: config.tmpfsSizeBytes }),
    });
  }
  const ip = config.ip;
  return spawner.createBastilleDriver({
    ...(config.prefix === undefined ? {} : { prefix: config.prefix }),
    release: config.release,
    address: () => ip,
  });
}
