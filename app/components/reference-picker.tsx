"use client";
import { Plus } from "lucide-react";
import { useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { createPortal } from "react-dom";
import { useHasRole } from "@/app/components/current-user";
import { useTRPC } from "@/app/trpc-client";
import dynamic from "next/dynamic";
import { LoadingRows } from "@/app/components/states";

// A channel or credential field is always a picker, never free text: while the list loads it
// says so, when there is none it says that, and an admin can make one in place (the dialog of
// the Channels page or Settings) which is then selected. Used by the editor's config form and the
// new-flow dialog (a template's sync steps).

export type PickableReference = "channel" | "credential";

interface NewRecordDialogProps {
  onSaved: (record: { id: string; name: string }) => void;
  onCancel: () => void;
}

/** Shown while a dialog's code loads, where the dialog will open. */
function DialogLoading() {
  return (
    <div className="dialog-backdrop">
      <div className="dialog">
        <LoadingRows rows={3} label="Opening the dialog" />
      </div>
    </div>
  );
}

// The dialogs load when New is first clicked: the editor's step inspector does not carry the
// channel and credential forms (docs/decisions/0033-editor-route-javascript.md).
const NewChannelDialog = dynamic(
  () => import("@/app/channels/channel-dialog").then((m) => ({ default: (props: NewRecordDialogProps) => <m.ChannelDialog initial={m.newChannelDraft()} {...props} /> })),
  { ssr: false, loading: DialogLoading },
);
const NewCredentialDialog = dynamic(
  () => import("@/app/settings/credential-dialog").then((m) => ({ default: (props: NewRecordDialogProps) => <m.CredentialDialog initial={m.newCredentialDraft()} {...props} /> })),
  { ssr: false, loading: DialogLoading },
);

export function isPickableReference(reference: string | undefined): reference is PickableReference {
  return reference === "channel" || reference === "credential";
}

const words: Record<PickableReference, { one: string; none: string; create: string; where: string }> = {
  channel: { one: "channel", none: "No channel yet", create: "New channel…", where: "the Channels page" },
  credential: { one: "credential", none: "No credential yet", create: "New credential…", where: "Settings" },
};

export function ReferencePicker({
  id,
  reference,
  value,
  options,
  onChange,
  describedBy,
  invalid,
}: {
  id: string;
  reference: PickableReference;
  value: string;
  /** undefined while loading. */
  options: readonly { value: string; label: string }[] | undefined;
  onChange: (value: string) => void;
  describedBy?: string;
  invalid?: boolean;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const canCreate = useHasRole("admin");
  const [creating, setCreating] = useState(false);
  const text = words[reference];
  const empty = options !== undefined && options.length === 0;

  const onCreated = async (created: { id: string }) => {
    setCreating(false);
    const queryKey = reference === "channel" ? trpc.channels.list.queryKey() : trpc.credentials.list.queryKey();
    // Select it once it is in the list, so the picker never shows it as "not found".
    await queryClient.refetchQueries({ queryKey });
    onChange(created.id);
  };

  return (
    <>
      <div className="ed-reference">
        <select
          id={id}
          className="select"
          value={value}
          disabled={options === undefined || (empty && !value)}
          aria-describedby={describedBy}
          aria-invalid={invalid || undefined}
          onChange={(e) => onChange(e.target.value)}
        >
          {options === undefined ? (
            <option value={value}>Loading {text.one}s…</option>
          ) : empty && !value ? (
            <option value="">{text.none}</option>
          ) : (
            <option value="">Choose a {text.one}…</option>
          )}
          {/* A saved id that no longer exists stays visible, so nothing changes silently. */}
          {options && value && !options.some((o) => o.value === value) ? <option value={value}>{value} (not found)</option> : null}
          {options?.map((o) => (
            <option key={o.value} value={o.value}>
              {o.label}
            </option>
          ))}
        </select>
        {canCreate && (
          <button type="button" className="btn btn-sm" onClick={() => setCreating(true)} data-testid={`new-${reference}-${id}`}>
            <Plus size={14} aria-hidden /> {empty ? text.create.replace("…", "") : "New"}
            <span className="sr-only"> {text.one}</span>
          </button>
        )}
      </div>
      {empty && (
        <span className="help" data-testid={`no-${reference}`}>
          {text.none}.{" "}
          {canCreate ? `Create one here; it is added to ${text.where}.` : `Ask an admin to add one on ${text.where}.`}
        </span>
      )}
      {/* Portalled: the picker may sit inside another dialog's form, and forms cannot nest. */}
      {creating &&
        createPortal(
          reference === "channel" ? (
            <NewChannelDialog onSaved={(c) => void onCreated(c)} onCancel={() => setCreating(false)} />
          ) : (
            <NewCredentialDialog onSaved={(c) => void onCreated(c)} onCancel={() => setCreating(false)} />
          ),
          document.body,
        )}
    </>
  );
}
