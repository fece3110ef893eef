import { defineEventTrigger } from "../event-trigger";

export const stockChangedTrigger = defineEventTrigger("stock.changed", {
  label: "Stock changed",
  description: "Starts when a product's stock level changes in a warehouse.",
  icon: "📦",
});
