"use client";
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
  const held = [...new Map(letters.map((l) => [`${l.flowId}\n${l.orderingKey}`, l.held])).values()].reduce((sum, n) => sum + n, 0);
  const n = letters.length;
  return (
    <ConfirmDialog
      title={n === 1 ? "Discard this dead letter?" : `Discard ${n} dead letters?`}
      confirmLabel={n === 1 ? "Discard" : `Discard ${n}`}
      busy={discard.isPending}
      onCancel={onCancel}
      onConfirm={() => discard.mutate({ ids: letters.map((l) => l.id) })}
      message={
        <div style={{ display: "flex", flexDirection: "column", gap: 8 }}>
          <p style={{ margin: 0 }}>
            {n === 1 ? "The event will not run in this flow." : "These events will not run in their flows."} They stay listed under Resolved.
          </p>
          <p style={{ margin: 0 }} data-testid="discard-held">
            {held > 0
              ? `The ${held} ${held === 1 ? "event" : "events"} held behind ${n === 1 ? "it" : "them"} will be released and run, in order.`
              : "No events are waiting behind them."}
          </p>
          {discard.isError && <p className="error" role="alert" style={{ margin: 0, color: "var(--danger)" }}>{errorMessage(discard.error)}</p>}
        </div>
      }
    />
  );
}
