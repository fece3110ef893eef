import * as z from "zod";

// Builders for the kinds of config fields nodes share, and a walker that finds them again in a
// saved config. The generated form reads the same metadata to choose an editor per field.
//
// Required references (credentials, channels, custom event types) and other values only the user
// can supply default to "" so that `config.parse({})` always succeeds and a node can be dropped on
// the canvas. The zod schema accepts "", and `validateFlow` reports each empty required field as an
// `invalid-config` problem with `needsInput` set ("choose a channel"): a draft may have them, a flow
// with them cannot be published. Keeping "is it filled in" out of the zod schema keeps the schema
// about shape, and keeps that check in the one place (validateFlow) the editor, publish and the
// runtime share.

export type ReferenceKind = "credential" | "channel" | "event-type";

export interface ConfigFieldMeta {
  title?: string;
  description?: string;
  /** The value is a JSONata expression evaluated against `{ event, steps }`. */
  expression?: boolean;
  /** The value is text with `{{ expression }}` placeholders. */
  template?: boolean;
  /** Show a multi-line editor. */
  multiline?: boolean;
  /** The value is the id of something configured elsewhere: the form shows a picker. */
  reference?: ReferenceKind;
  /** An empty value is a problem `validateFlow` reports; the default is "" so that defaults parse. */
  required?: boolean;
  /** The message for an empty required field, e.g. "choose a channel". */
  requiredMessage?: string;
  placeholder?: string;
}

declare module "zod/v4/core" {
  interface GlobalMeta {
    expression?: boolean;
    template?: boolean;
    multiline?: boolean;
    reference?: ReferenceKind;
    required?: boolean;
    requiredMessage?: string;
    placeholder?: string;
  }
}

const MAX_EXPRESSION_LENGTH = 10_000;

type FieldText = { title: string; description: string; placeholder?: string; multiline?: boolean };

/** A JSONata expression; `default: ""` with `required` for expressions the user must write. */
export function expressionField(defaultValue: string, meta: FieldText & { required?: boolean; requiredMessage?: string }) {
  return z.string().max(MAX_EXPRESSION_LENGTH).default(defaultValue).meta({ ...meta, expression: true });
}

/** Text with `{{ expression }}` placeholders. */
export function templateField(defaultValue: string, meta: FieldText & { required?: boolean; requiredMessage?: string }) {
  return z.string().max(MAX_EXPRESSION_LENGTH).default(defaultValue).meta({ ...meta, template: true });
}

const referenceMessages: Record<ReferenceKind, string> = {
  credential: "choose a credential",
  channel: "choose a channel",
  "event-type": "choose an event type",
};

/** The id of a credential, channel or custom event type, chosen by the user. */
export function referenceField(reference: ReferenceKind, meta: FieldText & { required?: boolean }, id: z.ZodString = z.string().trim().max(200)) {
  const required = meta.required ?? true;
  return id
    .default("")
    .meta({ ...meta, reference, required, ...(required ? { requiredMessage: referenceMessages[reference] } : {}) });
}

/** The metadata of a config field, looked up through `.default()`, `.optional()` and similar wrappers. */
export function configFieldMeta(schema: z.core.$ZodType): ConfigFieldMeta {
  const layers: ConfigFieldMeta[] = [];
  let current: z.core.$ZodType | undefined = schema;
  while (current) {
    const meta = z.globalRegistry.get(current);
    if (meta) layers.push(meta as ConfigFieldMeta);
    current = innerOf(current);
  }
  // The outermost `.meta()` wins, as it does in z.toJSONSchema.
  return Object.assign({}, ...layers.reverse()) as ConfigFieldMeta;
}

function innerOf(schema: z.core.$ZodType): z.core.$ZodType | undefined {
  const def = schema._zod.def as { type: string; innerType?: z.core.$ZodType; in?: z.core.$ZodType };
  switch (def.type) {
    case "default":
    case "prefault":
    case "optional":
    case "nullable":
    case "nonoptional":
    case "readonly":
    case "catch":
      return def.innerType;
    case "pipe":
      return def.in;
    default:
      return undefined;
  }
}

function unwrap(schema: z.core.$ZodType): z.core.$ZodType {
  let current = schema;
  for (let inner = innerOf(current); inner; inner = innerOf(current)) current = inner;
  return current;
}

export interface ConfigFieldVisit {
  /** Path inside the config, e.g. `["mapping", "price"]` or `["cases", 0, "equals"]`. */
  path: (string | number)[];
  meta: ConfigFieldMeta;
  value: unknown;
}

/**
 * Calls `visit` for every field of `value` whose schema carries metadata, descending into objects,
 * arrays and records. Use it on a config that already parsed.
 */
export function visitConfigFields(schema: z.core.$ZodType, value: unknown, visit: (field: ConfigFieldVisit) => void, path: (string | number)[] = []): void {
  const meta = configFieldMeta(schema);
  if (path.length > 0 && Object.keys(meta).length > 0) visit({ path, meta, value });
  const inner = unwrap(schema);
  const def = inner._zod.def as {
    type: string;
    shape?: Record<string, z.core.$ZodType>;
    element?: z.core.$ZodType;
    valueType?: z.core.$ZodType;
  };
  if (def.type === "object" && def.shape && isRecord(value)) {
    for (const [key, child] of Object.entries(def.shape)) visitConfigFields(child, value[key], visit, [...path, key]);
  } else if (def.type === "array" && def.element && Array.isArray(value)) {
    value.forEach((item, index) => visitConfigFields(def.element!, item, visit, [...path, index]));
  } else if (def.type === "record" && def.valueType && isRecord(value)) {
    for (const [key, item] of Object.entries(value)) visitConfigFields(def.valueType, item, visit, [...path, key]);
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** `retry.attempts`, `cases[0].equals`, `headers["X-Api-Key"]`: how messages name a field. */
export function formatFieldPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const segment of path) {
    if (typeof segment === "number") out += `[${segment}]`;
    else {
      const name = String(segment);
      out += /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(name) ? (out ? `.${name}` : name) : `[${JSON.stringify(name)}]`;
    }
  }
  return out;
}
