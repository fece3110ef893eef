import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { db } from "@/server/db/client";
import { hasAnyUser } from "@/server/auth/users";
import { currentUser } from "@/server/auth/current-user";
import { AuthCard } from "@/app/components/auth-card";
import { SignInForm } from "./sign-in-form";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Sign in" };

/** Only same-site paths: `?next=https://elsewhere` must not turn sign-in into an open redirect. */
function safeNext(next: string | string[] | undefined): string {
  const value = Array.isArray(next) ? next[0] : next;
  return value && value.startsWith("/") && !value.startsWith("//") ? value : "/";
}

export default async function SignInPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const next = safeNext((await searchParams).next);
  if (!(await hasAnyUser(db()))) redirect("/setup");
  if (await currentUser()) redirect(next);
  return (
    <AuthCard title="Sign in to Syncline">
      <SignInForm next={next} />
    </AuthCard>
  );
}
