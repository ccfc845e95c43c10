// Part 2: join the hive — a tenant, its .env (0600, with a one-time join token) provisioned from
// the directory secret source, its agent; the tenant agent borrows the media lane's image-render
// through a sub-task of its own tenant.
import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { colibriBin, say, step } from './hive.mjs';

export const name = 'tenant';

export function handlers(hive) {
  // The tenant's report needs an image: it borrows the media lane through a sub-task of its own tenant.
  hive.handler(
    'report',
    `cat >/dev/null\nsub=$("${process.execPath}" "${colibriBin}" intake-task --title "chart for the report" --tenant "$COLIBRI_TENANT" --capabilities image-render --payload '{"handler":"render","text":"quarterly-chart"}' --wait 60 --json)\nprintf '{"report":"done","borrowed":%s}\\n' "$sub"`,
  );
}

export async function run(hive) {
  step('join the hive: a tenant, its .env (0600, with a one-time join token), its agent');
  const tenant = 'acme';
  const registeredTenant = await hive.colibri(['register-tenant', tenant]);
  say(
    `  colibri register-tenant ${tenant}: ${registeredTenant.tenant.status}, jail ${registeredTenant.tenant.jail}, collection ${registeredTenant.tenant.collection}`,
  );
  const joinToken = await hive.colibri(['join-token', '--tenant', tenant, '--ttl', '600']);
  const secretsDir = join(hive.work, 'secrets');
  mkdirSync(secretsDir, { recursive: true, mode: 0o700 });
  writeFileSync(
    join(secretsDir, `${tenant}.env`),
    `ACME_API_KEY='demo-not-a-secret'\nCOLIBRI_JOIN_TOKEN='${joinToken.token}'\n`,
    { mode: 0o600 },
  );
  const jailRoot = join(hive.work, 'jails');
  const jailHome = join(jailRoot, tenant, 'home', 'agent');
  mkdirSync(jailHome, { recursive: true, mode: 0o700 });
  const provisioned = await hive.colibri([
    'provision-tenant',
    tenant,
    '--source',
    'directory',
    '--secrets-dir',
    secretsDir,
    '--jail-root',
    jailRoot,
    '--owner',
    `${process.getuid()}:${process.getgid()}`,
  ]);
  const envFile = join(jailHome, '.env');
  const mode = (statSync(envFile).mode & 0o777).toString(8);
  const outcome = Array.isArray(provisioned)
    ? provisioned[0]?.outcome
    : (provisioned.results?.[0]?.outcome ?? JSON.stringify(provisioned));
  say(`  colibri provision-tenant ${tenant} --source directory: ${outcome}, ${envFile} mode 0${mode}`);
  const tenantAgent = hive.startAgent(
    'acme-agent',
    `tenant ${tenant}`,
    hive.identityDir(
      'acme-agent',
      { capabilities: ['linux', 'report'], forceCapabilities: ['linux'] },
      { tenant, envFile },
    ),
  );
  await hive.registered(tenantAgent);

  step('the tenant agent borrows the media lane: its handler intakes an image-render sub-task and waits');
  const { task: report } = await hive.operator.intakeTask({
    title: 'quarterly report',
    tenant,
    requiredCapabilities: ['report'],
    payload: { handler: 'report' },
  });
  const reportDone = await hive.finished(report.id);
  const borrowed = reportDone.result?.borrowed?.task;
  say(
    `  "quarterly report" (tenant ${tenant}) -> ${hive.laneOf(reportDone.assignedAgentId)}: ${reportDone.status}`,
  );
  if (borrowed) {
    say(
      `    its sub-task "${borrowed.title}" (tenant ${borrowed.tenant}, needs image-render) -> ${hive.laneOf(borrowed.assignedAgentId)}: ${JSON.stringify(borrowed.result)}`,
    );
  } else {
    say(`    result: ${JSON.stringify(reportDone.result)}`);
    hive.failed = true;
  }
}
