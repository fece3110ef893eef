import { describe, expect, it } from "vitest";
import { isDataError, withDbRetry } from "./db-retry";
import { LostLeaseError } from "./partition-leases";

// Which database failures are worth retrying; no database needed.

const pgError = (code: string) => Object.assign(new Error(`pg ${code}`), { code });

describe("isDataError", () => {
  it("is true for data exceptions (class 22) and integrity violations (class 23)", () => {
    for (const code of ["22021", "22P05", "22003", "23505", "23502"]) expect(isDataError(pgError(code)), code).toBe(true);
  });

  it("is false for connection, shutdown and resource errors, and for errors without a SQLSTATE", () => {
    for (const code of ["08006", "57P01", "53300", "40001", "ECONNREFUSED"]) expect(isDataError(pgError(code)), code).toBe(false);
    expect(isDataError(new Error("socket hang up"))).toBe(false);
    expect(isDataError(undefined)).toBe(false);
  });
});

describe("withDbRetry", () => {
  const opts = { isStopping: () => false, log: () => {} };

  it("retries a connection failure until the write goes through", async () => {
    let calls = 0;
    const result = await withDbRetry(async () => {
      calls++;
      if (calls < 3) throw pgError("08006");
      return "written";
    }, opts);
    expect([result, calls]).toEqual(["written", 3]);
  });

  it("throws a data error and a lost lease at once, without retrying", async () => {
    for (const error of [pgError("22P05"), new LostLeaseError(3)]) {
      let calls = 0;
      await expect(withDbRetry(async () => {
        calls++;
        throw error;
      }, opts)).rejects.toBe(error);
      expect(calls).toBe(1);
    }
  });
});
