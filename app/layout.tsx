import type { Metadata } from "next";
import type { ReactNode } from "react";
import "./globals.css";
import { TRPCReactProvider } from "./trpc-client";
import { ToastProvider } from "./components/toast";
import { TopBar } from "./components/top-bar";

export const metadata: Metadata = {
  title: "Syncline",
  description: "Event-driven product data flows with per-key order, deduplication and a redrivable dead-letter queue.",
  icons: { icon: { url: "/favicon.svg", type: "image/svg+xml" } },
};

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body>
        <TRPCReactProvider>
          <ToastProvider>
            <div className="shell">
              <TopBar />
              <main className="page-main" style={{ overflow: "hidden", display: "flex", flexDirection: "column" }}>
                {children}
              </main>
            </div>
          </ToastProvider>
        </TRPCReactProvider>
      </body>
    </html>
  );
}
