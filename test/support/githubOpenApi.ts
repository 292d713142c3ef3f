/**
 * GitHub's published OpenAPI description (@octokit/openapi, api.github.com.json) as a validator for
 * the exchanges a fake GitHub API takes part in, so the fake cannot drift from the real API: a
 * request is checked against the operation its method and path select (path and query parameters,
 * JSON body), a response against the schema that operation documents for its status.
 *
 * The description is OpenAPI 3.0, whose schemas are nearly JSON Schema: `nullable` becomes a union
 * with null, `$ref`s to #/components/schemas point into one shared ajv schema, and annotation-only
 * keywords are dropped. The 13 MB file is read once per module instance (one per jest test file) and
 * each operation's validators are compiled on first use and cached; the deref file is not used
 * because it is six times larger and loses the sharing that keeps compilation cheap.
 */

import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';

export interface OpenApiRequest {
  method: string;
  /** Concrete path without the query string, e.g. "/repos/o/r/issues/1/comments". */
  path: string;
  query: Record<string, string>;
  /** Parsed JSON body, undefined when the request had none. */
  body: unknown;
}

export interface OpenApiResponse {
  method: string;
  path: string;
  status: number;
  /** Parsed JSON body, undefined when the response had none. */
  body: unknown;
}

export interface OpenApiVerdict {
  /** GitHub's operationId, e.g. "issues/create-comment"; absent when no operation matches. */
  operationId?: string;
  /** Empty when the exchange is valid; each names where (a JSON pointer) and what is wrong. */
  problems: string[];
}

export interface GitHubOpenApi {
  validateRequest(request: OpenApiRequest): OpenApiVerdict;
  validateResponse(response: OpenApiResponse): OpenApiVerdict;
  /** Compiles an operation's validators ahead of use, so the first request pays no compile time. */
  prepare(method: string, template: string): void;
}

export const GITHUB_OPENAPI_FILE = path.resolve(
  path.dirname(new URL(import.meta.url).pathname),
  '..',
  '..',
  'node_modules',
  '@octokit',
  'openapi',
  'generated',
  'api.github.com.json'
);

/**
 * Statuses GitHub can answer on any operation, whether or not the description lists them for it:
 * 401 for missing or bad credentials, 403 and 429 for rate limits, 404 for what the token cannot
 * see, and 5xx from its front ends (https://docs.github.com/rest/using-the-rest-api/troubleshooting-the-rest-api).
 * Their bodies are GitHub's basic error. Any other undocumented status is reported.
 */
const ANY_OPERATION_STATUSES: ReadonlySet<number> = new Set([401, 403, 404, 429, 500, 502, 503, 504]);
/** "Problems parsing JSON" and "Body should be a JSON object", on any operation that takes a body. */
const BODY_OPERATION_STATUSES: ReadonlySet<number> = new Set([400]);

const ROOT_ID = 'https://api.github.com/openapi.json';
const SCHEMA_REF_PREFIX = '#/components/schemas/';
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

export class OpenApiDescriptionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OpenApiDescriptionError';
  }
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

interface ParameterObject {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required?: boolean;
  schema?: JsonObject;
}

interface Operation {
  operationId: string;
  method: string;
  template: string;
  pattern: RegExp;
  pathNames: string[];
  literalSegments: number;
  spec: JsonObject;
  compiled?: CompiledOperation;
}

interface CompiledOperation {
  parameters: ValidateFunction;
  body?: ValidateFunction;
  bodyRequired: boolean;
  /** Per documented status: a validator, or 'empty' when the status has no JSON content. */
  responses: Map<number, ValidateFunction | 'empty'>;
}

let loading: Promise<GitHubOpenApi> | undefined;

/** The description, parsed and indexed once per module instance; later calls share the same one. */
export function loadGitHubOpenApi(file: string = GITHUB_OPENAPI_FILE): Promise<GitHubOpenApi> {
  if (file !== GITHUB_OPENAPI_FILE) return buildFromFile(file);
  loading ??= buildFromFile(file);
  return loading;
}

async function buildFromFile(file: string): Promise<GitHubOpenApi> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new OpenApiDescriptionError(
      `Cannot read GitHub's OpenAPI description at ${file} (${error instanceof Error ? error.message : String(error)}); run npm ci so @octokit/openapi is installed.`
    );
  }
  return buildGitHubOpenApi(JSON.parse(text) as JsonObject);
}

export function buildGitHubOpenApi(description: JsonObject): GitHubOpenApi {
  const components = asObject(description.components);
  const schemas = asObject(components.schemas);
  const formats = new Set<string>();
  const definitions: JsonObject = {};
  for (const [name, schema] of Object.entries(schemas)) definitions[name] = toJsonSchema(schema, formats);

  const bodyAjv = new Ajv({ strict: false, allErrors: true, validateSchema: false });
  // Query and path values arrive as strings; coercion lets "2" satisfy an integer parameter and "x" fail it.
  const parameterAjv = new Ajv({ strict: false, allErrors: true, validateSchema: false, coerceTypes: true });
  for (const ajv of [bodyAjv, parameterAjv]) ajv.addSchema({ $id: ROOT_ID, definitions });
  const registered = new Set<string>();
  // Operations' inline schemas can name formats the components do not, so this runs before every compile.
  const registerNewFormats = (): void => {
    for (const format of formats) {
      if (registered.has(format)) continue;
      for (const ajv of [bodyAjv, parameterAjv]) registerFormat(ajv, format);
      registered.add(format);
    }
  };
  registerNewFormats();

  const operations = indexOperations(asObject(description.paths));
  let basicError: ValidateFunction | undefined;
  const basicErrorValidator = (): ValidateFunction => (basicError ??= bodyAjv.compile({ $ref: schemaRef('basic-error') }));

  const resolve = <T>(node: Json | undefined, kind: 'parameters' | 'responses' | 'requestBodies'): T => {
    const object = asObject(node ?? {});
    const ref = object.$ref;
    if (typeof ref !== 'string') return object as unknown as T;
    const prefix = `#/components/${kind}/`;
    if (!ref.startsWith(prefix)) throw new OpenApiDescriptionError(`Unexpected $ref ${ref} where a ${kind} entry belongs.`);
    return asObject(asObject(components[kind])[ref.slice(prefix.length)]) as unknown as T;
  };

  function compile(operation: Operation): CompiledOperation {
    if (operation.compiled) return operation.compiled;
    const properties: { path: JsonObject; query: JsonObject } = { path: {}, query: {} };
    const required: { path: string[]; query: string[] } = { path: [], query: [] };
    for (const entry of asArray(operation.spec.parameters ?? [])) {
      const parameter = resolve<ParameterObject>(entry, 'parameters');
      if (parameter.in !== 'path' && parameter.in !== 'query') continue;
      properties[parameter.in][parameter.name] = toJsonSchema(parameter.schema ?? {}, formats);
      if (parameter.required || parameter.in === 'path') required[parameter.in].push(parameter.name);
    }
    registerNewFormats();
    const parameters = parameterAjv.compile({
      type: 'object',
      properties: {
        path: { type: 'object', properties: properties.path, required: required.path, additionalProperties: false },
        query: { type: 'object', properties: properties.query, required: required.query, additionalProperties: false }
      }
    });

    const requestBody = operation.spec.requestBody === undefined ? undefined : resolve<JsonObject>(operation.spec.requestBody, 'requestBodies');
    const bodySchema = requestBody && asObject(asObject(requestBody.content ?? {})['application/json'] ?? {}).schema;
    const compileBody = (schema: Json): ValidateFunction => {
      const converted = toJsonSchema(schema, formats) as object;
      registerNewFormats();
      return bodyAjv.compile(converted);
    };
    const body = bodySchema === undefined ? undefined : compileBody(bodySchema);

    const responses = new Map<number, ValidateFunction | 'empty'>();
    for (const [status, entry] of Object.entries(asObject(operation.spec.responses ?? {}))) {
      if (!/^\d{3}$/.test(status)) continue;
      const response = resolve<JsonObject>(entry, 'responses');
      const schema = asObject(asObject(response.content ?? {})['application/json'] ?? {}).schema;
      responses.set(Number(status), schema === undefined ? 'empty' : compileBody(schema));
    }
    operation.compiled = { parameters, body, bodyRequired: requestBody?.required === true, responses };
    return operation.compiled;
  }

  function find(method: string, concretePath: string): { operation: Operation; pathValues: Record<string, string> } | undefined {
    const segments = concretePath.split('/').length;
    for (const operation of operations.get(`${method.toLowerCase()} ${segments}`) ?? []) {
      const match = operation.pattern.exec(concretePath);
      if (!match) continue;
      const pathValues: Record<string, string> = {};
      operation.pathNames.forEach((name, i) => (pathValues[name] = safeDecode(match[i + 1]!)));
      return { operation, pathValues };
    }
    return undefined;
  }

  const unknownOperation = (method: string, concretePath: string): OpenApiVerdict => ({
    problems: [`no operation in GitHub's OpenAPI description matches ${method.toUpperCase()} ${concretePath}`]
  });

  return {
    prepare(method, template) {
      const operation = [...operations.values()].flat().find((o) => o.method === method.toLowerCase() && o.template === template);
      if (!operation) throw new OpenApiDescriptionError(`GitHub's OpenAPI description has no ${method.toUpperCase()} ${template}; check the path template.`);
      compile(operation);
    },

    validateRequest(request) {
      const found = find(request.method, request.path);
      if (!found) return unknownOperation(request.method, request.path);
      const { operation, pathValues } = found;
      const compiled = compile(operation);
      const problems: string[] = [];
      // Coercion rewrites the data it checks, so it gets copies.
      const parameters = { path: { ...pathValues }, query: { ...request.query } };
      if (!compiled.parameters(parameters)) problems.push(...describe('request parameters', compiled.parameters.errors));
      if (request.body === undefined) {
        if (compiled.bodyRequired) problems.push('request body at #: required by the operation, but the request had none');
      } else if (!compiled.body) {
        problems.push('request body at #: the operation takes no JSON body');
      } else if (!compiled.body(request.body)) {
        problems.push(...describe('request body', compiled.body.errors));
      }
      return { operationId: operation.operationId, problems };
    },

    validateResponse(response) {
      const found = find(response.method, response.path);
      if (!found) return unknownOperation(response.method, response.path);
      const { operation } = found;
      const compiled = compile(operation);
      const where = `response ${response.status} body`;
      let validator = compiled.responses.get(response.status);
      if (validator === undefined) {
        const anywhere = ANY_OPERATION_STATUSES.has(response.status) || (compiled.body !== undefined && BODY_OPERATION_STATUSES.has(response.status));
        if (!anywhere) {
          const documented = [...compiled.responses.keys()].join(', ');
          return {
            operationId: operation.operationId,
            problems: [`response status ${response.status} is not documented for ${operation.operationId} (documented: ${documented})`]
          };
        }
        validator = basicErrorValidator();
      }
      if (validator === 'empty') {
        const problems = response.body === undefined ? [] : [`${where} at #: the status has no content, but a body was sent`];
        return { operationId: operation.operationId, problems };
      }
      if (response.body === undefined) return { operationId: operation.operationId, problems: [`${where} at #: a JSON body is documented, but none was sent`] };
      return { operationId: operation.operationId, problems: validator(response.body) ? [] : describe(where, validator.errors) };
    }
  };
}

function indexOperations(paths: JsonObject): Map<string, Operation[]> {
  const byMethodAndLength = new Map<string, Operation[]>();
  for (const [template, item] of Object.entries(paths)) {
    const pathNames: string[] = [];
    const source = template
      .split('/')
      .map((segment) =>
        segment.replace(/\{([^}]+)\}|[^{]+/g, (part, name: string | undefined) => {
          if (name === undefined) return escapeRegExp(part);
          pathNames.push(name);
          return '([^/]+)';
        })
      )
      .join('/');
    const literalSegments = template.split('/').filter((segment) => segment !== '' && !segment.includes('{')).length;
    for (const method of METHODS) {
      const entry = asObject(item)[method];
      if (entry === undefined) continue;
      const spec = asObject(entry);
      const operation: Operation = {
        operationId: typeof spec.operationId === 'string' ? spec.operationId : `${method} ${template}`,
        method,
        template,
        pattern: new RegExp(`^${source}$`),
        pathNames,
        literalSegments,
        spec
      };
      const key = `${method} ${template.split('/').length}`;
      const list = byMethodAndLength.get(key) ?? [];
      list.push(operation);
      byMethodAndLength.set(key, list);
    }
  }
  // A literal segment beats a parameter, as in GitHub's router: /issues/comments/{id} before /issues/{number}/….
  for (const list of byMethodAndLength.values()) list.sort((a, b) => b.literalSegments - a.literalSegments);
  return byMethodAndLength;
}

/**
 * An OpenAPI 3.0 schema as JSON Schema draft 7 for ajv. Only the keywords that hold schemas are
 * walked as schemas; `properties` keys are names, and `enum`/`default` values are data.
 */
function toJsonSchema(node: Json, formats: Set<string>): Json {
  if (typeof node !== 'object' || node === null || Array.isArray(node)) return node;
  if (typeof node.$ref === 'string') {
    if (!node.$ref.startsWith(SCHEMA_REF_PREFIX)) throw new OpenApiDescriptionError(`Unexpected $ref ${node.$ref} inside a schema.`);
    return { $ref: schemaRef(node.$ref.slice(SCHEMA_REF_PREFIX.length)) };
  }
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(node)) {
    switch (key) {
      case 'properties':
      case 'patternProperties':
        out[key] = Object.fromEntries(Object.entries(asObject(value)).map(([name, schema]) => [name, toJsonSchema(schema, formats)]));
        break;
      case 'allOf':
      case 'anyOf':
      case 'oneOf':
        out[key] = asArray(value).map((schema) => toJsonSchema(schema, formats));
        break;
      case 'items':
      case 'additionalProperties':
      case 'not':
        out[key] = Array.isArray(value) ? value.map((schema) => toJsonSchema(schema, formats)) : toJsonSchema(value, formats);
        break;
      case 'format':
        if (typeof value === 'string') formats.add(value);
        out[key] = value;
        break;
      // OpenAPI-only or annotation keywords, meaningless to ajv.
      case 'nullable':
      case 'example':
      case 'examples':
      case 'discriminator':
      case 'xml':
      case 'externalDocs':
      case 'deprecated':
      case 'readOnly':
      case 'writeOnly':
        break;
      default:
        if (!key.startsWith('x-')) out[key] = value;
    }
  }
  if (node.nullable !== true) return out;
  const combined = out.allOf !== undefined || out.anyOf !== undefined || out.oneOf !== undefined;
  if (typeof out.type === 'string' && !combined) {
    out.type = [out.type, 'null'];
    if (Array.isArray(out.enum) && !out.enum.includes(null)) out.enum = [...out.enum, null];
    return out;
  }
  return { anyOf: [{ type: 'null' }, out] };
}

/**
 * Checks the formats the fakes produce (timestamps and URLs); the description's other formats
 * (int64, email, uri-template, …) are accepted as annotations rather than left to ajv's warnings.
 */
const CHECKED_FORMATS: Readonly<Record<string, (value: string) => boolean>> = {
  'date-time': (value) => /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i.test(value) && !Number.isNaN(Date.parse(value)),
  uri: (value) => /^[a-z][a-z0-9+.-]*:/i.test(value) && URL.canParse(value)
};

function registerFormat(ajv: Ajv, format: string): void {
  ajv.addFormat(format, CHECKED_FORMATS[format] ?? true);
}

function describe(where: string, errors: ErrorObject[] | null | undefined): string[] {
  return (errors ?? []).map((error) => {
    const params = error.params as Record<string, unknown>;
    let detail = error.message ?? error.keyword;
    if (typeof params.additionalProperty === 'string') detail += ` '${params.additionalProperty}'`;
    if (Array.isArray(params.allowedValues)) detail += ` ${JSON.stringify(params.allowedValues)}`;
    return `${where} at #${error.instancePath}: ${detail}`;
  });
}

function schemaRef(name: string): string {
  return `${ROOT_ID}#/definitions/${name.replace(/~/g, '~0').replace(/\//g, '~1')}`;
}

function asObject(node: Json | undefined): JsonObject {
  if (typeof node !== 'object' || node === null || Array.isArray(node)) {
    throw new OpenApiDescriptionError(`Expected an object in GitHub's OpenAPI description, found ${JSON.stringify(node)?.slice(0, 80)}.`);
  }
  return node;
}

function asArray(node: Json): Json[] {
  if (!Array.isArray(node))
    throw new OpenApiDescriptionError(`Expected an array in GitHub's OpenAPI description, found ${JSON.stringify(node)?.slice(0, 80)}.`);
  return node;
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
