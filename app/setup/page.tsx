import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { db } from "@/server/db/client";
import { hasAnyUser } from "@/server/auth/users";
import { AuthCard } from "@/app/components/auth-card";
import { SetupForm } from "./setup-form";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Set up" };

/** First start only: creates the owner account. Once any account exists it sends you to sign in. */
export default async function SetupPage() {
  if (await hasAnyUser(db())) redirect("/sign-in");
  return (
    <AuthCard title="Set up Syncline" intro="Create the owner account. The owner can invite everyone else from Settings.">
      <SetupForm />
    </AuthCard>
  );
}
