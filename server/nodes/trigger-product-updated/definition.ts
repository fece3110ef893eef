import { defineEventTrigger } from "../event-trigger";

export const productUpdatedTrigger = defineEventTrigger("product.updated", {
  label: "Product updated",
  description: "Starts when a product's name, description, images or attributes change.",
  icon: "✏️",
});
