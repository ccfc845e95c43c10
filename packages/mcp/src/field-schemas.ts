import * as v from 'valibot';

// Small valibot pieces the tools' argument schemas share. Each has a description: the model reads
// it in `tools/list`.

export const integer = (min: number, max: number, description: string) =>
  v.pipe(
    v.number('must be a number'),
    v.integer('must be an integer'),
    v.minValue(min, `must be at least ${min}`),
    v.maxValue(max, `must be at most ${max}`),
    v.description(description),
  );

export const text = (min: number, max: number, description: string) =>
  v.pipe(
    v.string('must be a string'),
    v.minLength(min, min === 1 ? 'must not be empty' : `must be at least ${min} characters`),
    v.maxLength(max, `must be at most ${max} characters`),
    v.description(description),
  );

export const taskId = text(1, 200, 'the task id (from submit_task, list_tasks or claim_next)');

export const attempt = integer(
  0,
  Number.MAX_SAFE_INTEGER,
  'the attempt the task was claimed with (claim_next returns it): the fencing token that refuses a worker whose lease was taken away',
);

export const agentId = v.optional(
  text(1, 200, "the agent's id; default the agent whose token this server presents"),
);

export const tagList = (description: string) =>
  v.pipe(v.array(v.string('must be a string'), 'must be a list of tags'), v.description(description));

export const tenant = (description: string) => v.optional(text(1, 63, description));
