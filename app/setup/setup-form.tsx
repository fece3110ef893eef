"use client";
import { TRPCClientError } from "@trpc/client";
import { useTRPCClient } from "@/app/trpc-client";
import { authClient } from "@/app/components/auth-client";
import { CredentialsForm } from "@/app/components/password-form";
import { fieldErrorsOf } from "@/app/components/field-errors";

export function SetupForm() {
  const client = useTRPCClient();
  return (
    <CredentialsForm
      submitLabel="Create owner account"
      busyLabel="Creating…"
      fields={[
        { name: "name", label: "Name", type: "text", autoComplete: "name" },
        { name: "email", label: "Email", type: "email", autoComplete: "username" },
        { name: "password", label: "Password", type: "password", autoComplete: "new-password", help: "At least 10 characters." },
      ]}
      onSubmit={async ({ name = "", email = "", password = "" }) => {
        try {
          await client.users.setup.mutate({ name, email, password });
        } catch (error) {
          if (error instanceof TRPCClientError) return { error: fieldErrorsOf(error) ? undefined : error.message, fieldErrors: fieldErrorsOf(error) };
          throw error;
        }
        const { error } = await authClient.signIn.email({ email: email.trim(), password });
        window.location.assign(error ? "/sign-in" : "/");
      }}
    />
  );
}
