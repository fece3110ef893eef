import * as z from "zod";

// Who may do what. Roles are ordered: each one can do everything the roles below it can.
//   viewer — read everything except secrets
//   editor — flows, event types, redrive/discard dead letters, test events
//   admin  — users, API keys, credentials, channels
//   owner  — the first account; the only one that can make or remove owners and admins
// Browser-safe (the UI hides what a role cannot do; the server refuses it regardless).

export const ROLES = ["viewer", "editor", "admin", "owner"] as const;
export const roleSchema = z.enum(ROLES, { error: "Choose one of: viewer, editor, admin, owner." });
export type Role = z.infer<typeof roleSchema>;

export function roleRank(role: Role): number {
  return ROLES.indexOf(role);
}

/** true when `role` may do what `needed` may do. An unknown stored role counts as none. */
export function hasRole(role: string | null | undefined, needed: Role): boolean {
  const parsed = roleSchema.safeParse(role);
  return parsed.success && roleRank(parsed.data) >= roleRank(needed);
}

export const ROLE_LABELS: Record<Role, string> = {
  viewer: "Viewer — reads everything except secrets",
  editor: "Editor — flows, event types, dead letters, test events",
  admin: "Admin — users, API keys, credentials, channels",
  owner: "Owner — everything, including admins and owners",
};
