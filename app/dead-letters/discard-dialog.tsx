"use client";
import { useState } from "react";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { ConfirmDialog } from "@/app/components/dialog";
import { useToast } from "@/app/components/toast";
import { errorMessage, useTRPC } from "@/app/trpc-client";

/** Confirms discarding letters and says what happens to the events held behind them. */
export function DiscardDialog({ letters, onCancel, onDone }: {
  /** `held`: events waiting behind the letter's (flow, key); letters of one key share them. */
  letters: { id: string; flowId: string; orderingKey: string; held: number }[];
  onCancel: () => void;
  onDone: () => void;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const toast = useToast();
  const discard = useMutation(
    trpc.deadLetters.discardMany.mutationOptions({
      onSuccess: (result) => {
        toast(`Discarded ${result.discarded.length} dead ${result.discarded.length === 1 ? "letter" : "letters"}${result.refused.length ? `; ${result.refused.length} could not be` : ""}.`, result.refused.length ? "error" : "success");
        void queryClient.invalidateQueries({ queryKey: trpc.deadLetters.pathKey() });
        onDone();
      },
    }),
  );
  const [policy, setPolicy] = useState<"release" | "discard">("release");
  const held = [...new Map(letters.map((l) => [`${l.flowId}\n${l.orderingKey}`, l.held])).values()].reduce((sum, n) => sum + n, 0);
  const n = letters.length;
  return (
    <ConfirmDialog
      title={n === 1 ? "Discard this dead letter?" : `Discard ${n} dead letters?`}
      confirmLabel={held > 0 && policy === "discard" ? `Discard ${n === 1 ? "it" : n} and ${held} held` : n === 1 ? "Discard" : `Discard ${n}`}
      busy={discard.isPending}
      onCancel={onCancel}
      onConfirm={() => discard.mutate({ ids: letters.map((l) => l.id), held: held > 0 ? policy : "release" })}
      message={
        <div style={{ display: "flex", flexDirection: "column", gap: 8 }}>
          <p style={{ margin: 0 }}>
            {n === 1 ? "The event will not run in this flow." : "These events will not run in their flows."} They stay listed under Resolved.
          </p>
          {held > 0 ? (
            <fieldset style={{ margin: 0, border: 0, padding: 0, display: "flex", flexDirection: "column", gap: 6 }} data-testid="discard-held">
              <legend style={{ padding: 0, marginBottom: 4 }}>
                {`${held} ${held === 1 ? "event is" : "events are"} held behind ${n === 1 ? "it" : "them"} (later events of the same key, waiting so the order holds).`}
              </legend>
              <label style={{ display: "flex", gap: 8, alignItems: "flex-start" }}>
                <input type="radio" name="held-policy" value="release" checked={policy === "release"} onChange={() => setPolicy("release")} />
                <span>Release them: they run now, in order.</span>
              </label>
              <label style={{ display: "flex", gap: 8, alignItems: "flex-start" }}>
                <input type="radio" name="held-policy" value="discard" checked={policy === "discard"} onChange={() => setPolicy("discard")} />
                <span>Discard them too: they never run and are listed under Resolved as discarded. Events of the key that arrive after this still run.</span>
              </label>
            </fieldset>
          ) : (
            <p style={{ margin: 0 }} data-testid="discard-held">No events are waiting behind them.</p>
          )}
          {discard.isError && <p className="error" role="alert" style={{ margin: 0, color: "var(--danger)" }}>{errorMessage(discard.error)}</p>}
        </div>
      }
    />
  );
}
