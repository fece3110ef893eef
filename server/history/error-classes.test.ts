import { describe, expect, it } from "vitest";
import { errorClassOf } from "./error-classes";

describe("errorClassOf", () => {
  it("sorts the runtime's error messages the way an operator triages them", () => {
    expect(errorClassOf('POST http://127.0.0.1:4000/stock answered 422 Unprocessable Entity: {"error":"not sellable"}')).toBe("client-error");
    expect(errorClassOf("POST https://shop.example/api answered 503 Service Unavailable")).toBe("server-error");
    expect(errorClassOf("request timed out after 2000 ms")).toBe("timeout");
    expect(errorClassOf("connect ECONNREFUSED 127.0.0.1:4000")).toBe("network");
    expect(errorClassOf("data.quantity: expected number")).toBe("invalid-data");
    expect(errorClassOf("something odd")).toBe("other");
  });
});
