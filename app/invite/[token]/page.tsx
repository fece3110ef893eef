import type { Metadata } from "next";
import Link from "next/link";
import { db } from "@/server/db/client";
import { findOpenInvite } from "@/server/auth/users";
import { AuthCard } from "@/app/components/auth-card";
import { AcceptInviteForm } from "./accept-invite-form";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Accept invitation" };

export default async function InvitePage({ params }: { params: Promise<{ token: string }> }) {
  const { token } = await params;
  const invite = await findOpenInvite(db(), token);
  if (!invite) {
    return (
      <AuthCard title="This invitation has expired" intro="The link was already used, revoked, or is older than 7 days. Ask an admin for a new one.">
        <Link className="btn" href="/sign-in">Go to sign-in</Link>
      </AuthCard>
    );
  }
  return (
    <AuthCard title="Join Syncline" intro={<>You were invited as <strong>{invite.role}</strong>. Choose your name and a password.</>}>
      <AcceptInviteForm token={token} email={invite.email} />
    </AuthCard>
  );
}
