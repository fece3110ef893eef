"use client";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { TriangleAlert } from "lucide-react";
import { useDeferredValue, useMemo } from "react";
import { useHasRole } from "@/app/components/current-user";
import { useTRPC } from "@/app/trpc-client";
import { useEditorCommands } from "./editor-commands";
import { useEditorStore } from "./editor-store";

// Steps calling a private or loopback address that SYNCLINE_HTTP_ALLOWLIST does not list: the
// server checks them as the flow is edited (flows.addressWarnings) and they are shown as
// warnings under the problems. They do not block publishing: the operator may allow the host.

function useStepUrls() {
  const nodes = useEditorStore((s) => s.nodes);
  const key = nodes
    .filter((n) => n.data.kind === "action:http-request" && typeof n.data.config.url === "string")
    .map((n) => `${n.id}\u0000${String(n.data.config.url)}`)
    .join("\u0001");
  const deferred = useDeferredValue(key);
  return useMemo(
    () => (deferred ? deferred.split("\u0001").map((pair) => { const [nodeId, url] = pair.split("\u0000") as [string, string]; return { nodeId, url }; }) : []),
    [deferred],
  );
}

export function AddressWarnings() {
  const trpc = useTRPC();
  const canEdit = useHasRole("editor");
  const urls = useStepUrls();
  const { focusNode } = useEditorCommands();
  const warnings = useQuery({
    ...trpc.flows.addressWarnings.queryOptions({ urls }),
    enabled: canEdit && urls.length > 0,
    placeholderData: keepPreviousData,
    staleTime: 30_000,
  });
  const list = urls.length > 0 ? (warnings.data ?? []) : [];
  if (list.length === 0) return null;
  return (
    <ul className="ed-warning-list" data-testid="address-warnings" aria-label="Warnings">
      {list.map((w) => (
        <li key={`${w.nodeId}-${w.url}`}>
          <button type="button" className="ed-problem" onClick={() => focusNode(w.nodeId)} title={`Show step ${w.nodeId}`}>
            <TriangleAlert size={14} className="ed-warning-icon" aria-hidden />
            <span className="ed-problem-text">
              <strong>Step “{w.nodeId}”</strong>: {w.message}
            </span>
          </button>
        </li>
      ))}
    </ul>
  );
}
