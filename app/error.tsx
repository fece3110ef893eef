"use client";
import Link from "next/link";
import { TriangleAlert } from "lucide-react";
import { useEffect } from "react";
import { StatusPage } from "./components/status-page";

// A page that failed to render: say so, offer to try again, keep the top bar. The server logs the
// error with its digest; the digest is shown so a report can be matched to the log line.
export default function ErrorPage({ error, reset }: { error: Error & { digest?: string }; reset: () => void }) {
  useEffect(() => {
    document.title = "Something went wrong · Syncline";
  }, []);
  return (
    <StatusPage
      icon={TriangleAlert}
      title="Something went wrong on this page"
      actions={
        <>
          <button type="button" className="btn btn-primary" onClick={reset}>Try again</button>
          <Link href="/" className="btn">Go to flows</Link>
        </>
      }
    >
      <p style={{ margin: 0 }}>Trying again usually works. If it keeps happening, tell your admin and give them the error reference below.</p>
      {error.digest && (
        <p className="small" style={{ margin: "8px 0 0" }}>
          Error reference <code data-testid="error-digest">{error.digest}</code>
        </p>
      )}
    </StatusPage>
  );
}
