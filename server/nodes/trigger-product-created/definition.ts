import { defineEventTrigger } from "../event-trigger";

export const productCreatedTrigger = defineEventTrigger("product.created", {
  label: "Product created",
  description: "Starts when a new product (SKU) is created, e.g. to translate it or resize its images.",
  icon: "🆕",
});
