"use client";
import { ShoppingCart } from "lucide-react";
import { useState } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { errorMessage, useTRPC } from "@/app/trpc-client";
import { useToast } from "@/app/components/toast";
import { ConfirmDialog } from "@/app/components/dialog";
import { EmptyState, ErrorState, LoadingRows } from "@/app/components/states";
import { ChannelDialog, newChannelDraft, type ChannelDraft } from "./channel-dialog";
import { channelTypes, type ChannelType } from "@/server/channels/channel-types";

interface Health {
  status: "unknown" | "healthy" | "holding" | "error";
  lastSuccessAt: Date | null;
  lastError: string | null;
  lastErrorAt: Date | null;
  downSince: Date | null;
  heldEvents: number;
}

const when = (d: Date | null) => (d ? new Date(d).toLocaleString() : "");

function HealthBadge({ health }: { health: Health }) {
  if (health.status === "holding") {
    return (
      <span className="badge badge-danger" title={health.lastError ?? undefined}>
        Down since {when(health.downSince)} (holding updates{health.heldEvents > 0 ? `: ${health.heldEvents}` : ""})
      </span>
    );
  }
  if (health.status === "error") return <span className="badge badge-warning" title={health.lastError ?? undefined}>Last call failed</span>;
  if (health.status === "healthy") return <span className="badge badge-success">Healthy</span>;
  return <span className="badge">No calls yet</span>;
}

function formatMapping(value: unknown): string {
  if (!value || typeof value !== "object") return "";
  return Object.entries(value as Record<string, unknown>).map(([k, v]) => `${k} = ${String(v)}`).join("\n");
}

export function ChannelsPage() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const toast = useToast();
  const channels = useQuery({ ...trpc.channels.list.queryOptions(), refetchInterval: 10_000 });
  const [editing, setEditing] = useState<ChannelDraft | null>(null);
  const [deleting, setDeleting] = useState<{ id: string; name: string } | null>(null);
  const invalidate = () => queryClient.invalidateQueries({ queryKey: trpc.channels.list.queryKey() });

  const remove = useMutation(trpc.channels.delete.mutationOptions({
    onSuccess: () => { setDeleting(null); toast("Channel deleted", "success"); void invalidate(); },
    onError: (e) => toast(errorMessage(e), "error"),
  }));

  return (
    <div className="page">
      <div className="page-inner">
        <div style={{ display: "flex", alignItems: "center", gap: 12 }}>
          <div style={{ flex: 1 }}>
            <h1>Channels</h1>
            <p className="muted" style={{ margin: "4px 0 0" }}>Webshops, marketplaces and webhook receivers that flows sync to, and how they are doing.</p>
          </div>
          <button
            className="btn btn-primary"
            onClick={() => setEditing(newChannelDraft())}
          >New channel</button>
        </div>
        <section className="card">
          {channels.isPending ? (
            <LoadingRows rows={3} label="Loading channels" />
          ) : channels.isError ? (
            <div className="card-body"><ErrorState message={`Could not load channels: ${channels.error.message}`} onRetry={() => void channels.refetch()} /></div>
          ) : channels.data.length === 0 ? (
            <EmptyState icon={ShoppingCart} title="No channels yet">Add a webshop, marketplace or webhook so flows can sync products, prices and stock to it.</EmptyState>
          ) : (
            <table className="table" aria-label="Channels">
              <thead><tr><th>Name</th><th>Type</th><th>Credential</th><th>Health</th><th>Last success</th><th>Last error</th><th /></tr></thead>
              <tbody>
                {channels.data.map((channel) => (
                  <tr key={channel.id} data-testid="channel-row">
                    <td style={{ fontWeight: 600 }}>{channel.name}</td>
                    <td>{channelTypes[channel.type as ChannelType]?.label ?? channel.type}</td>
                    <td>{channel.credential ? channel.credential.name : <span className="muted">None</span>}</td>
                    <td data-testid="channel-health"><HealthBadge health={channel.health} /></td>
                    <td className="muted">{when(channel.health.lastSuccessAt) || "—"}</td>
                    <td className="small" style={{ maxWidth: 320 }}>
                      {channel.health.lastError ? (
                        <><span style={{ color: "var(--danger)" }}>{channel.health.lastError}</span><br /><span className="muted">{when(channel.health.lastErrorAt)}</span></>
                      ) : <span className="muted">—</span>}
                    </td>
                    <td style={{ whiteSpace: "nowrap", textAlign: "right" }}>
                      <button
                        className="btn btn-sm btn-ghost"
                        aria-label={`Edit ${channel.name}`}
                        onClick={() => {
                          const { fieldMapping, ...rest } = channel.settings;
                          setEditing({
                            id: channel.id,
                            name: channel.name,
                            type: channel.type as ChannelType,
                            credentialId: channel.credentialId ?? "",
                            settings: Object.fromEntries(Object.entries(rest).filter(([, v]) => typeof v === "string")) as Record<string, string>,
                            savedSettings: Object.fromEntries(Object.entries(rest).filter(([, v]) => typeof v === "string")) as Record<string, string>,
                            mapping: formatMapping(fieldMapping),
                          });
                        }}
                      >Edit</button>
                      <button className="btn btn-sm btn-ghost" style={{ color: "var(--danger)" }} aria-label={`Delete ${channel.name}`} onClick={() => setDeleting(channel)}>Delete</button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>
      </div>

      {editing && (
        <ChannelDialog key={editing.id ?? "new"} initial={editing} onSaved={() => setEditing(null)} onCancel={() => setEditing(null)} />
      )}
      {deleting && (
        <ConfirmDialog
          title="Delete channel?"
          message={<>“{deleting.name}” will be deleted. Flows that sync to it will fail until you point them at another channel.</>}
          confirmLabel="Delete"
          busy={remove.isPending}
          onCancel={() => setDeleting(null)}
          onConfirm={() => remove.mutate({ id: deleting.id })}
        />
      )}
    </div>
  );
}
