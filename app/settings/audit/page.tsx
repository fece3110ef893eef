import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { currentUser } from "@/server/auth/current-user";
import { hasRole } from "@/server/auth/roles";
import { AuditLog } from "./audit-log";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Audit log" };

export default async function AuditPage() {
  if (!hasRole((await currentUser())?.role, "admin")) redirect("/settings");
  return <AuditLog />;
}
