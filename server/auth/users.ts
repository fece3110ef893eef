import "server-only";
import { createHmac, randomBytes } from "node:crypto";
import * as z from "zod";
import type { PrismaClient } from "@/server/db/generated/client";
import { authFor } from "./auth";
import { derivedKey } from "./derived-keys";
import type { Role } from "./roles";

// Accounts: the first owner (setup page or SYNCLINE_ADMIN_*), invitations, role changes and
// deactivation. Public sign-up is off; these are the only ways an account comes to exist.

export class UserInputError extends Error {
  constructor(message: string, readonly field?: string) {
    super(message);
    this.name = "UserInputError";
  }
}

export const passwordSchema = z
  .string()
  .min(10, "Use at least 10 characters.")
  .max(256, "Use at most 256 characters.");
export const newAccountSchema = z.object({
  name: z.string().trim().min(1, "Enter your name.").max(100, "Use at most 100 characters."),
  email: z.email("Enter a valid email address.").transform((e) => e.toLowerCase()),
  password: passwordSchema,
});

const INVITE_TTL_MS = 7 * 24 * 3600_000;

export async function hasAnyUser(prisma: PrismaClient): Promise<boolean> {
  return (await prisma.user.count()) > 0;
}

/** Creates an account with a password (hashed by Better Auth: scrypt). */
export async function createUserWithPassword(
  prisma: PrismaClient,
  input: { name: string; email: string; password: string; role: Role },
) {
  const ctx = await authFor(prisma).$context;
  const email = input.email.toLowerCase();
  if (await ctx.internalAdapter.findUserByEmail(email)) throw new UserInputError("An account with this email already exists.", "email");
  const hash = await ctx.password.hash(input.password);
  const user = await ctx.internalAdapter.createUser({ email, name: input.name, emailVerified: true, role: input.role }, { method: "admin" });
  await ctx.internalAdapter.linkAccount({ providerId: "credential", accountId: user.id, password: hash, userId: user.id });
  return { id: user.id, email: user.email, name: user.name, role: input.role };
}

/** The setup page: makes the owner, but only while no account exists. */
export async function createFirstOwner(prisma: PrismaClient, input: z.infer<typeof newAccountSchema>) {
  // An advisory lock makes two simultaneous setup submissions yield one owner, not two.
  return prisma.$transaction(async (tx) => {
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(847213)`;
    if ((await tx.user.count()) > 0) throw new UserInputError("Syncline is already set up. Sign in instead.");
    return createUserWithPassword(prisma, { ...input, role: "owner" });
    // scrypt is deliberately slow; on a busy machine hashing alone can pass Prisma's 5 s default.
  }, { timeout: 60_000, maxWait: 30_000 });
}

/** SYNCLINE_ADMIN_EMAIL / SYNCLINE_ADMIN_PASSWORD: this owner exists (and can sign in) after start. */
export async function ensureOwnerFromEnv(prisma: PrismaClient, email: string, password: string) {
  const existing = await prisma.user.findUnique({ where: { email: email.toLowerCase() } });
  if (!existing) {
    await createUserWithPassword(prisma, { name: email.split("@")[0] ?? "Owner", email, password, role: "owner" });
    return;
  }
  const ctx = await authFor(prisma).$context;
  await prisma.user.update({ where: { id: existing.id }, data: { role: "owner", deactivatedAt: null } });
  const account = await prisma.account.findFirst({ where: { userId: existing.id, providerId: "credential" } });
  const matches = account?.password ? await ctx.password.verify({ hash: account.password, password }) : false;
  if (!matches) {
    const hash = await ctx.password.hash(password);
    if (account) await prisma.account.update({ where: { id: account.id }, data: { password: hash } });
    else await ctx.internalAdapter.linkAccount({ providerId: "credential", accountId: existing.id, password: hash, userId: existing.id });
  }
}

function hashInviteToken(token: string) {
  return createHmac("sha256", derivedKey("invite-token-hmac")).update(token).digest("hex");
}

export async function createInvite(prisma: PrismaClient, input: { email: string; role: Role; invitedById: string }) {
  const email = input.email.toLowerCase();
  if (await prisma.user.findUnique({ where: { email } })) throw new UserInputError("An account with this email already exists.", "email");
  const token = randomBytes(24).toString("base64url");
  const invite = await prisma.invite.create({
    data: { email, role: input.role, invitedById: input.invitedById, tokenHash: hashInviteToken(token), expiresAt: new Date(Date.now() + INVITE_TTL_MS) },
  });
  return { id: invite.id, email, role: input.role, expiresAt: invite.expiresAt, token };
}

export async function findOpenInvite(prisma: PrismaClient, token: string) {
  const invite = await prisma.invite.findUnique({ where: { tokenHash: hashInviteToken(token) } });
  if (!invite || invite.acceptedAt || invite.expiresAt.getTime() < Date.now()) return null;
  return invite;
}

export async function acceptInvite(prisma: PrismaClient, token: string, input: { name: string; password: string }) {
  const invite = await findOpenInvite(prisma, token);
  if (!invite) throw new UserInputError("This invitation link is not valid any more. Ask an admin for a new one.");
  const claimed = await prisma.invite.updateMany({ where: { id: invite.id, acceptedAt: null }, data: { acceptedAt: new Date() } });
  if (claimed.count === 0) throw new UserInputError("This invitation link was already used.");
  return createUserWithPassword(prisma, { name: input.name, email: invite.email, password: input.password, role: invite.role as Role });
}

export async function listUsers(prisma: PrismaClient) {
  const [users, invites] = await Promise.all([
    prisma.user.findMany({ orderBy: { createdAt: "asc" }, select: { id: true, name: true, email: true, role: true, deactivatedAt: true, createdAt: true } }),
    prisma.invite.findMany({ where: { acceptedAt: null, expiresAt: { gt: new Date() } }, orderBy: { createdAt: "desc" }, select: { id: true, email: true, role: true, expiresAt: true } }),
  ]);
  return { users, invites };
}

async function assertAnotherOwnerRemains(prisma: PrismaClient, userId: string) {
  const owners = await prisma.user.count({ where: { role: "owner", deactivatedAt: null, id: { not: userId } } });
  if (owners === 0) throw new UserInputError("Syncline needs at least one active owner; make someone else owner first.");
}

export async function changeRole(prisma: PrismaClient, userId: string, role: Role) {
  const user = await prisma.user.findUnique({ where: { id: userId } });
  if (!user) throw new UserInputError("There is no such user.");
  if (user.role === "owner" && role !== "owner") await assertAnotherOwnerRemains(prisma, userId);
  await prisma.user.update({ where: { id: userId }, data: { role } });
  return { previous: user.role, email: user.email };
}

/** Deactivated accounts cannot sign in, and their sessions end at once. */
export async function setDeactivated(prisma: PrismaClient, userId: string, deactivated: boolean) {
  const user = await prisma.user.findUnique({ where: { id: userId } });
  if (!user) throw new UserInputError("There is no such user.");
  if (deactivated && user.role === "owner") await assertAnotherOwnerRemains(prisma, userId);
  await prisma.$transaction([
    prisma.user.update({ where: { id: userId }, data: { deactivatedAt: deactivated ? new Date() : null } }),
    ...(deactivated ? [prisma.session.deleteMany({ where: { userId } })] : []),
  ]);
  return { email: user.email };
}

export async function revokeInvite(prisma: PrismaClient, inviteId: string) {
  await prisma.invite.deleteMany({ where: { id: inviteId, acceptedAt: null } });
}
