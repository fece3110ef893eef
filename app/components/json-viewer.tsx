"use client";
import { useMemo, useState, type ReactNode } from "react";
import { CopyButton } from "./copy-button";
import "./history-components.css";

// A read-only JSON viewer: a collapsible tree (native <details>, so it works from the keyboard),
// a copy button, and a size cap so a megabyte of output does not freeze the page. Values the
// runtime already cut at record time (`{ truncated: true, bytes }`) say so with their size.

const DEFAULT_VIEW_BYTES = 16 * 1024;

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

function isRecordedTruncation(value: unknown): value is { truncated: true; bytes: number } {
  return !!value && typeof value === "object" && (value as { truncated?: unknown }).truncated === true && typeof (value as { bytes?: unknown }).bytes === "number";
}

export function JsonViewer({
  value,
  label,
  maxBytes = DEFAULT_VIEW_BYTES,
  expandDepth = 2,
  testId,
}: {
  value: unknown;
  /** Names the viewer for screen readers and the copy button, e.g. "Step output". */
  label: string;
  maxBytes?: number;
  expandDepth?: number;
  testId?: string;
}) {
  const text = useMemo(() => (value === undefined ? "" : JSON.stringify(value, null, 2) ?? String(value)), [value]);
  const bytes = useMemo(() => new TextEncoder().encode(text).length, [text]);
  const [showAll, setShowAll] = useState(false);
  const tooBig = bytes > maxBytes && !showAll;

  return (
    <div className="json-viewer" role="group" aria-label={label} data-testid={testId}>
      <div className="json-viewer-bar">
        <span className="small muted">{label} · {formatBytes(bytes)}</span>
        <span style={{ flex: 1 }} />
        {value !== undefined && <CopyButton text={text} label={`Copy ${label.toLowerCase()}`} />}
      </div>
      {value === undefined ? (
        <p className="small muted json-empty">Nothing recorded.</p>
      ) : isRecordedTruncation(value) ? (
        <p className="small json-empty">Too large to keep: the runtime recorded only its size ({formatBytes(value.bytes)}).</p>
      ) : tooBig ? (
        <>
          <pre className="json-raw">{text.slice(0, maxBytes)}…</pre>
          <div className="json-viewer-bar">
            <span className="small muted">Showing the first {formatBytes(maxBytes)} of {formatBytes(bytes)}.</span>
            <button type="button" className="btn btn-sm" onClick={() => setShowAll(true)}>Show all</button>
          </div>
        </>
      ) : (
        <div className="json-tree mono">
          <JsonNode value={value} depth={0} expandDepth={expandDepth} />
        </div>
      )}
    </div>
  );
}

function JsonNode({ name, value, depth, expandDepth }: { name?: ReactNode; value: unknown; depth: number; expandDepth: number }) {
  const key = name !== undefined ? <span className="json-key">{name}: </span> : null;
  if (value === null || typeof value !== "object") {
    return (
      <div className="json-leaf">
        {key}
        <span className={`json-${value === null ? "null" : typeof value}`}>{JSON.stringify(value)}</span>
      </div>
    );
  }
  const entries: [string, unknown][] = Array.isArray(value) ? value.map((v, i) => [String(i), v]) : Object.entries(value);
  const [open, close] = Array.isArray(value) ? ["[", "]"] : ["{", "}"];
  if (entries.length === 0) {
    return (
      <div className="json-leaf">{key}<span className="muted">{open}{close}</span></div>
    );
  }
  return (
    <details className="json-branch" open={depth < expandDepth}>
      <summary>
        {key}
        <span className="muted">{open} {entries.length} {Array.isArray(value) ? (entries.length === 1 ? "item" : "items") : entries.length === 1 ? "key" : "keys"} {close}</span>
      </summary>
      <div className="json-children">
        {entries.map(([k, v]) => (
          <JsonNode key={k} name={k} value={v} depth={depth + 1} expandDepth={expandDepth} />
        ))}
      </div>
    </details>
  );
}
