// One separate Node process for the concurrency test: reads its job as JSON from stdin (never
// argv, which every user on the host can read), provisions its tenants with the BUILT
// @colibri/vault (dist), and prints `{ results, steps }` as JSON on stdout.
import { createBitwardenSource, provisionTenants } from '@colibri/vault';

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const job = JSON.parse(Buffer.concat(chunks).toString('utf8'));

const steps = [];
const source = createBitwardenSource({
  serverUrl: job.serverUrl,
  appDataDir: job.appDataDir,
  credentials: job.credentials,
  extraEnv: { NODE_EXTRA_CA_CERTS: job.caCertPath },
});
const results = await provisionTenants({
  source,
  allowedRoot: job.allowedRoot,
  tenants: job.tenants,
  onProgress: (event) => {
    if (event.kind === 'vault-step') steps.push(`${event.step}:${event.ok}`);
  },
});
process.stdout.write(JSON.stringify({ results, steps }));
