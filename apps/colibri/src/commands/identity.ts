import type { ResolvedIdentity } from '@colibri/mother';
import { BaseCommand } from '../base-command.js';
import { identityFlags } from '../identity-flags.js';

export default class Identity extends BaseCommand<typeof Identity> {
  static override summary = "Show the agent's resolved identity and which layer each value came from.";
  static override description =
    'An identity is resolved from layers, later ones winning field by field: built-in defaults < image < host ' +
    '< tenant < agent (image.yaml, host.yaml, tenant.yaml, agent.yaml in the identity directory; .yml or ' +
    '.json also work) < flags. Every file is validated: an unknown key or a bad value exits 2 naming the file ' +
    'and the field. Works offline: it does not contact the daemon.';
  static override examples = [
    '<%= config.bin %> identity --identity-dir /usr/local/etc/colibri/identity',
    'COLIBRI_IDENTITY_DIR=./identity <%= config.bin %> identity --name acme-worker-2 --json',
  ];
  static override flags = { ...identityFlags };

  async run(): Promise<ResolvedIdentity> {
    const [{ IDENTITY_FIELDS, resolveIdentity }, { identityOptionsFrom }, { formatIdentity }, os] =
      await Promise.all([
        import('@colibri/mother'),
        import('../identity-flags.js'),
        import('../format/format-identity.js'),
        import('node:os'),
      ]);
    const config = await this.cliConfig();
    const resolved = await resolveIdentity(
      identityOptionsFrom(this.flags, {
        env: process.env,
        cwd: process.cwd(),
        homedir: os.homedir(),
        colibriHome: config.home,
      }),
    );
    this.log(formatIdentity(resolved, IDENTITY_FIELDS));
    return resolved;
  }
}
