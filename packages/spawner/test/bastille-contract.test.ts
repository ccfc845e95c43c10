/**
 * The jail driver contract on the bastille driver, against the fake Bastille at both versions
 * the facts describe (0.14 and 1.4.4): same cases as the linux driver.
 */
import { lstat, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { createBastilleDriver } from '../src/bastille/bastille-driver.js';
import { type ContractSetup, describeJailDriverContract } from './contract/jail-driver-contract.js';
import {
  FIXTURE_ENTRY,
  FIXTURE_VERSION,
  writeFakePackage,
  writeFixtureRuntimePackages,
} from './fake-bastille/fake-packages.js';
import { type FakeBastilleVersion, installFakeBastille } from './fake-bastille/install-fake-bastille.js';

function setupFor(version: FakeBastilleVersion): () => Promise<ContractSetup> {
  return async () => {
    const fake = await installFakeBastille({ version });
    const cache = join(fake.root, 'package-cache');
    const packages = await writeFixtureRuntimePackages(cache);
    // A cold cache: pkg and node are there, colibri was never fetched.
    const coldCache = join(fake.root, 'cold-cache');
    for (const pkg of packages.filter(({ name }) => name !== 'colibri')) {
      await writeFakePackage(coldCache, { ...pkg, files: {} });
    }
    let host = 10;
    const driver = createBastilleDriver({
      prefix: fake.prefix,
      release: '14.3-RELEASE',
      address: () => {
        host += 1;
        return `10.17.89.${host}`;
      },
      commands: fake.commands,
    });
    const runtime = { version: FIXTURE_VERSION, entry: FIXTURE_ENTRY, packageCache: cache, packages };
    const home = (name: string) => join(fake.jailRoot(name), 'home', 'agent');
    return {
      driver,
      runtime,
      brokenRuntime: { ...runtime, packageCache: coldCache },
      brokenRuntimeMissing: `colibri-${FIXTURE_VERSION}.pkg`,
      wrongVersionRuntime: { ...runtime, version: '9.9.9' },
      daemon: { url: 'http://10.17.89.1:9190' },
      async readHomeFile(name, file) {
        try {
          return await readFile(join(home(name), file), 'utf8');
        } catch {
          return undefined;
        }
      },
      async statHome(name) {
        try {
          const stat = await lstat(home(name));
          return { uid: stat.uid, gid: stat.gid, mode: stat.mode & 0o7777 };
        } catch {
          return undefined;
        }
      },
      async plantForeignJail(name) {
        await execa(fake.commands.bastille, ['create', name, '14.3-RELEASE', '10.17.89.250'], {
          extendEnv: false,
        });
      },
      snapshot: () => fake.snapshot(),
      cleanup: () => fake.cleanup(),
    };
  };
}

describeJailDriverContract('bastille (fake 0.14.0)', setupFor('0.14.0'));
describeJailDriverContract('bastille (fake 1.4.4)', setupFor('1.4.4'));
