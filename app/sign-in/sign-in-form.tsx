"use client";
import { authClient } from "@/app/components/auth-client";
import { CredentialsForm } from "@/app/components/password-form";

export function SignInForm({ next }: { next: string }) {
  return (
    <CredentialsForm
      submitLabel="Sign in"
      busyLabel="Signing in…"
      fields={[
        { name: "email", label: "Email", type: "email", autoComplete: "username" },
        { name: "password", label: "Password", type: "password", autoComplete: "current-password" },
      ]}
      onSubmit={async ({ email = "", password = "" }) => {
        if (!email.trim()) return { fieldErrors: { email: "Enter your email address." } };
        if (!password) return { fieldErrors: { password: "Enter your password." } };
        const { error } = await authClient.signIn.email({ email: email.trim(), password });
        if (error) {
          if (error.status === 429) return { error: error.message ?? "Too many sign-in attempts. Wait a minute and try again." };
          if (error.status === 401) return { error: "Wrong email or password." };
          return { error: error.message ?? "Could not sign in. Try again." };
        }
        // A full load, so the server renders the top bar with the new session.
        window.location.assign(next);
      }}
    />
  );
}
