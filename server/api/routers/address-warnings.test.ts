import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "@/server/db/test-database";
import { createCredential } from "@/server/credentials/credential-store";
import { callerFor, trpcCode, type TestCaller } from "@/server/testing/trpc-caller";

// The editor's warnings about addresses runs will refuse (docs/decisions/0029), through the
// routers the channel dialog and the flow editor call, against a real database. The allow-list
// permits 127.0.0.1 (as the e2e server does); 10.x and 192.168.x addresses are refused. Hosts are
// IP literals, so no DNS answer is involved.

const key = randomBytes(32);
const previous = { key: process.env.SYNCLINE_SECRET_KEY, allowlist: process.env.SYNCLINE_HTTP_ALLOWLIST };
let database: TestDatabase;
let admin: TestCaller;

beforeAll(async () => {
  process.env.SYNCLINE_SECRET_KEY = key.toString("hex");
  process.env.SYNCLINE_HTTP_ALLOWLIST = "127.0.0.1";
  database = await createTestDatabase();
  admin = callerFor(database.prisma);
});
afterAll(async () => {
  for (const [name, value] of [["SYNCLINE_SECRET_KEY", previous.key], ["SYNCLINE_HTTP_ALLOWLIST", previous.allowlist]] as const) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  await database?.drop();
});

describe("address warnings", () => {
  it("the channel dialog: warns about each URL setting runs will refuse, by the form's label, and not about allowed or public ones", async () => {
    const woo = await admin.channels.addressWarnings({ type: "woocommerce", settings: { baseUrl: "http://10.1.2.3:8080" } });
    expect(woo).toEqual([{ field: "baseUrl", label: "Store URL", message: expect.stringMatching(/^Runs will refuse this URL: 10\.1\.2\.3 is a private address.*SYNCLINE_HTTP_ALLOWLIST/) }]);

    const bol = await admin.channels.addressWarnings({ type: "bolcom", settings: { baseUrl: "https://93.184.216.34/retailer", authUrl: "http://192.168.0.4/token" } });
    expect(bol.map((w) => [w.field, w.label])).toEqual([["authUrl", "Token URL"]]);
    // A shop domain is called over https: a private address given as a domain is warned about too.
    expect((await admin.channels.addressWarnings({ type: "shopify", settings: { shopDomain: "10.9.9.9" } })).map((w) => w.field)).toEqual(["shopDomain"]);

    expect(await admin.channels.addressWarnings({ type: "webhook", settings: { url: "http://127.0.0.1:9/hook" } })).toEqual([]);
    expect(await admin.channels.addressWarnings({ type: "webhook", settings: { url: "not a url yet" } })).toEqual([]);
  });

  it("the editor: a step's URL, literal image URLs, and the URLs of the channel and credential a step names", async () => {
    const channel = await admin.channels.create({ name: "Office shop", type: "webhook", settings: { url: "http://10.0.0.8/hooks/syncline" } });
    const fine = await admin.channels.create({ name: "Public shop", type: "webhook", settings: { url: "https://93.184.216.34/hooks" } });
    const translator = await createCredential(database.prisma, { name: "Office translator", type: "libretranslate", secret: {}, settings: { baseUrl: "http://192.168.1.20:5000" } }, { key });

    const warnings = await admin.flows.addressWarnings({
      steps: [
        { nodeId: "call", kind: "action:http-request", url: "http://10.0.0.9/api" },
        { nodeId: "local", kind: "action:http-request", url: "http://127.0.0.1:3000/api" },
        { nodeId: "dynamic", kind: "action:http-request", url: "https://{{ event.data.host }}/x" },
        { nodeId: "resize", kind: "action:resize-image", images: '["http://172.16.5.5/a.jpg", event.data.image, "https://93.184.216.34/b.jpg"]' },
        { nodeId: "resize-path", kind: "action:resize-image", images: "event.data.images" },
        { nodeId: "sync", kind: "action:sync-channel", channelId: channel.id },
        { nodeId: "sync-ok", kind: "action:sync-channel", channelId: fine.id },
        { nodeId: "sync-gone", kind: "action:sync-channel", channelId: "no-such-channel" },
        { nodeId: "translate", kind: "action:translate", credentialId: translator.id },
      ],
    });
    expect(warnings.map((w) => [w.nodeId, w.field])).toEqual([
      ["call", "URL"],
      ["resize", "Images"],
      ["sync", "Channel “Office shop” › URL"],
      ["translate", "Credential “Office translator” › Base URL"],
    ]);
    expect(warnings.find((w) => w.nodeId === "resize")!.message).toMatch(/172\.16\.5\.5 is a private address/);
    expect(warnings.find((w) => w.nodeId === "sync")!.message).toMatch(/10\.0\.0\.8 is a private address/);
  });

  it("only editors may ask about a flow's steps and only admins about channel settings", async () => {
    const viewer = callerFor(database.prisma, { role: "viewer" });
    const editor = callerFor(database.prisma, { role: "editor" });
    expect(await trpcCode(viewer.flows.addressWarnings({ steps: [] }))).toBe("FORBIDDEN");
    expect(await editor.flows.addressWarnings({ steps: [] })).toEqual([]);
    expect(await trpcCode(editor.channels.addressWarnings({ type: "webhook", settings: {} }))).toBe("FORBIDDEN");
    expect(await trpcCode(callerFor(database.prisma, { role: null }).flows.addressWarnings({ steps: [] }))).toBe("UNAUTHORIZED");
  });
});
