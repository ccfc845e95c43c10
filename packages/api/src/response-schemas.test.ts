import type * as v from 'valibot';
import { describe, expectTypeOf, it } from 'vitest';
import type {
  AgentOfflineResponse,
  ApiAgent,
  ApiDestroyReport,
  ApiSpawnReport,
  ApiTask,
  ApiTaskEvent,
  ApiTenant,
  ApiTenantEvent,
  IntakeTaskResponse,
  JoinTokenResponse,
  ListSkillsResponse,
  RegisterAgentResponse,
  RevokeJoinTokenResponse,
  ShowTaskResponse,
  ShowTenantResponse,
  StatusResponse,
} from './api-types.js';
import type {
  agentOfflineResponseSchema,
  apiAgentSchema,
  apiTaskEventSchema,
  apiTaskSchema,
  apiTenantEventSchema,
  apiTenantSchema,
  destroyReportSchema,
  intakeTaskResponseSchema,
  joinTokenResponseSchema,
  listSkillsResponseSchema,
  registerAgentResponseSchema,
  revokeJoinTokenResponseSchema,
  showTaskResponseSchema,
  showTenantResponseSchema,
  spawnReportSchema,
  statusResponseSchema,
} from './response-schemas.js';

type Out<S extends v.GenericSchema> = v.InferOutput<S>;

// Checked by the type checker: what a response schema accepts is a value of its interface, so the
// OpenAPI document never promises more than the TypeScript types do.
describe('response schemas mirror the API types', () => {
  it('each schema output is assignable to its interface', () => {
    expectTypeOf<Out<typeof apiAgentSchema>>().toExtend<ApiAgent>();
    expectTypeOf<Out<typeof listSkillsResponseSchema>>().toExtend<ListSkillsResponse>();
    expectTypeOf<Out<typeof apiTaskSchema>>().toExtend<ApiTask>();
    expectTypeOf<Out<typeof apiTaskEventSchema>>().toExtend<ApiTaskEvent>();
    expectTypeOf<Out<typeof apiTenantSchema>>().toExtend<ApiTenant>();
    expectTypeOf<Out<typeof apiTenantEventSchema>>().toExtend<ApiTenantEvent>();
    expectTypeOf<Out<typeof statusResponseSchema>>().toExtend<StatusResponse>();
    expectTypeOf<Out<typeof registerAgentResponseSchema>>().toExtend<RegisterAgentResponse>();
    expectTypeOf<Out<typeof agentOfflineResponseSchema>>().toExtend<AgentOfflineResponse>();
    expectTypeOf<Out<typeof intakeTaskResponseSchema>>().toExtend<IntakeTaskResponse>();
    expectTypeOf<Out<typeof showTaskResponseSchema>>().toExtend<ShowTaskResponse>();
    expectTypeOf<Out<typeof joinTokenResponseSchema>>().toExtend<JoinTokenResponse>();
    expectTypeOf<Out<typeof revokeJoinTokenResponseSchema>>().toExtend<RevokeJoinTokenResponse>();
    expectTypeOf<Out<typeof spawnReportSchema>>().toExtend<ApiSpawnReport>();
    expectTypeOf<Out<typeof destroyReportSchema>>().toExtend<ApiDestroyReport>();
    expectTypeOf<Out<typeof showTenantResponseSchema>>().toExtend<ShowTenantResponse>();
  });
});
