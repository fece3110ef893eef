import { describe, expect, it } from "vitest";
import { builtInEventTypes } from "../events/event-types";
import { evaluateExpression } from "../expressions/evaluate-expression";
import { flowDocumentSchema } from "./flow-document";
import { flowTemplates, getFlowTemplate } from "./templates";
import { validateFlow } from "./validate-flow";

describe("flow templates", () => {
  it("has the four examples of the seed document, with unique ids", () => {
    expect(flowTemplates.map((t) => t.id)).toEqual(["out-of-stock-everywhere", "translate-new-products", "order-fulfilment", "discounts-everywhere"]);
    expect(getFlowTemplate("order-fulfilment")?.name).toBe("Order to CRM, shipping and inventory");
  });

  it.each(flowTemplates.map((t) => [t.id, t] as const))("%s validates with no problems", (_id, template) => {
    expect(validateFlow(template.document).problems).toEqual([]);
    expect(flowDocumentSchema.parse(template.document)).toEqual(template.document);
    expect(JSON.parse(JSON.stringify(template.document))).toEqual(template.document);
    expect(template.description.length).toBeGreaterThan(20);
    expect(template.document.name).toBe(template.name);
  });

  it.each(flowTemplates.map((t) => [t.id, t] as const))("%s is laid out left to right without overlaps", (_id, template) => {
    const { nodes, edges } = template.document;
    const byId = new Map(nodes.map((n) => [n.id, n]));
    for (const e of edges) expect(byId.get(e.target)!.position.x).toBeGreaterThan(byId.get(e.source)!.position.x);
    const spots = new Set(nodes.map((n) => `${n.position.x},${n.position.y}`));
    expect(spots.size).toBe(nodes.length);
  });

  it("(a) marks a sold-out product out of stock on five channels", async () => {
    const { nodes, edges } = getFlowTemplate("out-of-stock-everywhere")!.document;
    const syncs = nodes.filter((n) => n.kind === "action:sync-channel");
    expect(syncs).toHaveLength(5);
    expect(new Set(syncs.map((n) => n.config.channelId)).size).toBe(5);
    expect(syncs.every((n) => n.config.operation === "mark-out-of-stock")).toBe(true);
    expect(edges.filter((e) => e.source === "sold_out").every((e) => e.sourceHandle === "true")).toBe(true);

    const condition = nodes.find((n) => n.kind === "logic:condition")!.config.expression as string;
    const event = builtInEventTypes["stock.changed"].example;
    expect(await evaluateExpression(condition, { event, steps: {} })).toBe(true);
    expect(await evaluateExpression(condition, { event: { ...event, data: { sku: "A", quantity: 4 } }, steps: {} })).toBe(false);
  });

  it("(b) translates a new SKU and resizes its images", () => {
    const { nodes } = getFlowTemplate("translate-new-products")!.document;
    expect(nodes.map((n) => n.kind)).toEqual(["trigger:product.created", "action:translate", "action:resize-image"]);
  });

  it("(c) sends an order to the CRM, shipping and inventory", async () => {
    const { nodes } = getFlowTemplate("order-fulfilment")!.document;
    const calls = nodes.filter((n) => n.kind === "action:http-request");
    expect(calls.map((n) => n.id)).toEqual(["update_crm", "notify_shipping", "update_inventory"]);
    const event = builtInEventTypes["order.placed"].example as { data: Record<string, unknown> };
    const bodies = await Promise.all(calls.map((n) => evaluateExpression(n.config.jsonBody as string, { event, steps: {} })));
    expect(bodies[0]).toMatchObject({ orderId: "ORDER-20260312-0042", total: 114.95 });
    expect(bodies[1]).toMatchObject({ items: [{ sku: "SKU-1001", quantity: 1 }, { sku: "SKU-2002", quantity: 2 }] });
    expect(bodies[2]).toMatchObject({ adjustments: [{ sku: "SKU-1001", delta: -1 }, { sku: "SKU-2002", delta: -2 }] });
    // A one-line order still sends lists.
    const single = { ...event, data: { ...event.data, lines: [{ sku: "X", quantity: 3, price: 1 }] } };
    expect(await evaluateExpression(calls[2]!.config.jsonBody as string, { event: single, steps: {} })).toMatchObject({ adjustments: [{ sku: "X", delta: -3 }] });
  });

  it("(d) works out the discount once and updates the price on every store", async () => {
    const { nodes } = getFlowTemplate("discounts-everywhere")!.document;
    const syncs = nodes.filter((n) => n.kind === "action:sync-channel");
    expect(syncs.length).toBeGreaterThanOrEqual(3);
    expect(syncs.every((n) => n.config.operation === "update-price")).toBe(true);

    const transform = nodes.find((n) => n.kind === "action:transform")!.config.fields as string;
    const event = builtInEventTypes["price.changed"].example;
    const discount = await evaluateExpression(transform, { event, steps: {} });
    expect(discount).toEqual({ price: 69.95, compareAtPrice: 89.95, discountPercent: 22 });
    const raised = { ...event, data: { sku: "A", price: 10, currency: "EUR", previousPrice: 8 } };
    expect(await evaluateExpression(transform, { event: raised, steps: {} })).toEqual({ price: 10, compareAtPrice: null, discountPercent: 0 });
    const noPrevious = { ...event, data: { sku: "A", price: 10, currency: "EUR" } };
    expect(await evaluateExpression(transform, { event: noPrevious, steps: {} })).toEqual({ price: 10, compareAtPrice: null, discountPercent: 0 });

    const mapping = syncs[0]!.config.mapping as Record<string, string>;
    expect(await evaluateExpression(mapping.compareAtPrice!, { event, steps: { discount } })).toBe(89.95);
  });
});
