import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TRPCError } from "@trpc/server";
import { createTestDatabase, type TestDatabase } from "@/server/db/test-database";
import { callerFor, type TestCaller } from "@/server/testing/trpc-caller";
import { appRouter } from "@/server/api/root";
import type { ProcedureMeta } from "@/server/api/trpc";
import { ROLES, roleRank, type Role } from "@/server/auth/roles";

// Every procedure of the router, found from the router itself (not a hand-kept list): each one
// declares a role, refuses an anonymous caller with UNAUTHORIZED and a role just below its own
// with FORBIDDEN. A procedure added later is covered without touching this file.

type AnyProcedure = { _def: { type: string; meta?: ProcedureMeta } };
const procedures = Object.entries(appRouter._def.procedures as unknown as Record<string, AnyProcedure>).map(([path, procedure]) => ({
  path,
  role: procedure._def.meta?.role,
}));

/** What may be called before sign-in, on purpose: the setup page and invitation links. */
const OPEN_ON_PURPOSE = ["users.acceptInvite", "users.invite", "users.setup", "users.setupNeeded"];

let database: TestDatabase;
const callers = new Map<Role | null, TestCaller>();

beforeAll(async () => {
  database = await createTestDatabase();
  callers.set(null, callerFor(database.prisma, { role: null }));
  for (const role of ROLES) callers.set(role, callerFor(database.prisma, { role }));
});
afterAll(async () => {
  await database?.drop();
});

async function codeOf(caller: TestCaller, path: string): Promise<string> {
  const fn = path.split(".").reduce<unknown>((node, key) => (node as Record<string, unknown>)[key], caller) as (input?: unknown) => Promise<unknown>;
  try {
    await fn(undefined);
    return "OK";
  } catch (error) {
    return error instanceof TRPCError ? error.code : `not a TRPCError: ${String(error)}`;
  }
}

describe("every tRPC procedure declares who may call it", () => {
  it("finds the procedures from the router", () => {
    expect(procedures.length).toBeGreaterThan(40);
    expect(procedures.map((p) => p.path)).toContain("flows.save");
  });

  it("has a role on every procedure, and only the setup and invitation ones are anonymous", () => {
    expect(procedures.filter((p) => p.role === undefined).map((p) => p.path)).toEqual([]);
    expect(procedures.filter((p) => p.role === "anonymous").map((p) => p.path).sort()).toEqual(OPEN_ON_PURPOSE);
  });

  it("matches the roles people are told about", () => {
    const roleOf = Object.fromEntries(procedures.map((p) => [p.path, p.role]));
    expect(roleOf).toMatchObject({
      "flows.list": "viewer",
      "flows.save": "editor",
      "flows.publish": "editor",
      "flows.testEvent": "editor",
      "flows.testSamples": "viewer",
      "eventTypes.create": "editor",
      "eventTypes.testEvent": "editor",
      "deadLetters.list": "viewer",
      "deadLetters.redrive": "editor",
      "deadLetters.discard": "editor",
      "credentials.list": "viewer",
      "credentials.update": "admin",
      "channels.update": "admin",
      "sources.list": "viewer",
      "sources.create": "admin",
      "sources.update": "admin",
      "sources.delete": "admin",
      "apiKeys.create": "admin",
      "apiKeys.list": "admin",
      "users.changeRole": "admin",
      "audit.list": "admin",
    });
  });

  for (const { path, role } of procedures) {
    if (role === "anonymous" || role === undefined) continue;
    it(`${path} (${role}) refuses anonymous callers and weaker roles`, async () => {
      expect(await codeOf(callers.get(null)!, path)).toBe("UNAUTHORIZED");
      const weaker = ROLES.filter((r) => roleRank(r) < roleRank(role));
      for (const weak of weaker) expect(`${weak}: ${await codeOf(callers.get(weak)!, path)}`).toBe(`${weak}: FORBIDDEN`);
      // The declared role itself gets past the check (its empty input is then refused, or it runs).
      expect(["OK", "BAD_REQUEST", "NOT_FOUND", "PRECONDITION_FAILED"]).toContain(await codeOf(callers.get(role)!, path));
    });
  }
});
