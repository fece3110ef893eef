import { defineEventTrigger } from "../event-trigger";

export const orderPlacedTrigger = defineEventTrigger("order.placed", {
  label: "Order placed",
  description: "Starts when a customer places an order on a sales channel.",
  icon: "🛒",
});
