import "server-only";
import type { PrismaClient } from "@/server/db/generated/client";
import { authFor } from "./auth";
import { roleSchema, type Role } from "./roles";

export interface SignedInUser {
  id: string;
  email: string;
  name: string;
  role: Role;
}

/** The signed-in user of a request's session cookie, or null (no, expired or deactivated session). */
export async function sessionFromHeaders(prisma: PrismaClient, headers: Headers): Promise<SignedInUser | null> {
  if (!headers.get("cookie")) return null;
  const session = await authFor(prisma).api.getSession({ headers });
  if (!session) return null;
  const user = session.user as typeof session.user & { role?: string; deactivatedAt?: Date | null };
  if (user.deactivatedAt) return null;
  const role = roleSchema.safeParse(user.role);
  if (!role.success) return null;
  return { id: user.id, email: user.email, name: user.name, role: role.data };
}
