import { notFound } from "next/navigation";
import { env } from "@/server/env";

// A page that fails to render on purpose, so the browser tests can check the error page
// (app/error.tsx) in the production build. It exists only when SYNCLINE_E2E_FAULT_PAGE=on, which
// only e2e/serve.ts sets; everywhere else it is the ordinary 404.

export const dynamic = "force-dynamic";

export default function E2eFaultPage() {
  if (env().SYNCLINE_E2E_FAULT_PAGE !== "on") notFound();
  throw new Error("This page fails on purpose (SYNCLINE_E2E_FAULT_PAGE=on, browser tests only)");
}
