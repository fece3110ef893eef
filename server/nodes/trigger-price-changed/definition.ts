import { defineEventTrigger } from "../event-trigger";

export const priceChangedTrigger = defineEventTrigger("price.changed", {
  label: "Price changed",
  description: "Starts when a product's price changes, e.g. in the ERP.",
  icon: "🏷️",
});
