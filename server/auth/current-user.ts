import "server-only";
import { headers } from "next/headers";
import { db } from "@/server/db/client";
import { sessionFromHeaders, type SignedInUser } from "./session";

/** The signed-in user of the request being rendered (server components), or null. */
export async function currentUser(): Promise<SignedInUser | null> {
  return sessionFromHeaders(db(), await headers());
}
