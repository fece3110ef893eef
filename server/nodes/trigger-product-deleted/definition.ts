import { defineEventTrigger } from "../event-trigger";

export const productDeletedTrigger = defineEventTrigger("product.deleted", {
  label: "Product deleted",
  description: "Starts when a product is removed from the catalogue, e.g. to take it off every channel.",
  icon: "🗑️",
});
