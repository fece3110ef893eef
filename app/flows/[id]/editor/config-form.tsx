"use client";
import { ReferencePicker, isPickableReference } from "@/app/components/reference-picker";
import { X } from "lucide-react";
import { useEffect, useId, useMemo, useState, type ReactNode } from "react";
import type { ExpressionSuggestion } from "@/server/expressions/expression-suggestions";
import { checkExpressionSyntax } from "@/server/expressions/expression-syntax";
import { checkTemplateSyntax } from "@/server/expressions/template-syntax";
import { formatFieldPath } from "@/server/nodes/config-fields";
import type { AnyNodeDefinition } from "@/server/nodes/define-node";
import {
  configJsonSchema,
  humanize,
  initialValue,
  isRecord,
  isScalarUnion,
  normalize,
  typeOf,
  type JsonSchema,
} from "./config-schema";
import { ExpressionInput } from "./expression-input";

export { addError, configJsonSchema, zodFieldErrors, type JsonSchema } from "./config-schema";

// The settings form of a node, generated from the JSON Schema of its zod `config`: field metadata
// (`title`, `description`, `expression`, `template`, `multiline`, `reference`, `placeholder`)
// picks the editor, and the same zod schema validates what is typed. How a schema is read is in
// config-schema.ts (pure, unit-tested); this module only renders it.

type Path = (string | number)[];

export type FieldErrors = ReadonlyMap<string, readonly string[]>;

/**
 * Known values for a `reference` field (`event-type`, `channel`, `credential`), when the app lists
 * them. Plain strings are offered as suggestions; `{ value, label }` pairs (ids with names) make the
 * field a picker, so people choose "Webshop (Shopify)" rather than type an id.
 */
export type ReferenceOption = string | { value: string; label: string };
export type ReferenceOptions = (reference: string) => readonly ReferenceOption[] | undefined;

interface FormContext {
  errors: FieldErrors;
  getSuggestions: () => ExpressionSuggestion[];
  referenceOptions?: ReferenceOptions;
  idPrefix: string;
}

export function ConfigForm({
  definition,
  config,
  errors,
  onChange,
  getSuggestions,
  referenceOptions,
}: {
  definition: AnyNodeDefinition;
  config: Record<string, unknown>;
  errors: FieldErrors;
  /** `field` names the top-level field that changed, so typing in it undoes as one step. */
  onChange: (config: Record<string, unknown>, field: string) => void;
  getSuggestions: () => ExpressionSuggestion[];
  referenceOptions?: ReferenceOptions;
}) {
  const schema = configJsonSchema(definition);
  const idPrefix = useId();
  const context: FormContext = { errors, getSuggestions, referenceOptions, idPrefix };
  const properties = Object.entries(schema.properties ?? {});
  if (properties.length === 0) return <p className="muted small">This step has no settings.</p>;
  const requiredKeys = Array.isArray(schema.required) ? schema.required : [];
  return (
    <div className="ed-form">
      {properties.map(([key, child]) => (
        <Field
          key={key}
          name={key}
          path={[key]}
          schema={child}
          required={requiredKeys.includes(key)}
          value={config[key]}
          context={context}
          onChange={(value) => {
            const next = { ...config };
            if (value === undefined) delete next[key];
            else next[key] = value;
            onChange(next, key);
          }}
        />
      ))}
    </div>
  );
}

interface FieldProps {
  name: string;
  path: Path;
  schema: JsonSchema;
  required: boolean;
  value: unknown;
  context: FormContext;
  onChange: (value: unknown) => void;
  /** Overrides the label, e.g. "Case 2" for array items. */
  label?: string;
}

function fieldId(context: FormContext, path: Path) {
  return `${context.idPrefix}-${path.join("-").replace(/[^A-Za-z0-9_-]/g, "_")}`;
}

function Field(props: FieldProps) {
  const schema = normalize(props.schema);
  const type = typeOf(schema);
  if (schema.enum) return <EnumField {...props} schema={schema} />;
  if (isScalarUnion(schema)) return <ScalarField {...props} schema={schema} />;
  if (type === "boolean") return <BooleanField {...props} schema={schema} />;
  if (type === "number" || type === "integer") return <NumberField {...props} schema={schema} />;
  if (type === "string") return <StringField {...props} schema={schema} />;
  if (type === "object" && schema.properties) return <ObjectField {...props} schema={schema} />;
  if (type === "object" && typeof schema.additionalProperties === "object") return <RecordField {...props} schema={schema} />;
  if (type === "array" && schema.items) {
    const items = normalize(schema.items);
    if (items.enum) return <MultiEnumField {...props} schema={schema} options={items.enum} />;
    return <ArrayField {...props} schema={schema} />;
  }
  return <JsonField {...props} schema={schema} />;
}

/** Label, help text and errors around one input; wires `aria-describedby`. */
function FieldShell({
  id,
  path,
  label,
  schema,
  required,
  errors,
  children,
  inline,
}: {
  id: string;
  /** The field's path as messages name it (`retry.attempts`): the error's test id. */
  path: Path;
  label: string;
  schema: JsonSchema;
  required: boolean;
  errors: readonly string[];
  children: (describedBy: string | undefined, invalid: boolean) => ReactNode;
  inline?: boolean;
}) {
  const helpId = `${id}-help`;
  const errorId = `${id}-error`;
  const describedBy = [schema.description ? helpId : null, errors.length ? errorId : null].filter(Boolean).join(" ") || undefined;
  const isRequired = required || schema.required === true;
  return (
    <div className={`field ed-field${inline ? " ed-field-inline" : ""}`}>
      {inline ? (
        children(describedBy, errors.length > 0)
      ) : (
        <>
          {/* The marker sits beside the label, not in it, so the field's name is exactly its title. */}
          <div className="ed-label-row">
            <label htmlFor={id}>{label}</label>
            {isRequired && (
              <span className="ed-required" title="Required">
                required
              </span>
            )}
          </div>
          {children(describedBy, errors.length > 0)}
        </>
      )}
      {errors.length > 0 && (
        <div className="error" id={errorId} data-testid={`field-error-${formatFieldPath(path)}`}>
          {errors.join("; ")}
        </div>
      )}
      {schema.description && (
        <div className="help" id={helpId}>
          {schema.description}
        </div>
      )}
    </div>
  );
}

function labelOf(props: FieldProps) {
  return props.label ?? props.schema.title ?? humanize(props.name);
}

function ownErrors(context: FormContext, path: Path): readonly string[] {
  return context.errors.get(formatFieldPath(path)) ?? [];
}

function StringField(props: FieldProps & { schema: JsonSchema }) {
  const { schema, value, onChange, context, path } = props;
  const id = fieldId(context, path);
  // A saved config without the key runs with the default, so that is what the field shows.
  const shown = value === undefined ? schema.default : value;
  const text = typeof shown === "string" ? shown : shown === undefined || shown === null ? "" : String(shown);
  const mode = schema.template ? "template" : schema.expression ? "expression" : null;
  // JSONata syntax is checked as you type, next to the field (validateFlow reports it too).
  const syntax = useMemo(() => {
    if (!mode || text.trim() === "") return null;
    return mode === "template" ? checkTemplateSyntax(text) : checkExpressionSyntax(text);
  }, [mode, text]);
  const errors = useMemo(() => {
    const own = ownErrors(context, path);
    if (!syntax) return own;
    const message = `Expression: ${syntax.message}`;
    return own.some((m) => m.includes(syntax.message)) ? own : [...own, message];
  }, [context, path, syntax]);
  const set = (next: string) => onChange(next === "" && !props.required && schema.default === undefined ? undefined : next);
  const options = schema.reference ? context.referenceOptions?.(schema.reference) : undefined;
  const picks = options?.filter((o): o is { value: string; label: string } => typeof o !== "string");
  const suggestions = schema.suggestions ?? options?.filter((o): o is string => typeof o === "string");
  return (
    <FieldShell id={id} path={path} label={labelOf(props)} schema={schema} required={props.required} errors={errors}>
      {(describedBy, invalid) =>
        isPickableReference(schema.reference) && !mode ? (
          <ReferencePicker
            id={id}
            reference={schema.reference}
            value={text}
            options={picks}
            onChange={set}
            describedBy={describedBy}
            invalid={invalid}
          />
        ) : picks?.length && !mode ? (
          <select
            id={id}
            className="select"
            value={text}
            aria-describedby={describedBy}
            aria-invalid={invalid || undefined}
            onChange={(e) => set(e.target.value)}
          >
            <option value="">Choose…</option>
            {/* A saved id that no longer exists stays visible, so nothing changes silently. */}
            {text && !picks.some((p) => p.value === text) ? <option value={text}>{text} (not found)</option> : null}
            {picks.map((p) => (
              <option key={p.value} value={p.value}>{p.label}</option>
            ))}
          </select>
        ) : mode ? (
          <ExpressionInput
            id={id}
            value={text}
            onChange={set}
            mode={mode}
            multiline={schema.multiline}
            placeholder={schema.placeholder}
            describedBy={describedBy}
            invalid={invalid}
            getSuggestions={context.getSuggestions}
          />
        ) : schema.multiline ? (
          <textarea
            id={id}
            className="textarea"
            rows={4}
            value={text}
            placeholder={schema.placeholder}
            aria-describedby={describedBy}
            aria-invalid={invalid || undefined}
            onChange={(e) => set(e.target.value)}
          />
        ) : (
          <>
            <input
              id={id}
              className="input"
              type="text"
              value={text}
              placeholder={schema.placeholder ?? (schema.reference ? `${schema.reference} id` : undefined)}
              spellCheck={false}
              list={suggestions?.length ? `${id}-suggestions` : undefined}
              aria-describedby={describedBy}
              aria-invalid={invalid || undefined}
              onChange={(e) => set(e.target.value)}
            />
            {suggestions?.length ? (
              <datalist id={`${id}-suggestions`}>
                {suggestions.map((v) => (
                  <option key={v} value={v} />
                ))}
              </datalist>
            ) : null}
          </>
        )
      }
    </FieldShell>
  );
}

function NumberField(props: FieldProps & { schema: JsonSchema }) {
  const { schema, value, onChange, context, path } = props;
  const id = fieldId(context, path);
  const external = typeof value === "number" ? String(value) : typeof value === "string" ? value : "";
  // Keep what is typed ("1." or "-") until it is a number; follow outside changes (undo).
  const [draft, setDraft] = useState(external);
  useEffect(() => {
    setDraft((current) => (Number(current) === Number(external) && current !== "" && external !== "" ? current : external));
  }, [external]);
  return (
    <FieldShell id={id} path={path} label={labelOf(props)} schema={schema} required={props.required} errors={ownErrors(context, path)}>
      {(describedBy, invalid) => (
        <input
          id={id}
          className="input"
          type="number"
          inputMode="decimal"
          step={typeof schema.type === "string" && schema.type === "integer" ? 1 : "any"}
          min={schema.minimum}
          max={schema.maximum}
          value={draft}
          placeholder={schema.default !== undefined ? String(schema.default) : undefined}
          aria-describedby={describedBy}
          aria-invalid={invalid || undefined}
          onChange={(e) => {
            const text = e.target.value;
            setDraft(text);
            if (text.trim() === "") onChange(undefined);
            else if (Number.isFinite(Number(text))) onChange(Number(text));
          }}
        />
      )}
    </FieldShell>
  );
}

function BooleanField(props: FieldProps & { schema: JsonSchema }) {
  const { schema, value, onChange, context, path } = props;
  const id = fieldId(context, path);
  const checked = typeof value === "boolean" ? value : schema.default === true;
  return (
    <FieldShell id={id} path={path} label={labelOf(props)} schema={schema} required={false} errors={ownErrors(context, path)} inline>
      {(describedBy) => (
        <label className="checkbox" htmlFor={id}>
          <input id={id} type="checkbox" checked={checked} aria-describedby={describedBy} onChange={(e) => onChange(e.target.checked)} />
          <span className="ed-checkbox-label">{labelOf(props)}</span>
        </label>
      )}
    </FieldShell>
  );
}

function EnumField(props: FieldProps & { schema: JsonSchema }) {
  const { schema, value, onChange, context, path } = props;
  const id = fieldId(context, path);
  const options = (schema.enum ?? []).map(String);
  const current = value === undefined || value === null ? (schema.default !== undefined ? String(schema.default) : "") : String(value);
  const numeric = (schema.enum ?? []).every((v) => typeof v === "number");
  return (
    <FieldShell id={id} path={path} label={labelOf(props)} schema={schema} required={props.required} errors={ownErrors(context, path)}>
      {(describedBy, invalid) => (
        <select
          id={id}
          className="select"
          value={current}
          aria-describedby={describedBy}
          aria-invalid={invalid || undefined}
          onChange={(e) => onChange(e.target.value === "" ? undefined : numeric ? Number(e.target.value) : e.target.value)}
        >
          {(current === "" || !options.includes(current)) && <option value={current}>{current === "" ? "Choose…" : current}</option>}
          {options.map((option) => (
            <option key={option} value={option}>
              {option}
            </option>
          ))}
        </select>
      )}
    </FieldShell>
  );
}

function MultiEnumField(props: FieldProps & { schema: JsonSchema; options: unknown[] }) {
  const { schema, value, onChange, context, path, options } = props;
  const id = fieldId(context, path);
  const selected = Array.isArray(value) ? value : [];
  const errors = ownErrors(context, path);
  return (
    <fieldset className="ed-fieldset-plain" aria-describedby={schema.description ? `${id}-help` : undefined}>
      <legend className="label">{labelOf(props)}</legend>
      <div className="ed-checks">
        {options.map((option) => {
          const key = String(option);
          return (
            <label key={key} className="checkbox">
              <input
                type="checkbox"
                checked={selected.includes(option)}
                onChange={(e) => onChange(e.target.checked ? [...selected, option] : selected.filter((v) => v !== option))}
              />
              {key}
            </label>
          );
        })}
      </div>
      {errors.length > 0 && <div className="ed-error">{errors.join("; ")}</div>}
      {schema.description && (
        <div className="ed-help" id={`${id}-help`}>
          {schema.description}
        </div>
      )}
    </fieldset>
  );
}

function hasErrorsBelow(context: FormContext, path: Path) {
  const prefix = formatFieldPath(path);
  for (const key of context.errors.keys()) if (key === prefix || key.startsWith(`${prefix}.`) || key.startsWith(`${prefix}[`)) return true;
  return false;
}

function ObjectField(props: FieldProps & { schema: JsonSchema }) {
  const { schema, value, onChange, context, path } = props;
  const object = isRecord(value) ? value : isRecord(schema.default) ? schema.default : {};
  const requiredKeys = Array.isArray(schema.required) ? schema.required : [];
  const errors = ownErrors(context, path);
  const invalidInside = hasErrorsBelow(context, path);
  const [open, setOpen] = useState(invalidInside);
  useEffect(() => {
    if (invalidInside) setOpen(true);
  }, [invalidInside]);
  const body = (
    <>
      {errors.length > 0 && <div className="ed-error">{errors.join("; ")}</div>}
      {Object.entries(schema.properties ?? {}).map(([key, child]) => (
          <Field
            key={key}
            name={key}
            path={[...path, key]}
            schema={child}
            required={requiredKeys.includes(key)}
            value={object[key]}
            context={context}
            onChange={(next) => {
              const updated = { ...object };
              if (next === undefined) delete updated[key];
              else updated[key] = next;
              onChange(updated);
            }}
          />
        ))}
    </>
  );
  // Items of a list (switch cases) are always open; nested settings such as retries fold away.
  if (typeof path[path.length - 1] === "number") {
    return (
      <div className="ed-item-group" role="group" aria-label={labelOf(props)}>
        <div className="ed-item-title">{labelOf(props)}</div>
        {body}
      </div>
    );
  }
  return (
    <details className={`ed-group${invalidInside ? " has-errors" : ""}`} open={open} onToggle={(e) => setOpen(e.currentTarget.open)}>
      <summary>
        <span>{labelOf(props)}</span>
        {schema.description && <span className="ed-group-desc">{schema.description}</span>}
      </summary>
      <div className="ed-group-body">{body}</div>
    </details>
  );
}

function singular(label: string) {
  return label.endsWith("ies") ? `${label.slice(0, -3)}y` : label.endsWith("s") ? label.slice(0, -1) : label;
}

function ArrayField(props: FieldProps & { schema: JsonSchema }) {
  const { schema, value, onChange, context, path } = props;
  const list = Array.isArray(value) ? value : Array.isArray(schema.default) ? schema.default : [];
  const items = schema.items!;
  const label = labelOf(props);
  const itemLabel = normalize(items).title ?? singular(label);
  const errors = ownErrors(context, path);
  const scalar = typeOf(normalize(items)) !== "object";
  return (
    <fieldset className="ed-fieldset">
      <legend>{label}</legend>
      {schema.description && <div className="ed-help">{schema.description}</div>}
      {errors.length > 0 && <div className="ed-error">{errors.join("; ")}</div>}
      {list.map((item, index) => (
        <div key={index} className={scalar ? "ed-array-row" : "ed-array-item"}>
          <div className="ed-array-item-body">
            <Field
              name={String(index)}
              path={[...path, index]}
              schema={items}
              required
              value={item}
              context={context}
              label={`${itemLabel} ${index + 1}`}
              onChange={(next) => onChange(list.map((v, i) => (i === index ? next : v)))}
            />
          </div>
          <button
            type="button"
            className="btn btn-ghost btn-sm ed-remove"
            aria-label={`Remove ${itemLabel.toLowerCase()} ${index + 1}`}
            title="Remove"
            onClick={() => onChange(list.filter((_, i) => i !== index))}
          >
            <X size={14} aria-hidden />
          </button>
        </div>
      ))}
      <button type="button" className="btn btn-sm" onClick={() => onChange([...list, initialValue(items, list.length, itemLabel)])}>
        + Add {itemLabel.toLowerCase()}
      </button>
    </fieldset>
  );
}

function RecordField(props: FieldProps & { schema: JsonSchema }) {
  const { schema, value, onChange, context, path } = props;
  const object = isRecord(value) ? value : {};
  const valueSchema = normalize(schema.additionalProperties as JsonSchema);
  // Rows, not the object, are edited: a key being retyped must not collide or vanish mid-word.
  const [rows, setRows] = useState<[string, unknown][]>(() => Object.entries(object));
  const serialized = JSON.stringify(object);
  useEffect(() => {
    setRows((current) => (JSON.stringify(Object.fromEntries(current.filter(([k]) => k !== ""))) === serialized ? current : Object.entries(JSON.parse(serialized))));
  }, [serialized]);
  const commit = (next: [string, unknown][]) => {
    setRows(next);
    onChange(Object.fromEntries(next.filter(([k]) => k !== "")));
  };
  const label = labelOf(props);
  const prefix = formatFieldPath(path);
  const errors = [...context.errors.entries()].filter(([k]) => k === prefix || k.startsWith(`${prefix}[`) || k.startsWith(`${prefix}.`)).flatMap(([, m]) => m);
  const id = fieldId(context, path);
  return (
    <fieldset className="ed-fieldset">
      <legend>{label}</legend>
      {schema.description && <div className="ed-help">{schema.description}</div>}
      {rows.map(([key, item], index) => (
        <div key={index} className="ed-record-row">
          <input
            className="input"
            aria-label={`${singular(label)} ${index + 1} name`}
            placeholder="Name"
            value={key}
            spellCheck={false}
            onChange={(e) => commit(rows.map((r, i) => (i === index ? [e.target.value, r[1]] : r)))}
          />
          {valueSchema.template || valueSchema.expression ? (
            <ExpressionInput
              id={`${id}-${index}`}
              value={typeof item === "string" ? item : ""}
              mode={valueSchema.template ? "template" : "expression"}
              placeholder="Value"
              getSuggestions={context.getSuggestions}
              onChange={(text) => commit(rows.map((r, i) => (i === index ? [r[0], text] : r)))}
              describedBy={undefined}
            />
          ) : (
            <input
              className="input"
              aria-label={`${singular(label)} ${index + 1} value`}
              placeholder="Value"
              value={typeof item === "string" || typeof item === "number" ? String(item) : JSON.stringify(item ?? "")}
              onChange={(e) =>
                commit(rows.map((r, i) => (i === index ? [r[0], typeOf(valueSchema) === "number" ? Number(e.target.value) : e.target.value] : r)))
              }
            />
          )}
          <button
            type="button"
            className="btn btn-ghost btn-sm ed-remove"
            aria-label={`Remove ${singular(label).toLowerCase()} ${key || index + 1}`}
            onClick={() => commit(rows.filter((_, i) => i !== index))}
          >
            <X size={14} aria-hidden />
          </button>
        </div>
      ))}
      {errors.length > 0 && <div className="ed-error">{errors.join("; ")}</div>}
      <button type="button" className="btn btn-sm" onClick={() => setRows([...rows, ["", initialValue(valueSchema) ?? ""]])}>
        + Add {singular(label).toLowerCase()}
      </button>
    </fieldset>
  );
}

/** Anything the generator has no editor for is edited as JSON. */
function JsonField(props: FieldProps & { schema: JsonSchema }) {
  const { schema, value, onChange, context, path } = props;
  const id = fieldId(context, path);
  const external = value === undefined ? "" : JSON.stringify(value, null, 2);
  const [draft, setDraft] = useState(external);
  const [parseError, setParseError] = useState<string | null>(null);
  useEffect(() => {
    setDraft((current) => {
      try {
        if (current.trim() !== "" && JSON.stringify(JSON.parse(current), null, 2) === external) return current;
      } catch {
        // An unfinished draft gives way to the outside change (undo, another tab).
      }
      return external;
    });
  }, [external]);
  const errors = parseError ? [...ownErrors(context, path), parseError] : ownErrors(context, path);
  return (
    <FieldShell id={id} path={path} label={labelOf(props)} schema={schema} required={props.required} errors={errors}>
      {(describedBy, invalid) => (
        <textarea
          id={id}
          className="textarea"
          rows={4}
          value={draft}
          aria-describedby={describedBy}
          aria-invalid={invalid || undefined}
          onChange={(e) => {
            setDraft(e.target.value);
            if (e.target.value.trim() === "") {
              setParseError(null);
              onChange(undefined);
              return;
            }
            try {
              onChange(JSON.parse(e.target.value));
              setParseError(null);
            } catch {
              setParseError("Not valid JSON yet");
            }
          }}
        />
      )}
    </FieldShell>
  );
}

function ScalarField(props: FieldProps & { schema: JsonSchema }) {
  const { schema, value, onChange, context, path } = props;
  const id = fieldId(context, path);
  const allowed = new Set((schema.anyOf ?? schema.oneOf ?? []).map((b) => (b.type === "integer" ? "number" : String(b.type))));
  const text = value === undefined ? "" : typeof value === "string" ? value : JSON.stringify(value);
  return (
    <FieldShell id={id} path={path} label={labelOf(props)} schema={schema} required={props.required} errors={ownErrors(context, path)}>
      {(describedBy, invalid) => (
        <input
          id={id}
          className="input"
          value={text}
          spellCheck={false}
          aria-describedby={describedBy}
          aria-invalid={invalid || undefined}
          onChange={(e) => {
            const raw = e.target.value;
            let parsed: unknown = raw;
            try {
              const candidate: unknown = JSON.parse(raw);
              const kind = candidate === null ? "null" : typeof candidate;
              if (kind !== "object" && allowed.has(kind)) parsed = candidate;
            } catch {
              // Not JSON: it is text.
            }
            onChange(parsed);
          }}
        />
      )}
    </FieldShell>
  );
}
