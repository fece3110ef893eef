import { describe, expect, it } from "vitest";
import { wholeStringLiterals } from "./expression-literals";

describe("whole string literals of an expression", () => {
  it("finds a literal, the literals of a list and of a condition, not the parts of a concatenation", () => {
    expect(wholeStringLiterals('"http://127.0.0.1/a.jpg"')).toEqual(["http://127.0.0.1/a.jpg"]);
    expect(wholeStringLiterals('["https://a.example/1.jpg", event.data.image, "http://10.0.0.5/2.png"]')).toEqual(["https://a.example/1.jpg", "http://10.0.0.5/2.png"]);
    expect(wholeStringLiterals('event.data.big ? "http://10.0.0.5/big.png" : "https://cdn.example/small.png"')).toEqual(["http://10.0.0.5/big.png", "https://cdn.example/small.png"]);
    expect(wholeStringLiterals('"http://" & event.data.host & "/a.jpg"')).toEqual([]);
  });

  it("finds nothing in a path or an expression that does not parse", () => {
    expect(wholeStringLiterals("event.data.images")).toEqual([]);
    expect(wholeStringLiterals('["unclosed')).toEqual([]);
  });
});
