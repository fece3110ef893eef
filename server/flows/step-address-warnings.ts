import "server-only";
import type { PrismaClient } from "@/server/db/generated/client";
import { channelAddressWarnings } from "@/server/channels/channel-address-warnings";
import { credentialAddressWarnings } from "@/server/credentials/host-address-warnings";
import { wholeStringLiterals } from "@/server/expressions/expression-literals";
import type { HostResolver } from "@/server/outbound/address-policy";
import { addressWarning } from "@/server/outbound/address-warnings";
import * as z from "zod";

// Every address a run of these steps will call that the address policy refuses
// (docs/decisions/0029): an HTTP request's URL, the image URLs a resize step is given as literals,
// and the URLs kept in the channel and the credential a step names. Warnings, not problems: the
// operator may still add the host to SYNCLINE_HTTP_ALLOWLIST before the flow is enabled.

/** What the editor sends of each step: only the fields that hold or name an address. */
export const stepAddressInputSchema = z.object({
  nodeId: z.string().max(200),
  kind: z.string().max(200),
  url: z.string().max(2_000).optional(),
  images: z.string().max(10_000).optional(),
  channelId: z.string().max(200).optional(),
  credentialId: z.string().max(200).optional(),
});
export type StepAddressInput = z.infer<typeof stepAddressInputSchema>;

export interface StepAddressWarning {
  nodeId: string;
  /** Where the address is, in the form's words: "URL", "Images", "Channel “Webshop” › Store URL". */
  field: string;
  message: string;
}

const isWebUrl = (text: string) => /^https?:\/\//i.test(text.trim());

export async function stepAddressWarnings(db: PrismaClient, steps: readonly StepAddressInput[], allowlist: readonly string[], resolve?: HostResolver): Promise<StepAddressWarning[]> {
  // A channel or credential named by many steps is looked up once.
  const channels = new Map<string, ReturnType<typeof channelAddressWarnings>>();
  const credentials = new Map<string, ReturnType<typeof credentialAddressWarnings>>();
  const perStep = await Promise.all(
    steps.map(async (step): Promise<StepAddressWarning[]> => {
      const found: StepAddressWarning[] = [];
      const check = async (field: string, url: string) => {
        const message = await addressWarning(url, allowlist, resolve);
        if (message) found.push({ nodeId: step.nodeId, field, message });
      };
      if (step.kind === "action:http-request" && step.url) await check("URL", step.url);
      if (step.kind === "action:resize-image" && step.images) {
        for (const literal of wholeStringLiterals(step.images).filter(isWebUrl)) await check("Images", literal.trim());
      }
      if (step.channelId) {
        if (!channels.has(step.channelId)) channels.set(step.channelId, channelAddressWarnings(db, step.channelId, allowlist, resolve));
        const channel = await channels.get(step.channelId)!;
        for (const w of channel.warnings) found.push({ nodeId: step.nodeId, field: `Channel “${channel.name}” › ${w.label}`, message: w.message });
      }
      if (step.credentialId) {
        if (!credentials.has(step.credentialId)) credentials.set(step.credentialId, credentialAddressWarnings(db, step.credentialId, allowlist, resolve));
        const credential = await credentials.get(step.credentialId)!;
        for (const w of credential.warnings) found.push({ nodeId: step.nodeId, field: `Credential “${credential.name}” › ${w.label}`, message: w.message });
      }
      return found;
    }),
  );
  return perStep.flat();
}
