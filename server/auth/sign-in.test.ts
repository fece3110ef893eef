import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "@/server/db/test-database";
import { authFor, SIGN_IN_PER_IP_PER_MINUTE, trustsForwardedFor } from "./auth";
import { acceptInvite, createFirstOwner, createInvite, createUserWithPassword, ensureOwnerFromEnv, setDeactivated } from "./users";
import { MAX_FAILURES_PER_ACCOUNT } from "./sign-in-limit";
import { sessionFromHeaders } from "./session";
import { authenticateBearer, createApiKey, ensureBootstrapApiKey, revokeApiKey } from "./api-keys";

// Sign-in through Better Auth's real HTTP handler against a real database: the cookie it sets,
// the limits per IP and per account, deactivation, setup, invitations and API-key storage.

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database?.drop();
});

let ipCounter = 0;
/** Each test signs in from its own address, so the per-IP limit of one does not leak into another. */
function freshIp() {
  ipCounter += 1;
  return `203.0.113.${ipCounter}`;
}

/** Behind a trusted proxy (SYNCLINE_TRUST_PROXY), which writes X-Forwarded-For; `trustProxy: false` is the default without one. */
function signIn(email: string, password: string, ip: string, { trustProxy = true } = {}) {
  return authFor(database.prisma, { trustProxy }).handler(
    new Request("http://localhost:3000/api/auth/sign-in/email", {
      method: "POST",
      headers: { "content-type": "application/json", origin: "http://localhost:3000", "x-forwarded-for": ip },
      body: JSON.stringify({ email, password }),
    }),
  );
}

async function user(role: "owner" | "admin" | "editor" | "viewer" = "editor") {
  const email = `${role}-${Math.random().toString(36).slice(2, 8)}@example.com`;
  const password = "correct horse battery";
  const created = await createUserWithPassword(database.prisma, { name: "Test", email, password, role });
  return { ...created, password };
}

describe("sign-in", () => {
  it("sets an HttpOnly, SameSite=Lax session cookie that identifies the user and role", async () => {
    const u = await user("editor");
    const response = await signIn(u.email, u.password, freshIp());
    expect(response.status).toBe(200);
    const cookie = response.headers.getSetCookie().find((c) => c.startsWith("syncline.session_token="));
    expect(cookie).toBeDefined();
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Lax/i);
    // Served over http here, so not Secure (an https SYNCLINE_PUBLIC_URL makes it Secure).
    expect(cookie).not.toMatch(/Secure/i);
    const signedIn = await sessionFromHeaders(database.prisma, new Headers({ cookie: cookie!.split(";")[0]! }));
    expect(signedIn).toMatchObject({ email: u.email, role: "editor" });
  });

  it("stores a scrypt hash, never the password", async () => {
    const u = await user();
    const account = await database.prisma.account.findFirst({ where: { userId: u.id } });
    expect(account?.password).toBeTruthy();
    expect(account?.password).not.toContain(u.password);
    // Better Auth's scrypt format: <salt hex>:<key hex>
    expect(account?.password).toMatch(/^[0-9a-f]{32}:[0-9a-f]{128}$/);
  });

  it("refuses a wrong password with 401", async () => {
    const u = await user();
    expect((await signIn(u.email, "wrong password!", freshIp())).status).toBe(401);
  });

  it(`limits sign-ins per IP address (${SIGN_IN_PER_IP_PER_MINUTE} a minute)`, async () => {
    const ip = freshIp();
    const statuses: number[] = [];
    for (let i = 0; i <= SIGN_IN_PER_IP_PER_MINUTE; i++) statuses.push((await signIn(`nobody${i}@example.com`, "whatever123", ip)).status);
    expect(statuses.slice(0, SIGN_IN_PER_IP_PER_MINUTE).every((s) => s === 401)).toBe(true);
    expect(statuses.at(-1)).toBe(429);
    // Another address is not affected.
    const u = await user();
    expect((await signIn(u.email, u.password, freshIp())).status).toBe(200);
  });

  it("ignores X-Forwarded-For unless a trusted proxy writes it: a client that sends a new address each time still hits the limit", async () => {
    const statuses: number[] = [];
    for (let i = 0; i <= SIGN_IN_PER_IP_PER_MINUTE; i++) statuses.push((await signIn(`spoofer${i}@example.com`, "whatever123", freshIp(), { trustProxy: false })).status);
    expect(statuses.slice(0, SIGN_IN_PER_IP_PER_MINUTE).every((s) => s === 401)).toBe(true);
    expect(statuses.at(-1)).toBe(429);
    expect(trustsForwardedFor({ SYNCLINE_TRUST_PROXY: false })).toBe(false);
    expect(trustsForwardedFor({ SYNCLINE_TRUST_PROXY: true })).toBe(true);
    expect(trustsForwardedFor({ SYNCLINE_TRUST_PROXY: false, VERCEL: "1" })).toBe(true);
  });

  it(`locks an account after ${MAX_FAILURES_PER_ACCOUNT} wrong passwords, from any address, even with the right one`, async () => {
    const u = await user();
    for (let i = 0; i < MAX_FAILURES_PER_ACCOUNT; i++) expect((await signIn(u.email, `wrong-${i}-password`, freshIp())).status).toBe(401);
    const locked = await signIn(u.email, u.password, freshIp());
    expect(locked.status).toBe(429);
    expect(((await locked.json()) as { message: string }).message).toMatch(/Too many failed sign-ins for this account/);
    // Other accounts sign in as usual.
    const other = await user();
    expect((await signIn(other.email, other.password, freshIp())).status).toBe(200);
  });

  it("refuses a deactivated account and ends its sessions", async () => {
    const u = await user();
    const response = await signIn(u.email, u.password, freshIp());
    const cookie = response.headers.getSetCookie()[0]!.split(";")[0]!;
    expect(await sessionFromHeaders(database.prisma, new Headers({ cookie }))).not.toBeNull();
    await setDeactivated(database.prisma, u.id, true);
    expect(await sessionFromHeaders(database.prisma, new Headers({ cookie }))).toBeNull();
    expect((await signIn(u.email, u.password, freshIp())).status).toBe(403);
  });
});

describe("accounts", () => {
  it("creates the first owner once; setup is refused when any account exists", async () => {
    const fresh = await createTestDatabase();
    try {
      await createFirstOwner(fresh.prisma, { name: "Ada", email: "ada@example.com", password: "first owner pw" });
      await expect(createFirstOwner(fresh.prisma, { name: "Eve", email: "eve@example.com", password: "second owner pw" })).rejects.toThrow(/already set up/);
      expect(await fresh.prisma.user.findMany({ select: { email: true, role: true } })).toEqual([{ email: "ada@example.com", role: "owner" }]);
    } finally {
      await fresh.drop();
    }
  });

  it("makes sure the SYNCLINE_ADMIN_* owner exists and can sign in with that password", async () => {
    await ensureOwnerFromEnv(database.prisma, "ops@example.com", "from the env 1");
    await ensureOwnerFromEnv(database.prisma, "ops@example.com", "from the env 2");
    expect(await database.prisma.user.count({ where: { email: "ops@example.com", role: "owner" } })).toBe(1);
    expect((await signIn("ops@example.com", "from the env 1", freshIp())).status).toBe(401);
    expect((await signIn("ops@example.com", "from the env 2", freshIp())).status).toBe(200);
  });

  it("lets an invitation link be used once, with the invited role", async () => {
    const owner = await user("owner");
    const invite = await createInvite(database.prisma, { email: "new.editor@example.com", role: "editor", invitedById: owner.id });
    const joined = await acceptInvite(database.prisma, invite.token, { name: "New", password: "a good password" });
    expect(joined).toMatchObject({ email: "new.editor@example.com", role: "editor" });
    await expect(acceptInvite(database.prisma, invite.token, { name: "Again", password: "a good password" })).rejects.toThrow(/not valid any more/);
    expect((await signIn("new.editor@example.com", "a good password", freshIp())).status).toBe(200);
  });
});

describe("API keys", () => {
  it("stores a keyed hash (not the key, not its plain SHA-256) and reports the scope", async () => {
    const created = await createApiKey(database.prisma, "scoped", "events:write");
    const row = await database.prisma.apiKey.findUniqueOrThrow({ where: { id: created.id } });
    expect(row.hash).not.toContain(created.key);
    expect(row.hash).not.toBe(createHash("sha256").update(created.key).digest("hex"));
    expect(await authenticateBearer(database.prisma, `Bearer ${created.key}`)).toMatchObject({ id: created.id, scope: "events:write" });
  });

  it("shows no prefix of BOOTSTRAP_API_KEY, and keeps it revoked across restarts", async () => {
    const bootstrap = "my-own-bootstrap-key-0123456789";
    await ensureBootstrapApiKey(database.prisma, bootstrap);
    const row = await database.prisma.apiKey.findFirstOrThrow({ where: { name: { contains: "BOOTSTRAP" } } });
    expect(row.prefix).toBeNull();
    expect(await authenticateBearer(database.prisma, `Bearer ${bootstrap}`)).not.toBeNull();
    await revokeApiKey(database.prisma, row.id);
    await ensureBootstrapApiKey(database.prisma, bootstrap); // the next start
    expect(await authenticateBearer(database.prisma, `Bearer ${bootstrap}`)).toBeNull();
  });

  it("upgrades a key stored as plain SHA-256 (before keyed hashes) on its first use", async () => {
    const key = "syn_legacy_key_stored_before_hmac";
    const legacy = await database.prisma.apiKey.create({ data: { name: "legacy", prefix: "syn_le", hash: createHash("sha256").update(key).digest("hex") } });
    expect(await authenticateBearer(database.prisma, `Bearer ${key}`)).toMatchObject({ id: legacy.id });
    const row = await database.prisma.apiKey.findUniqueOrThrow({ where: { id: legacy.id } });
    expect(row.hash).not.toBe(createHash("sha256").update(key).digest("hex"));
  });
});
