import { describe, expect, it } from "vitest";
import { PermanentError, TransientError } from "./execution-errors";
import { AddressRefusedError, InvalidAllowlistError } from "./address-policy";
import { describeCall, errorForRequestFailure, errorForResponse, responseExcerpt } from "./classify-failure";
import { RedirectError, RequestAbortedError, RequestTimeoutError, type OutboundResponse } from "./outbound-request";

const url = new URL("https://crm.example.com/contacts?token=secret");

function response(status: number, body = "", headers: Record<string, string> = {}): OutboundResponse {
  return { status, statusText: "", url, headers, body: Buffer.from(body), truncated: false };
}

describe("errorForResponse", () => {
  it("lets successes and redirects through", () => {
    expect(errorForResponse(response(200), "POST")).toBeNull();
    expect(errorForResponse(response(304), "GET")).toBeNull();
  });

  it("classifies 5xx as transient, system down; 429 and 408 as transient", () => {
    expect(errorForResponse(response(502), "POST")).toMatchObject({ systemDown: true, status: 502 });
    expect(errorForResponse(response(503, "", { "retry-after": "7" }), "POST")).toMatchObject({ systemDown: true, retryAfterMs: 7_000 });
    expect(errorForResponse(response(429, "", { "retry-after": "3" }), "POST")).toMatchObject({ systemDown: false, retryAfterMs: 3_000 });
    expect(errorForResponse(response(408), "POST")).toBeInstanceOf(TransientError);
  });

  it("classifies other 4xx as permanent, with status and a one-line excerpt, without the query string", () => {
    const error = errorForResponse(response(400, '{\n  "error": "email is invalid"\n}'), "POST");
    expect(error).toBeInstanceOf(PermanentError);
    expect(error).toMatchObject({ status: 400, responseExcerpt: '{ "error": "email is invalid" }' });
    expect(error!.message).toBe('POST https://crm.example.com/contacts answered 400: { "error": "email is invalid" }');
  });
});

describe("errorForRequestFailure", () => {
  const classify = (error: unknown) => errorForRequestFailure(error, "POST", url);
  const system = (code: string, message: string) => Object.assign(new Error(message), { code });

  it.each([
    ["ECONNREFUSED", "connect ECONNREFUSED 1.2.3.4:443"],
    ["ECONNRESET", "socket hang up"],
    ["ENOTFOUND", "getaddrinfo ENOTFOUND crm.example.com"],
    ["EAI_AGAIN", "getaddrinfo EAI_AGAIN crm.example.com"],
    ["CERT_HAS_EXPIRED", "certificate has expired"],
  ])("treats %s as transient, system down", (code, message) => {
    const error = classify(system(code, message));
    expect(error).toBeInstanceOf(TransientError);
    expect(error).toMatchObject({ systemDown: true });
    expect(error.message).toContain(code);
  });

  it("treats timeouts as transient, system down, and aborts as transient", () => {
    expect(classify(new RequestTimeoutError(500))).toMatchObject({ systemDown: true, message: "POST https://crm.example.com/contacts: no complete answer within 500 ms" });
    expect(classify(new RequestAbortedError(new Error("shutdown")))).toMatchObject({ systemDown: false });
    expect(classify(new RequestAbortedError(undefined))).toBeInstanceOf(TransientError);
  });

  it("treats refusals, bad redirects, bad allow-lists, bad requests and bugs as permanent", () => {
    for (const error of [
      new AddressRefusedError("10.0.0.1", "10.0.0.1", "a private address"),
      new RedirectError("more than 5 redirects"),
      new InvalidAllowlistError("10.0.0.0/33"),
      system("ERR_INVALID_CHAR", "Invalid character in header content"),
      new TypeError("x is not a function"),
    ]) {
      expect(classify(error)).toBeInstanceOf(PermanentError);
    }
  });
});

describe("describeCall and responseExcerpt", () => {
  it("leave out query strings and shorten long bodies", () => {
    expect(describeCall("GET", url)).toBe("GET https://crm.example.com/contacts");
    expect(responseExcerpt(Buffer.from("a".repeat(400)), 10)).toBe("aaaaaaaaaa…");
  });
});
