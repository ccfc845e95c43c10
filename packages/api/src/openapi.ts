import { MIN_ID_PREFIX } from '@colibri/protocol';
import { toJsonSchema } from '@valibot/to-json-schema';
import * as v from 'valibot';
import { hintFor, type JsonSchemaFragment } from './json-schema-hints.js';
import { errorEnvelopeSchema } from './response-schemas.js';
import { API_ROUTES, type ApiRoute } from './route-table.js';

/** An OpenAPI 3.1 document as plain JSON. */
export type OpenApiDocument = Readonly<Record<string, unknown>> & {
  readonly openapi: '3.1.0';
  readonly paths: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
};

/** Input for requests (what a client sends), output for answers (what it receives). */
function jsonSchema(schema: v.GenericSchema, mode: 'input' | 'output'): JsonSchemaFragment {
  const { $schema: _, ...json } = toJsonSchema(schema, {
    target: 'draft-2020-12',
    typeMode: mode,
    // A transform or a custom check has no JSON Schema; `documented` hints fill the gaps that matter.
    errorMode: 'ignore',
    overrideSchema: ({ valibotSchema }) => hintFor(valibotSchema) as never,
  }) as Record<string, unknown>;
  return json;
}

/** `/v1/tasks/:id` → `/v1/tasks/{id}`, and the names of its parameters. */
function openApiPath(path: string): { path: string; params: string[] } {
  const params: string[] = [];
  const converted = path
    .split('/')
    .map((segment) => {
      if (!segment.startsWith(':')) return segment;
      params.push(segment.slice(1));
      return `{${segment.slice(1)}}`;
    })
    .join('/');
  return { path: converted, params };
}

/** What an `:id` path segment accepts (colibrid resolves it before the route runs). */
function idParameterDescription(path: string): string {
  return path.startsWith('/v1/agents/')
    ? `The agent: its id, its name, or a unique prefix of its id (${MIN_ID_PREFIX}+ characters; an agent token names only itself)`
    : `The task: its id, or a unique prefix of it (${MIN_ID_PREFIX}+ characters, among the tasks the caller may read)`;
}

function operation(route: ApiRoute): Record<string, unknown> {
  const { params } = openApiPath(route.path);
  const parameters: Record<string, unknown>[] = params.map((name) => ({
    name,
    in: 'path',
    required: true,
    schema: { type: 'string' },
    ...(name === 'id' ? { description: idParameterDescription(route.path) } : {}),
  }));
  if (route.query !== undefined) {
    const query = jsonSchema(route.query, 'input') as {
      properties?: Record<string, unknown>;
      required?: string[];
    };
    for (const [name, schema] of Object.entries(query.properties ?? {})) {
      parameters.push({ name, in: 'query', required: query.required?.includes(name) ?? false, schema });
    }
  }
  const success: Record<string, unknown> = { description: route.summary };
  if (route.response !== undefined) {
    success.content = { 'application/json': { schema: jsonSchema(route.response, 'output') } };
  } else if (route.contentType !== undefined) {
    success.content = { [route.contentType.split(';')[0]!]: { schema: { type: 'string' } } };
  }
  return {
    operationId: route.id,
    summary: route.summary,
    description: `Who may call it: ${route.who}.`,
    ...(route.access === 'public' ? { security: [] } : {}),
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(route.body !== undefined
      ? {
          requestBody: {
            // A body that may be `{}` may also be left out (the daemon reads none as `{}`).
            required: !v.safeParse(route.body, {}).success,
            content: { 'application/json': { schema: jsonSchema(route.body, 'input') } },
          },
        }
      : {}),
    responses: {
      [String(route.status)]: success,
      ...(route.repeatStatus === undefined
        ? {}
        : { [String(route.repeatStatus)]: { ...success, description: 'A repeat: nothing new was created' } }),
      default: {
        description: 'An error: `{ error: { code, message, details } }`, the status from the code',
        content: { 'application/json': { schema: { $ref: '#/components/schemas/ErrorEnvelope' } } },
      },
    },
  };
}

/**
 * colibrid's API as an OpenAPI 3.1 document, generated from {@link API_ROUTES} and their valibot
 * schemas (request bodies and query strings as a client sends them, answers as it receives them).
 */
export function buildOpenApiDocument(options: { version: string }): OpenApiDocument {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of API_ROUTES) {
    const { path } = openApiPath(route.path);
    paths[path] = { ...paths[path], [route.method.toLowerCase()]: operation(route) };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'colibrid',
      version: options.version,
      description:
        "colibri's daemon: HTTP/JSON on a Unix socket (and, when asked, one TCP address). Every route but /healthz needs a bearer token: the operator's, an agent's, or (to register) a one-time join token.",
    },
    servers: [{ url: 'http://colibri', description: 'the Unix socket $COLIBRI_HOME/colibri.sock' }],
    security: [{ bearer: [] }],
    paths,
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      schemas: { ErrorEnvelope: jsonSchema(errorEnvelopeSchema, 'output') },
    },
  };
}
