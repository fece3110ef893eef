// Hosted NATS asks for a sign-in and often TLS with a private CA. Each mode runs against a real
// nats-server started with that configuration: the right settings connect and JetStream works,
// wrong or missing ones are refused with a message that says which variable to fix.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { createAccount, createOperator, createUser, encodeAccount, encodeOperator, encodeUser, fmtCreds } from "@nats-io/jwt";
import type { NatsConnection } from "@nats-io/transport-node";
import { afterAll, describe, expect, it } from "vitest";
import { parseEnv } from "../env";
import { natsAuthSettingsFromEnv, NatsSettingsError, redactUrl, type NatsAuthSettings } from "./auth-options";
import { checkNats, connectNats, NatsConnectError } from "./connection";
import { startNatsServer, type NatsServerProcess } from "./nats-server-process";

const dirs: string[] = [];
const servers: NatsServerProcess[] = [];
afterAll(async () => {
  await Promise.all(servers.map((server) => server.stop()));
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), "syncline-nats-auth-"));
  dirs.push(dir);
  return dir;
}

/** A nats-server on a free port with JetStream, a temp store and the given configuration. */
async function serverWith(config: string): Promise<NatsServerProcess> {
  const dir = tempDir();
  const configFile = path.join(dir, "nats.conf");
  writeFileSync(configFile, config);
  const server = await startNatsServer({ storeDir: path.join(dir, "store"), configFile });
  servers.push(server);
  return server;
}

/** Connects like the app does (no reconnects here, so a refusal is final) and proves JetStream works. */
async function connectAndUseJetStream(url: string, auth: NatsAuthSettings): Promise<void> {
  const nc: NatsConnection = await connectNats(url, { name: "auth-test", auth, reconnect: false, timeout: 3_000 });
  try {
    const name = `auth_${randomBytes(4).toString("hex")}`;
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name, subjects: [`${name}.>`] });
    const ack = await jetstream(nc).publish(`${name}.hello`, "hi", { msgID: "m1" });
    expect(ack.seq).toBe(1);
    const stored = await jsm.streams.getMessage(name, { seq: 1 });
    expect(stored?.string()).toBe("hi");
    await jsm.streams.delete(name);
  } finally {
    await nc.close();
  }
}

async function refusal(url: string, auth: NatsAuthSettings): Promise<Error> {
  const error = await connectNats(url, { name: "auth-test", auth, reconnect: false, timeout: 3_000 }).then(
    async (nc) => {
      await nc.close();
      throw new Error("connected, but the server should have refused");
    },
    (err: unknown) => err as Error,
  );
  expect(error).toBeInstanceOf(NatsConnectError);
  return error;
}

describe("token sign-in (NATS_TOKEN)", () => {
  it("connects with the token and is refused without it or with another", async () => {
    const server = await serverWith(`authorization { token: "s3cret-token-for-tests" }\n`);
    await connectAndUseJetStream(server.url, { token: "s3cret-token-for-tests" });
    expect((await refusal(server.url, { token: "wrong-token" })).message).toMatch(
      /refused the token in NATS_TOKEN .*check that they are current/,
    );
    expect((await refusal(server.url, {})).message).toMatch(
      /requires a sign-in and none is configured: set NATS_CREDS .* NATS_USER and NATS_PASSWORD, or NATS_TOKEN/,
    );
  });
});

describe("user and password (NATS_USER, NATS_PASSWORD)", () => {
  it("connects with them, is refused with a wrong password, and the health check says so", async () => {
    const server = await serverWith(`authorization { users = [ { user: "syncline", password: "correct horse" } ] }\n`);
    await connectAndUseJetStream(server.url, { user: "syncline", password: "correct horse" });
    expect((await refusal(server.url, { user: "syncline", password: "battery staple" })).message).toMatch(
      /refused user "syncline" \(NATS_USER \/ NATS_PASSWORD\)/,
    );
    const health = await checkNats(server.url, 3_000, { user: "syncline", password: "battery staple" });
    expect(health).toMatchObject({ ok: false, jetstream: false });
    expect(health.error).toMatch(/refused user "syncline"/);
    expect(await checkNats(server.url, 3_000, { user: "syncline", password: "correct horse" })).toMatchObject({ ok: true, jetstream: true });
  });
});

describe("NKey/JWT credentials (NATS_CREDS)", () => {
  /** An operator-mode server that knows one account, and a .creds file for a user of that account. */
  async function operatorSetup() {
    const operator = createOperator();
    const account = createAccount();
    const user = createUser();
    const operatorJwt = await encodeOperator("test-operator", operator);
    // Limits given replace the defaults, so spell out "unlimited" for connections too.
    const limits = { conn: -1, subs: -1, data: -1, payload: -1, imports: -1, exports: -1, leaf: -1, wildcards: true };
    const jetstreamLimits = { mem_storage: -1, disk_storage: -1, streams: -1, consumer: -1 };
    const accountJwt = await encodeAccount("syncline", account, { limits: { ...limits, ...jetstreamLimits } }, { signer: operator });
    const userJwt = await encodeUser("syncline-app", user, account);
    const creds = new TextDecoder().decode(fmtCreds(userJwt, user));

    // A user signed by an account the server does not know: well-formed, but not ours.
    const strangerAccount = createAccount();
    const stranger = createUser();
    const strangerCreds = new TextDecoder().decode(fmtCreds(await encodeUser("stranger", stranger, strangerAccount), stranger));

    // JetStream in operator mode needs a system account.
    const system = createAccount();
    const systemJwt = await encodeAccount("SYS", system, {}, { signer: operator });
    const server = await serverWith(
      [
        `operator: ${operatorJwt}`,
        `system_account: ${system.getPublicKey()}`,
        "resolver: MEMORY",
        `resolver_preload: { ${system.getPublicKey()}: ${systemJwt}, ${account.getPublicKey()}: ${accountJwt} }`,
        "",
      ].join("\n"),
    );
    return { server, creds, strangerCreds };
  }

  it("connects with the creds given inline or as a file, and JetStream works for the account", async () => {
    const { server, creds } = await operatorSetup();
    await connectAndUseJetStream(server.url, { creds });
    const file = path.join(tempDir(), "syncline.creds");
    writeFileSync(file, creds);
    await connectAndUseJetStream(server.url, { creds: file });
    // A dashboard that stored the line breaks as literal "\n" still works.
    await connectAndUseJetStream(server.url, { creds: creds.replace(/\n/g, "\\n") });
  });

  it("is refused with another account's creds or none, naming the setting", async () => {
    const { server, strangerCreds } = await operatorSetup();
    expect((await refusal(server.url, { creds: strangerCreds })).message).toMatch(/refused the credentials in NATS_CREDS/);
    expect((await refusal(server.url, {})).message).toMatch(/requires a sign-in and none is configured/);
  });

  it("rejects creds that are not a creds file before connecting", async () => {
    const { server } = await operatorSetup();
    const connect = (creds: string) => connectNats(server.url, { name: "auth-test", auth: { creds }, reconnect: false });
    await expect(connect("-----BEGIN SOMETHING-----\nabc\n")).rejects.toThrow(NatsSettingsError);
    await expect(connect("-----BEGIN SOMETHING-----\nabc\n")).rejects.toThrow(/needs a -----BEGIN NATS USER JWT----- block/);
    await expect(connect("/nonexistent/syncline.creds")).rejects.toThrow(
      /NATS_CREDS is neither PEM text .* nor a readable file: \/nonexistent\/syncline.creds \(no such file\)/,
    );
  });
});

describe("TLS with a private CA (NATS_TLS_CA, NATS_TLS_CERT, NATS_TLS_KEY)", () => {
  /** A throwaway CA, a server certificate for 127.0.0.1 and a client certificate, all signed by it. */
  function certificates() {
    const dir = tempDir();
    const file = (name: string) => path.join(dir, name);
    const openssl = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=Syncline test CA");
    const issue = (name: string, subject: string, extensions: string) => {
      writeFileSync(file(`${name}.ext`), extensions);
      openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", subject);
      openssl("x509", "-req", "-in", `${name}.csr`, "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", `${name}.pem`, "-days", "2", "-extfile", `${name}.ext`);
    };
    issue("server", "/CN=127.0.0.1", "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n");
    issue("client", "/CN=syncline-app", "extendedKeyUsage=clientAuth\n");
    return { file, read: (name: string) => readFileSync(file(name), "utf8") };
  }
  const tlsBlock = (certs: ReturnType<typeof certificates>, verify: boolean) =>
    `tls {\n  cert_file: "${certs.file("server.pem")}"\n  key_file: "${certs.file("server.key")}"\n` +
    `  ca_file: "${certs.file("ca.pem")}"\n  verify: ${verify}\n  timeout: 3\n}\n`;

  it("connects when NATS_TLS_CA holds the CA (PEM or a path), and refuses an untrusted server with a hint", async () => {
    const certs = certificates();
    const server = await serverWith(tlsBlock(certs, false));
    await connectAndUseJetStream(server.url, { tlsCa: certs.read("ca.pem") });
    await connectAndUseJetStream(server.url, { tlsCa: certs.file("ca.pem") });
    expect((await refusal(server.url, {})).message).toMatch(
      /presented a TLS certificate that is not trusted .*: set NATS_TLS_CA to the CA certificate that signed it/,
    );
    // A CA, but not the one that signed this server's certificate.
    const other = certificates();
    expect((await refusal(server.url, { tlsCa: other.read("ca.pem") })).message).toMatch(
      /not trusted .*NATS_TLS_CA does not hold the CA that signed the server's certificate/,
    );
  });

  it("presents the client certificate to a server that verifies clients, and says so when it is missing", async () => {
    const certs = certificates();
    const server = await serverWith(tlsBlock(certs, true));
    await connectAndUseJetStream(server.url, { tlsCa: certs.read("ca.pem"), tlsCert: certs.read("client.pem"), tlsKey: certs.file("client.key") });
    expect((await refusal(server.url, { tlsCa: certs.read("ca.pem") })).message).toMatch(
      /turned down the TLS handshake \(.*certificate.*\): it verifies clients — set NATS_TLS_CERT and NATS_TLS_KEY/,
    );
  });

  it("says so when TLS settings meet a server without TLS", async () => {
    const certs = certificates();
    const server = await serverWith("");
    expect((await refusal(server.url, { tlsCa: certs.read("ca.pem") })).message).toMatch(
      /does not offer TLS, but NATS_TLS_CA \/ NATS_TLS_CERT is set/,
    );
  });
});

describe("the environment", () => {
  const base = { NODE_ENV: "test" };
  it("turns NATS_* variables into settings", () => {
    expect(natsAuthSettingsFromEnv(parseEnv({ ...base, NATS_CREDS_FILE: "/run/secrets/nats.creds", NATS_TLS_CA: "/etc/ca.pem" }))).toMatchObject({
      creds: "/run/secrets/nats.creds",
      tlsCa: "/etc/ca.pem",
    });
  });

  it("never repeats a password given in NATS_URL", () => {
    expect(redactUrl("nats://app:hunter2@nats-1:4222,nats://nats-2:4222")).toBe("nats://***@nats-1:4222,nats://nats-2:4222");
  });

  it("refuses two sign-in methods, half a user and half a client certificate, naming the variables", () => {
    expect(() => parseEnv({ ...base, NATS_TOKEN: "t", NATS_CREDS: "c" })).toThrow(
      /NATS_CREDS: set one way to sign in to NATS, not NATS_CREDS and NATS_TOKEN/,
    );
    expect(() => parseEnv({ ...base, NATS_USER: "syncline" })).toThrow(/NATS_PASSWORD: required when NATS_USER is set/);
    expect(() => parseEnv({ ...base, NATS_TLS_CERT: "/c.pem" })).toThrow(
      /NATS_TLS_KEY: a client certificate needs both NATS_TLS_CERT and NATS_TLS_KEY/,
    );
  });
});
