// How Syncline signs in to NATS and which TLS it speaks: the settings hosted NATS services
// (Synadia Cloud, a company cluster) hand out, turned into nats.js connection options. Kept apart
// from connection.ts so the one connection module stays about connecting, and so the rules for
// these settings (one sign-in method, PEM or a path) live in one place.
import { readFileSync } from "node:fs";
import { credsAuthenticator } from "@nats-io/transport-node";
import type { NodeConnectionOptions } from "@nats-io/transport-node";
import type { Env } from "../env";

/** What the environment says about NATS sign-in and TLS. Each PEM/creds value is its contents or a file path. */
export interface NatsAuthSettings {
  token?: string | undefined;
  user?: string | undefined;
  password?: string | undefined;
  /** A `.creds` file (user JWT + NKey seed): its contents, or the path to it. */
  creds?: string | undefined;
  /** CA certificate(s) that signed the server's certificate, when not a public CA. */
  tlsCa?: string | undefined;
  /** Client certificate and key, for servers that verify clients (mutual TLS). */
  tlsCert?: string | undefined;
  tlsKey?: string | undefined;
}

/** A NATS setting that cannot be used; the message names the variable. */
export class NatsSettingsError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "NatsSettingsError";
  }
}

export function natsAuthSettingsFromEnv(e: Env): NatsAuthSettings {
  return {
    token: e.NATS_TOKEN,
    user: e.NATS_USER,
    password: e.NATS_PASSWORD,
    creds: e.NATS_CREDS ?? e.NATS_CREDS_FILE,
    tlsCa: e.NATS_TLS_CA,
    tlsCert: e.NATS_TLS_CERT,
    tlsKey: e.NATS_TLS_KEY,
  };
}

/** Which sign-in the settings use, in the words of the variables a user set. */
function describeNatsSignIn(settings: NatsAuthSettings): string {
  if (settings.creds) return "the credentials in NATS_CREDS";
  if (settings.user) return `user "${settings.user}" (NATS_USER / NATS_PASSWORD)`;
  if (settings.token) return "the token in NATS_TOKEN";
  return "no credentials";
}

/** Whether the settings ask for TLS themselves (rather than only when the server requires it). */
function wantsTls(settings: NatsAuthSettings): boolean {
  return Boolean(settings.tlsCa || settings.tlsCert || settings.tlsKey);
}

const CREDS_JWT = /-----BEGIN NATS USER JWT-----/;
const CREDS_SEED = /-----BEGIN USER NKEY SEED-----/;

/**
 * Environment variables often cannot hold line breaks (some dashboards and `.env` tools store
 * them as a literal `\n`), and PEM and creds files are line-based: restore them.
 */
function restoreLineBreaks(value: string): string {
  return value.includes("\n") ? value : value.replace(/\\n/g, "\n");
}

/** PEM or creds text: given inline (it starts with `-----BEGIN`), or read from the file the value names. */
function contentsOrFile(variable: string, value: string): { text: string; file?: string } {
  // Not trimmed: the creds parser needs the line break after the last block.
  const inline = restoreLineBreaks(value);
  if (/^\s*-----BEGIN/.test(inline) || inline.includes("\n-----BEGIN")) return { text: inline.endsWith("\n") ? inline : `${inline}\n` };
  try {
    return { text: readFileSync(/*turbopackIgnore: true*/ value.trim(), "utf8"), file: value.trim() };
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (error as Error).message;
    throw new NatsSettingsError(
      `${variable} is neither PEM text (starting with -----BEGIN) nor a readable file: ${value.trim()} (${reason}).`,
      { cause: error },
    );
  }
}

/**
 * nats.js options for the settings. Throws NatsSettingsError, naming the variable, for settings
 * that cannot work (unreadable files, a creds file without its JWT or seed).
 */
export function natsAuthOptions(settings: NatsAuthSettings): Partial<NodeConnectionOptions> {
  const options: Partial<NodeConnectionOptions> = {};
  if (settings.creds) {
    const { text, file } = contentsOrFile("NATS_CREDS", settings.creds);
    if (!CREDS_JWT.test(text) || !CREDS_SEED.test(text)) {
      throw new NatsSettingsError(
        "NATS_CREDS is not a NATS credentials file: it needs a -----BEGIN NATS USER JWT----- block and a " +
          "-----BEGIN USER NKEY SEED----- block (download the user's .creds file from your NATS provider).",
      );
    }
    const bytes = new TextEncoder().encode(text);
    // A creds file on disk is read again on every (re)connect, so a rotated file is picked up
    // without a restart; if it vanished meanwhile, the last good contents are used.
    let last = bytes;
    options.authenticator = credsAuthenticator(
      file === undefined
        ? bytes
        : () => {
            try {
              last = new TextEncoder().encode(restoreLineBreaks(readFileSync(/*turbopackIgnore: true*/ file, "utf8")));
            } catch {
              // keep `last`
            }
            return last;
          },
    );
  } else if (settings.user) {
    options.user = settings.user;
    options.pass = settings.password ?? "";
  } else if (settings.token) {
    options.token = settings.token;
  }

  if (wantsTls(settings)) {
    const tls: NonNullable<NodeConnectionOptions["tls"]> = {};
    if (settings.tlsCa) tls.ca = contentsOrFile("NATS_TLS_CA", settings.tlsCa).text;
    if (settings.tlsCert) tls.cert = contentsOrFile("NATS_TLS_CERT", settings.tlsCert).text;
    if (settings.tlsKey) tls.key = contentsOrFile("NATS_TLS_KEY", settings.tlsKey).text;
    options.tls = tls;
  }
  return options;
}

/**
 * A connect failure in the user's words: which setting to look at. `url` is what NATS_URL says
 * (credentials in it are not repeated).
 */
export function explainNatsConnectError(error: unknown, url: string, settings: NatsAuthSettings): string {
  const where = `NATS at ${redactUrl(url)}`;
  if (!(error instanceof Error)) return `cannot connect to ${where}: ${String(error)}`;
  const cause = error.cause instanceof Error ? error.cause : undefined;
  const code = (error as NodeJS.ErrnoException).code ?? (cause as NodeJS.ErrnoException | undefined)?.code;
  const text = `${error.message}${cause ? ` ${cause.message}` : ""}`;

  if (error.name === "AuthorizationError" || /authorization violation|authentication/i.test(text)) {
    if (describeNatsSignIn(settings) === "no credentials") {
      return (
        `${where} requires a sign-in and none is configured: set NATS_CREDS (a .creds file or its contents), ` +
        "NATS_USER and NATS_PASSWORD, or NATS_TOKEN."
      );
    }
    return `${where} refused ${describeNatsSignIn(settings)} (${error.message}): check that they are current and meant for this server.`;
  }
  if (error.name === "UserAuthenticationExpiredError" || /expired/i.test(text)) {
    return `${where} says the user credentials have expired: download a new .creds file and update NATS_CREDS.`;
  }
  // A TLS alert is the server turning down the handshake: it verifies clients.
  if (code && /^ERR_SSL_.*ALERT/.test(code)) {
    const hint = settings.tlsCert
      ? "it does not accept the client certificate in NATS_TLS_CERT (signed by a CA it trusts?)"
      : "it verifies clients — set NATS_TLS_CERT and NATS_TLS_KEY to a client certificate it accepts";
    return `${where} turned down the TLS handshake (${code.replace(/^ERR_SSL_(SSLV3_|TLSV\d+_)?ALERT_/, "").toLowerCase().replace(/_/g, " ")}): ${hint}.`;
  }
  // With TLS 1.3 the server checks the client certificate after the client's side of the
  // handshake is done: a server that verifies clients may send its alert, or only reset the
  // connection. A reset of a TLS connection that sent no client certificate is most likely that.
  if (wantsTls(settings) && !settings.tlsCert && (code === "ECONNRESET" || /ECONNRESET/.test(text))) {
    return `${where} turned down the TLS handshake (it reset the connection; no client certificate was sent): it verifies clients — set NATS_TLS_CERT and NATS_TLS_KEY to a client certificate it accepts.`;
  }
  if (code === "ERR_TLS_CERT_ALTNAME_INVALID") {
    return `${where} presented a TLS certificate for another host name (${cause?.message ?? error.message}): put a host name the certificate names into NATS_URL.`;
  }
  if (code && /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER/i.test(code)) {
    const hint = settings.tlsCa
      ? "NATS_TLS_CA does not hold the CA that signed the server's certificate"
      : "set NATS_TLS_CA to the CA certificate that signed it";
    return `${where} presented a TLS certificate that is not trusted (${cause?.message ?? error.message}): ${hint}.`;
  }
  if (/tls/i.test(text) && /not available|does not support|required/i.test(text)) {
    return wantsTls(settings)
      ? `${where} does not offer TLS, but NATS_TLS_CA / NATS_TLS_CERT is set: use the server's TLS address or unset them.`
      : `${where} requires TLS: ${error.message}.`;
  }
  return `cannot connect to ${where}: ${error.name === "TimeoutError" ? "no answer in time" : error.message}${cause && !error.message.includes(cause.message) ? ` (${cause.message})` : ""}`;
}

/** NATS_URL may carry `user:password@`; never echo it into logs or health output. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/[^/@,]*@/g, "//***@");
}
