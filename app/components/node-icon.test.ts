import { createElement } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, it } from "vitest";
import { nodeIconNames } from "@/server/nodes/node-icons";
import { nodeDefinitions } from "@/server/nodes/registry";
import { NodeIcon } from "./node-icon";

// Every node type shows a drawn icon (an SVG, not an emoji that needs a font), and different
// node types in one category are told apart by their icon.

describe("node icons", () => {
  it("every node type names a known icon that renders as an SVG", () => {
    for (const definition of nodeDefinitions) {
      expect(nodeIconNames, definition.kind).toContain(definition.icon);
      const markup = renderToStaticMarkup(createElement(NodeIcon, { name: definition.icon }));
      expect(markup, definition.kind).toMatch(/^<svg[^>]*aria-hidden="true"/);
      expect(markup).not.toMatch(/\p{Extended_Pictographic}/u);
    }
  });

  it("each icon draws something different", () => {
    const drawings = nodeIconNames.map((name) => renderToStaticMarkup(createElement(NodeIcon, { name })).replace(/class="[^"]*"/, ""));
    expect(new Set(drawings).size).toBe(nodeIconNames.length);
  });

  it("an unknown step shows a warning sign, not nothing", () => {
    expect(renderToStaticMarkup(createElement(NodeIcon, { name: undefined, unknown: true }))).toMatch(/^<svg/);
  });
});
