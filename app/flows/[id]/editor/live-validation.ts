"use client";
import { useEffect } from "react";
import { validateFlow } from "@/server/flows/validate-flow";
import { useEditorStoreApi } from "./editor-store";
import { documentFromGraph } from "./flow-graph";

const DEBOUNCE_MS = 250;

/**
 * Runs the same `validateFlow` that save, publish and the runtime use, shortly after each edit.
 * Only real edits count: selecting or measuring nodes leaves `editId` alone.
 */
export function useLiveValidation() {
  const store = useEditorStoreApi();
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const run = () => {
      const s = store.getState();
      s.setProblems(validateFlow(documentFromGraph(s.name, s.nodes, s.edges, s.settings)).problems);
    };
    run();
    const unsubscribe = store.subscribe((s, previous) => {
      if (s.editId === previous.editId && s.name === previous.name) return;
      clearTimeout(timer);
      timer = setTimeout(run, DEBOUNCE_MS);
    });
    return () => {
      unsubscribe();
      clearTimeout(timer);
    };
  }, [store]);
}
