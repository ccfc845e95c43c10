// The demo's MCP part: an LLM agent's MCP client, scripted. It starts `colibri mcp` on stdio (as an
// MCP client configured from the README would), submits a task that needs `image-render`, waits for
// it with progress notifications, and prints the result. Kept in its own file so the demo's main
// script stays one story; `demo.mjs` calls it while the media lane is running.
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';

/**
 * @param {{ colibriBin: string, home: string, say: (line: string) => void, laneOf: (agentId: string) => string }} options
 * @returns {Promise<boolean>} true when the task came back done
 */
export async function mcpDemo({ colibriBin, home, say, laneOf }) {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [colibriBin, 'mcp', '--toolsets', 'intake,observe'],
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? home, COLIBRI_HOME: home },
    stderr: 'ignore',
  });
  const client = new Client(
    { name: 'colibri-demo-agent', version: '1.0.0' },
    { versionNegotiation: { mode: 'auto' } },
  );
  await client.connect(transport);
  try {
    const { tools } = await client.listTools();
    say(`  colibri mcp (stdio) offers ${tools.length} tools: ${tools.map((t) => t.name).join(', ')}`);
    const submitted = await client.callTool({
      name: 'submit_task',
      arguments: {
        title: 'render the MCP badge',
        requires: ['image-render'],
        payload: { handler: 'render', text: 'mcp-badge' },
      },
    });
    if (submitted.isError) throw new Error(`submit_task: ${submitted.content[0].text}`);
    const { task, assignedTo } = submitted.structuredContent;
    say(
      `  submit_task "${task.title}" needs image-render -> ${assignedTo === null ? 'parked' : assignedTo.name}`,
    );
    let updates = 0;
    const waited = await client.callTool(
      { name: 'wait_for_task', arguments: { task_id: task.id, timeout_seconds: 60 } },
      { onprogress: () => updates++, resetTimeoutOnProgress: true },
    );
    if (waited.isError) throw new Error(`wait_for_task: ${waited.content[0].text}`);
    const done = waited.structuredContent.task;
    say(
      `  wait_for_task (${updates} progress notification${updates === 1 ? '' : 's'}): ${done.status} on ${laneOf(done.assignedAgentId)}: ${JSON.stringify(done.result)}`,
    );
    return done.status === 'done';
  } finally {
    await client.close();
  }
}
