import * as z from "zod";
import { builtInEventTypes, cloudEventSchemaFor, type BuiltInEventTypeName } from "../../events/event-types";
import { defineNode } from "../define-node";
import type { NodeIconName } from "../node-icons";
import { triggerFilterField } from "../trigger-filter-field";

// The six built-in e-commerce event triggers differ only in their event type and text, so one
// factory makes them from this table: one folder, six node kinds (`trigger:<event type>`).

function defineEventTrigger<Type extends BuiltInEventTypeName>(eventType: Type, text: { label: string; description: string; icon: NodeIconName }) {
  return defineNode({
    kind: `trigger:${eventType}`,
    version: 1,
    ...text,
    category: "Triggers",
    eventType,
    config: z.object({ filter: triggerFilterField }),
    output: cloudEventSchemaFor(eventType, builtInEventTypes[eventType].data as (typeof builtInEventTypes)[Type]["data"]),
  });
}

export const productCreatedTrigger = defineEventTrigger("product.created", {
  label: "Product created",
  description: "Starts when a new product (SKU) is created, e.g. to translate it or resize its images.",
  icon: "package-plus",
});
export const productUpdatedTrigger = defineEventTrigger("product.updated", {
  label: "Product updated",
  description: "Starts when a product's name, description, images or attributes change.",
  icon: "pencil",
});
export const productDeletedTrigger = defineEventTrigger("product.deleted", {
  label: "Product deleted",
  description: "Starts when a product is removed from the catalogue, e.g. to take it off every channel.",
  icon: "trash",
});
export const priceChangedTrigger = defineEventTrigger("price.changed", {
  label: "Price changed",
  description: "Starts when a product's price changes, e.g. in the ERP.",
  icon: "tag",
});
export const stockChangedTrigger = defineEventTrigger("stock.changed", {
  label: "Stock changed",
  description: "Starts when a product's stock level changes in a warehouse.",
  icon: "package",
});
export const orderPlacedTrigger = defineEventTrigger("order.placed", {
  label: "Order placed",
  description: "Starts when a customer places an order on a sales channel.",
  icon: "shopping-cart",
});

/** In palette order. */
export const eventTriggers = [
  productCreatedTrigger,
  productUpdatedTrigger,
  productDeletedTrigger,
  priceChangedTrigger,
  stockChangedTrigger,
  orderPlacedTrigger,
] as const;
