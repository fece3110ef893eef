import type { Metadata } from "next";
import { SourcesPage } from "./sources-page";

export const metadata: Metadata = { title: "Sources · Settings" };
export const dynamic = "force-dynamic";

export default function Page() {
  return <SourcesPage />;
}
