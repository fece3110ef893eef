"use client";
import { TriangleAlert } from "lucide-react";
import "./globals.css";

// When the root layout itself fails there is no top bar and no stylesheet from it: this page
// brings both its own <html> and the global styles.
export default function GlobalError({ error, reset }: { error: Error & { digest?: string }; reset: () => void }) {
  return (
    <html lang="en">
      <head>
        <title>Something went wrong · Syncline</title>
      </head>
      <body>
        <main className="page">
          <div className="page-inner status-page">
            <div className="card status-page-card">
              <div className="status-page-icon" aria-hidden>
                <TriangleAlert size={32} strokeWidth={1.5} />
              </div>
              <h1>Syncline could not load</h1>
              <p className="muted status-page-text">
                The app failed before it could show this page. Flows keep running in the background. Try again, or tell your admin
                {error.digest ? <> (error reference <code>{error.digest}</code>)</> : null}.
              </p>
              <div className="status-page-actions">
                <button type="button" className="btn btn-primary" onClick={reset}>Try again</button>
                {/* A full page load, not client navigation: the app shell is what failed. */}
                {/* eslint-disable-next-line @next/next/no-html-link-for-pages */}
                <a href="/" className="btn">Go to flows</a>
              </div>
            </div>
          </div>
        </main>
      </body>
    </html>
  );
}
