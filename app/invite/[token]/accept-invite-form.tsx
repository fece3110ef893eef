"use client";
import { TRPCClientError } from "@trpc/client";
import { useTRPCClient } from "@/app/trpc-client";
import { authClient } from "@/app/components/auth-client";
import { CredentialsForm } from "@/app/components/password-form";
import { fieldErrorsOf } from "@/app/components/field-errors";

export function AcceptInviteForm({ token, email }: { token: string; email: string }) {
  const client = useTRPCClient();
  return (
    <CredentialsForm
      submitLabel="Create account"
      busyLabel="Creating…"
      fields={[
        { name: "email", label: "Email", type: "email", autoComplete: "username", defaultValue: email, readOnly: true },
        { name: "name", label: "Name", type: "text", autoComplete: "name" },
        { name: "password", label: "Password", type: "password", autoComplete: "new-password", help: "At least 10 characters." },
      ]}
      onSubmit={async ({ name = "", password = "" }) => {
        try {
          await client.users.acceptInvite.mutate({ token, name, password });
        } catch (error) {
          if (error instanceof TRPCClientError) return { error: fieldErrorsOf(error) ? undefined : error.message, fieldErrors: fieldErrorsOf(error) };
          throw error;
        }
        const { error } = await authClient.signIn.email({ email, password });
        window.location.assign(error ? "/sign-in" : "/");
      }}
    />
  );
}
