import type { ListSkillsResponse } from '@colibri/api';
import { BaseCommand } from '../base-command.js';

export default class ListSkills extends BaseCommand<typeof ListSkills> {
  static override summary =
    'List the skills offered in the hive: what each does, who offers it, its payload schema.';
  static override description =
    'A skill is a handler with a manifest beside it (<handlersDir>/<name>.skill.yaml) declaring a one-line ' +
    'description, the tags it needs and optionally a JSON Schema for its payload. An agent offers a skill only ' +
    'when its own tags include every required one; the others are listed as declined with what they lack. ' +
    'Submit work with `colibri intake-task --skill NAME`. When agents offer one name with different manifests, ' +
    'the skill is marked CONFLICT and a task must name one as NAME@DIGEST. With --json: every variant with its ' +
    'payload schema, what an LLM agent needs to build a valid payload.';
  static override examples = ['<%= config.bin %> list-skills', '<%= config.bin %> list-skills --json'];

  async run(): Promise<ListSkillsResponse> {
    const response = await (await this.client()).listSkills();
    const { formatSkills } = await import('../format/format-skills.js');
    this.log(formatSkills(response.skills));
    return response;
  }
}
