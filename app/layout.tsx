import type { Metadata } from "next";
import type { ReactNode } from "react";
import { headers } from "next/headers";
import { redirect } from "next/navigation";
import "./globals.css";
import { TRPCReactProvider } from "./trpc-client";
import { ToastProvider } from "./components/toast";
import { TopBar } from "./components/top-bar";
import { CurrentUserProvider } from "./components/current-user";
import { currentUser } from "@/server/auth/current-user";

export const metadata: Metadata = {
  // Each page names itself ("Channels"); the template makes it "Channels · Syncline".
  title: { default: "Syncline", template: "%s · Syncline" },
  description: "Event-driven product data flows with per-key order, deduplication and a redrivable dead-letter queue.",
  icons: { icon: { url: "/favicon.svg", type: "image/svg+xml" } },
};

/** Pages that work before sign-in (proxy.ts lets them through without a session cookie). */
function isOpenPage(path: string) {
  return path === "/sign-in" || path === "/setup" || path.startsWith("/invite/");
}

export default async function RootLayout({ children }: { children: ReactNode }) {
  const path = (await headers()).get("x-syncline-path") ?? "/";
  const user = await currentUser();
  // proxy.ts only sees whether a cookie is there; an expired or revoked session ends up here.
  if (!user && !isOpenPage(path)) redirect(path === "/" ? "/sign-in" : `/sign-in?next=${encodeURIComponent(path)}`);
  return (
    <html lang="en">
      <body>
        <TRPCReactProvider>
          <ToastProvider>
            <CurrentUserProvider user={user}>
              <div className="shell">
                <TopBar />
                <main className="page-main" style={{ overflow: "hidden", display: "flex", flexDirection: "column" }}>
                  {children}
                </main>
              </div>
            </CurrentUserProvider>
          </ToastProvider>
        </TRPCReactProvider>
      </body>
    </html>
  );
}
