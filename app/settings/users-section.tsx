"use client";
import { useState } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { errorMessage, useTRPC } from "@/app/trpc-client";
import { useToast } from "@/app/components/toast";
import { ConfirmDialog, Dialog, FormDialog } from "@/app/components/dialog";
import { ErrorState, LoadingRows } from "@/app/components/states";
import { hasRole, ROLE_LABELS, ROLES, type Role } from "@/server/auth/roles";

export function UsersSection({ currentUserId, currentRole }: { currentUserId: string; currentRole: Role }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const toast = useToast();
  const users = useQuery(trpc.users.list.queryOptions());
  const invalidate = () => queryClient.invalidateQueries({ queryKey: trpc.users.list.queryKey() });
  const [inviting, setInviting] = useState(false);
  const [email, setEmail] = useState("");
  const [role, setRole] = useState<Role>("editor");
  const [link, setLink] = useState<{ email: string; url: string } | null>(null);
  const [deactivating, setDeactivating] = useState<{ id: string; email: string } | null>(null);
  const assignable = ROLES.filter((r) => hasRole(currentRole, r));

  const invite = useMutation(trpc.users.createInvite.mutationOptions({
    onSuccess: (created) => {
      setInviting(false);
      setEmail("");
      setLink({ email: created.email, url: `${window.location.origin}/invite/${created.token}` });
      void invalidate();
    },
  }));
  const changeRole = useMutation(trpc.users.changeRole.mutationOptions({
    onSuccess: () => { toast("Role changed", "success"); void invalidate(); },
    onError: (e) => toast(errorMessage(e), "error"),
  }));
  const setDeactivated = useMutation(trpc.users.setDeactivated.mutationOptions({
    onSuccess: (_, input) => { setDeactivating(null); toast(input.deactivated ? "Account deactivated" : "Account reactivated", "success"); void invalidate(); },
    onError: (e) => toast(errorMessage(e), "error"),
  }));
  const revokeInvite = useMutation(trpc.users.revokeInvite.mutationOptions({
    onSuccess: () => { toast("Invitation revoked", "success"); void invalidate(); },
  }));

  return (
    <section className="card" aria-labelledby="users-heading">
      <div className="card-body" style={{ display: "flex", alignItems: "center", gap: 12, borderBottom: "1px solid var(--border)" }}>
        <div style={{ flex: 1 }}>
          <h2 id="users-heading">Users</h2>
          <p className="muted small" style={{ margin: "2px 0 0" }}>Invite people by link; their role decides what they may change.</p>
        </div>
        <button className="btn btn-primary" onClick={() => setInviting(true)}>Invite user</button>
      </div>
      {users.isPending ? (
        <LoadingRows rows={2} label="Loading users" />
      ) : users.isError ? (
        <div className="card-body"><ErrorState message={`Could not load users: ${users.error.message}`} onRetry={() => void users.refetch()} /></div>
      ) : (
        <table className="table">
          <thead><tr><th>Name</th><th>Email</th><th>Role</th><th>Status</th><th /></tr></thead>
          <tbody>
            {users.data.users.map((user) => {
              const self = user.id === currentUserId;
              const manageable = !self && hasRole(currentRole, user.role as Role);
              return (
                <tr key={user.id} data-testid={`user-row-${user.email}`}>
                  <td style={{ fontWeight: 600 }}>{user.name}{self && <span className="muted"> (you)</span>}</td>
                  <td>{user.email}</td>
                  <td>
                    {manageable ? (
                      <select
                        className="select"
                        style={{ width: "auto" }}
                        aria-label={`Role of ${user.email}`}
                        value={user.role}
                        disabled={changeRole.isPending}
                        onChange={(e) => changeRole.mutate({ id: user.id, role: e.target.value as Role })}
                      >
                        {assignable.map((r) => <option key={r} value={r}>{r}</option>)}
                      </select>
                    ) : (
                      <span className="badge">{user.role}</span>
                    )}
                  </td>
                  <td>{user.deactivatedAt ? <span className="badge badge-warning">Deactivated</span> : <span className="badge badge-success">Active</span>}</td>
                  <td>
                    {manageable && (user.deactivatedAt ? (
                      <button className="btn btn-sm" onClick={() => setDeactivated.mutate({ id: user.id, deactivated: false })}>Reactivate</button>
                    ) : (
                      <button className="btn btn-sm btn-ghost" style={{ color: "var(--danger)" }} onClick={() => setDeactivating({ id: user.id, email: user.email })} aria-label={`Deactivate ${user.email}`}>Deactivate</button>
                    ))}
                  </td>
                </tr>
              );
            })}
            {users.data.invites.map((inv) => (
              <tr key={inv.id}>
                <td className="muted">Invited</td>
                <td>{inv.email}</td>
                <td><span className="badge">{inv.role}</span></td>
                <td className="muted">Link valid until {new Date(inv.expiresAt).toLocaleDateString()}</td>
                <td><button className="btn btn-sm btn-ghost" onClick={() => revokeInvite.mutate({ id: inv.id })} aria-label={`Revoke invitation for ${inv.email}`}>Revoke</button></td>
              </tr>
            ))}
          </tbody>
        </table>
      )}

      {inviting && (
        <FormDialog title="Invite user" submitLabel="Create invitation link" busy={invite.isPending} onCancel={() => setInviting(false)} onSubmit={() => invite.mutate({ email, role })}>
          <div className="field">
            <label htmlFor="invite-email">Email</label>
            <input id="invite-email" className="input" type="email" value={email} onChange={(e) => setEmail(e.target.value)} aria-invalid={invite.isError} aria-describedby={invite.isError ? "invite-error" : undefined} />
            {invite.isError && <span className="error" id="invite-error">{errorMessage(invite.error)}</span>}
          </div>
          <div className="field">
            <label htmlFor="invite-role">Role</label>
            <select id="invite-role" className="select" value={role} onChange={(e) => setRole(e.target.value as Role)}>
              {assignable.map((r) => <option key={r} value={r}>{ROLE_LABELS[r]}</option>)}
            </select>
          </div>
        </FormDialog>
      )}
      {link && (
        <Dialog title="Send this invitation link" onClose={() => setLink(null)} actions={<button className="btn btn-primary" onClick={() => setLink(null)}>Done</button>}>
          <p style={{ margin: 0 }}>Send it to {link.email} yourself; it works once and for 7 days. It is shown only now.</p>
          <div style={{ display: "flex", gap: 8 }}>
            <input className="input mono" readOnly value={link.url} aria-label="Invitation link" onFocus={(e) => e.target.select()} data-testid="invite-link" />
            <button className="btn" onClick={() => { void navigator.clipboard?.writeText(link.url); toast("Copied", "success"); }}>Copy</button>
          </div>
        </Dialog>
      )}
      {deactivating && (
        <ConfirmDialog
          title="Deactivate account?"
          message={<>{deactivating.email} is signed out everywhere and cannot sign in until reactivated.</>}
          confirmLabel="Deactivate"
          busy={setDeactivated.isPending}
          onCancel={() => setDeactivating(null)}
          onConfirm={() => setDeactivated.mutate({ id: deactivating.id, deactivated: true })}
        />
      )}
    </section>
  );
}
