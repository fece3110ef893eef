"use client";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { TriangleAlert } from "lucide-react";
import { useDeferredValue, useEffect, useMemo } from "react";
import { useHasRole } from "@/app/components/current-user";
import { useTRPC } from "@/app/trpc-client";
import type { StepAddressInput } from "@/server/flows/step-address-warnings";
import { useEditorCommands } from "./editor-commands";
import { useEditorStore } from "./editor-store";

// Addresses runs will refuse (docs/decisions/0029): an HTTP request's URL, literal image URLs of a
// resize step, the URLs of the channel or credential a step names, when they are private or
// loopback and SYNCLINE_HTTP_ALLOWLIST does not list them. The server checks them as the flow is
// edited (flows.addressWarnings); they are listed under the problems and marked on the node.
// They do not block publishing: the operator may allow the host.

const text = (value: unknown) => (typeof value === "string" && value !== "" ? value : undefined);

/** The address-bearing fields of every step, stable while they do not change. */
function useStepAddresses(): StepAddressInput[] {
  const nodes = useEditorStore((s) => s.nodes);
  const key = JSON.stringify(
    nodes.flatMap((n) => {
      const config = n.data.config as Record<string, unknown>;
      const step = { nodeId: n.id, kind: n.data.kind, url: text(config.url), images: text(config.images), channelId: text(config.channelId), credentialId: text(config.credentialId) };
      return step.url || step.images || step.channelId || step.credentialId ? [step] : [];
    }),
  );
  const deferred = useDeferredValue(key);
  return useMemo(() => JSON.parse(deferred) as StepAddressInput[], [deferred]);
}

export function AddressWarnings() {
  const trpc = useTRPC();
  const canEdit = useHasRole("editor");
  const steps = useStepAddresses();
  const setAddressWarnings = useEditorStore((s) => s.setAddressWarnings);
  const { focusNode } = useEditorCommands();
  const warnings = useQuery({
    ...trpc.flows.addressWarnings.queryOptions({ steps }),
    enabled: canEdit && steps.length > 0,
    placeholderData: keepPreviousData,
    staleTime: 30_000,
  });
  const list = useMemo(() => (steps.length > 0 ? (warnings.data ?? []) : []), [steps.length, warnings.data]);
  useEffect(() => setAddressWarnings(list), [list, setAddressWarnings]);
  if (list.length === 0) return null;
  return (
    <ul className="ed-warning-list" data-testid="address-warnings" aria-label="Warnings">
      {list.map((w, i) => (
        <li key={`${w.nodeId}-${w.field}-${i}`}>
          <button type="button" className="ed-problem" onClick={() => focusNode(w.nodeId)} title={`Show step ${w.nodeId}`}>
            <TriangleAlert size={14} className="ed-warning-icon" aria-hidden />
            <span className="ed-problem-text">
              <strong>Step “{w.nodeId}”</strong> · {w.field}: {w.message}
            </span>
          </button>
        </li>
      ))}
    </ul>
  );
}
