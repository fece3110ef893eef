import "server-only";
import { schemaIssues, type EventSchemaRegistry } from "./event-schema-registry";
import { systemEventTypes, type SystemEventTypeName } from "./event-types";

// Events Syncline makes itself — a webhook call, a schedule tick — are meant for one flow, the one
// whose trigger made them. They carry that flow's id as a CloudEvents extension attribute, and the
// runtime runs them for that flow only. POST /api/events refuses their types, so only the webhook
// route and the scheduler can make them.

/** Extension attribute naming the flow a system event is for (lower-case alphanumerics, per spec). */
export const TARGET_FLOW_ATTRIBUTE = "synclineflowid";

/** Whether the runtime should run `flowId` for this event: system events only for their flow. */
export function eventIsForFlow(event: { type: string } & Record<string, unknown>, flowId: string): boolean {
  if (!Object.hasOwn(systemEventTypes, event.type)) return true;
  return event[TARGET_FLOW_ATTRIBUTE] === flowId;
}

/** The schema registry the webhook route and the scheduler publish with: system types only. */
function systemTypeIssues(type: string, data: unknown) {
  if (!Object.hasOwn(systemEventTypes, type)) return [{ path: "type", message: `"${type}" is not a system event type` }];
  return schemaIssues(systemEventTypes[type as SystemEventTypeName].data, data, "data");
}

export const systemEventRegistry: EventSchemaRegistry = {
  validate: async (type, data) => systemTypeIssues(type, data),
  validateKnown: systemTypeIssues,
  invalidate() {},
};
