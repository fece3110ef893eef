"use client";
import { createContext, useContext, type ReactNode } from "react";
import { hasRole, type Role } from "@/server/auth/roles";

export interface CurrentUser {
  id: string;
  email: string;
  name: string;
  role: Role;
}

const CurrentUserContext = createContext<CurrentUser | null>(null);

export function CurrentUserProvider({ user, children }: { user: CurrentUser | null; children: ReactNode }) {
  return <CurrentUserContext.Provider value={user}>{children}</CurrentUserContext.Provider>;
}

/** The signed-in user (null on the pages before sign-in). */
export function useCurrentUser(): CurrentUser | null {
  return useContext(CurrentUserContext);
}

/**
 * Whether the signed-in user has `role` or higher. The UI hides what a role may not do; the
 * server refuses it regardless (server/api/trpc.ts).
 */
export function useHasRole(role: Role): boolean {
  const user = useCurrentUser();
  return user !== null && hasRole(user.role, role);
}
