import type { ResolvedIdentity, SkillOffer } from '@colibri/mother';
import { BaseCommand } from '../base-command.js';
import { identityFlags } from '../identity-flags.js';

export default class Identity extends BaseCommand<typeof Identity> {
  static override summary = "Show the agent's resolved identity and which layer each value came from.";
  static override description =
    'An identity is resolved from layers, later ones winning field by field: built-in defaults < image < host ' +
    '< tenant < agent (image.yaml, host.yaml, tenant.yaml, agent.yaml in the identity directory; .yml or ' +
    '.json also work) < flags. Every file is validated: an unknown key or a bad value exits 2 naming the file ' +
    'and the field. When the handlers directory holds skill manifests (<name>.skill.yaml), it also probes the ' +
    'host and shows which skills the agent would offer and why not the others. Works offline: it does not ' +
    'contact the daemon.';
  static override examples = [
    '<%= config.bin %> identity --identity-dir /usr/local/etc/colibri/identity',
    'COLIBRI_IDENTITY_DIR=./identity <%= config.bin %> identity --name acme-worker-2 --json',
  ];
  static override flags = { ...identityFlags };

  async run(): Promise<ResolvedIdentity & { skills?: readonly SkillOffer[] }> {
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
    const skills = await this.#skills(resolved);
    return skills === undefined ? resolved : { ...resolved, skills };
  }

  /**
   * The skills this agent would offer: only when its handlers directory holds manifests (then the
   * host is probed, as run-agent does, because an agent offers a skill only with confirmed tags).
   */
  async #skills(resolved: ResolvedIdentity): Promise<readonly SkillOffer[] | undefined> {
    const mother = await import('@colibri/mother');
    const { handlersDir, capabilities, forceCapabilities } = resolved.identity;
    const manifests = await mother.readSkillManifests(handlersDir);
    if (manifests.length === 0) return undefined;
    const probe = await mother.explainCapabilities({
      platform: process.platform,
      env: process.env,
      root: '/',
    });
    const combined = mother.combineCapabilities({
      declared: capabilities,
      force: forceCapabilities,
      probed: probe.tags,
      absent: probe.absent,
    });
    const offers = mother.offerSkills(manifests, combined.capabilities);
    const { formatSkillOffers } = await import('../format/format-skill-offers.js');
    this.log('');
    this.log(formatSkillOffers(handlersDir, offers));
    return offers;
  }
}
