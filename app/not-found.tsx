import type { Metadata } from "next";
import Link from "next/link";
import { MapPinOff } from "lucide-react";
import { StatusPage } from "./components/status-page";

export const metadata: Metadata = { title: "Page not found" };

export default function NotFound() {
  return (
    <StatusPage
      icon={MapPinOff}
      code="404"
      title="This page does not exist"
      actions={
        <>
          <Link href="/" className="btn btn-primary">Go to flows</Link>
          <Link href="/runs" className="btn">See recent runs</Link>
        </>
      }
    >
      The address may have a typo, or what it pointed to was deleted. Flows, runs and dead letters are all reachable from the top bar.
    </StatusPage>
  );
}
