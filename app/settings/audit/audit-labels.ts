import type { AuditAction } from "@/server/audit/audit-log";

/** How each recorded action reads in the audit log. */
export const AUDIT_ACTION_LABELS: Record<AuditAction, string> = {
  "flow.published": "Published a flow version",
  "flow.enabled": "Enabled a flow",
  "flow.disabled": "Disabled a flow",
  "flow.testedLive": "Ran a live test of a flow (outside systems called)",
  "deadLetter.redriven": "Redrove a dead letter",
  "deadLetter.discarded": "Discarded a dead letter",
  "credential.created": "Created a credential",
  "credential.updated": "Changed a credential",
  "credential.deleted": "Deleted a credential",
  "channel.created": "Created a channel",
  "source.created": "Created a source",
  "source.updated": "Changed a source",
  "source.deleted": "Deleted a source",
  "channel.updated": "Changed a channel",
  "channel.deleted": "Deleted a channel",
  "apiKey.created": "Created an API key",
  "apiKey.revoked": "Revoked an API key",
  "user.invited": "Invited a user",
  "user.roleChanged": "Changed a role",
  "user.deactivated": "Deactivated a user",
  "user.reactivated": "Reactivated a user",
  "user.joined": "Joined",
};
