import { expressionField } from "./config-fields";

// The `filter` field every event trigger has (built-in and custom events); its executor half is
// trigger-filter.ts.

export const triggerFilterField = expressionField("", {
  title: "Filter",
  description: "Only start the flow when this JSONata expression is true, e.g. event.data.quantity <= 0. Empty: every event.",
  placeholder: "event.data.quantity <= 0",
});
