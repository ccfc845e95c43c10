import type * as v from 'valibot';
import type { HivePort } from './hive-port.js';
import type { Toolset } from './toolsets.js';

/** `T` with every array and object read-only: the API's shapes are read-only, the schemas' outputs are not. */
export type DeepReadonly<T> = T extends (infer E)[]
  ? readonly DeepReadonly<E>[]
  : T extends object
    ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
    : T;

/** What a tool returns: the output schema's shape, read-only. */
export type ToolOutput<O extends v.GenericSchema> = DeepReadonly<v.InferOutput<O>>;

/** What a tool's `run` may use besides its arguments. */
export interface ToolContext {
  /** The daemon, acting as the caller. */
  readonly hive: HivePort;
  /** The agent the caller is (its token's agent), when known: the default `agent_id` of worker tools. */
  readonly agentId: string | undefined;
  /** Aborted when the client cancels the call or goes away: long waits stop at once. */
  readonly signal: AbortSignal;
  /** Sends `notifications/progress` when the client asked for progress (a no-op otherwise). */
  progress(update: { progress: number; total?: number; message: string }): Promise<void>;
}

/** One tool: its name, group, schemas (valibot), what it changes, and what it does. */
export interface ToolDefinition<
  I extends v.GenericSchema = v.GenericSchema,
  O extends v.GenericSchema = v.GenericSchema,
> {
  /** The tool's name, exactly as the issue names it (`submit_task`). */
  readonly name: string;
  readonly title: string;
  /** What it does and when to use it: the model reads this. */
  readonly description: string;
  readonly toolset: Toolset;
  /** True when it changes nothing (kept by `--read-only`). */
  readonly readOnly: boolean;
  /** True when it ends or discards something (cancel, fail). */
  readonly destructive?: boolean;
  /** Arguments, checked by the tool itself (`parseRequest`) so bad input gets colibri's codes. */
  readonly input: I;
  /** The structured result: a response shape of the wire contract. */
  readonly output: O;
  readonly run: (args: v.InferOutput<I>, context: ToolContext) => Promise<ToolOutput<O>>;
  /** A one-line summary for people and models, shown before the JSON. */
  readonly summarize: (output: ToolOutput<O>) => string;
}

/** Keeps `run`'s argument and result types tied to the schemas. */
export function defineTool<I extends v.GenericSchema, O extends v.GenericSchema>(
  tool: ToolDefinition<I, O>,
): ToolDefinition {
  return tool as unknown as ToolDefinition;
}
