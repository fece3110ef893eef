"use client";
import Link from "next/link";
import { usePathname } from "next/navigation";
import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "@/app/trpc-client";
import { KeySearch } from "./key-search";
import { useState } from "react";
import { useCurrentUser } from "./current-user";

const links = [
  { href: "/", label: "Flows", match: (p: string) => p === "/" || p.startsWith("/flows") },
  { href: "/runs", label: "Runs", match: (p: string) => p.startsWith("/runs") || p.startsWith("/keys") },
  { href: "/dead-letters", label: "Dead letters", match: (p: string) => p.startsWith("/dead-letters") },
  { href: "/monitoring", label: "Monitoring", match: (p: string) => p.startsWith("/monitoring") },
  { href: "/event-types", label: "Event types", match: (p: string) => p.startsWith("/event-types") },
  { href: "/channels", label: "Channels", match: (p: string) => p.startsWith("/channels") },
  { href: "/settings", label: "Settings", match: (p: string) => p.startsWith("/settings") },
];

/** The open dead-letter count next to "Dead letters": people should not have to look to know. */
function OpenDeadLetters() {
  const trpc = useTRPC();
  const count = useQuery({ ...trpc.deadLetters.openCount.queryOptions(), refetchInterval: 10_000 });
  if (!count.data) return null;
  return (
    <span className="badge badge-danger" data-testid="dead-letter-count" style={{ marginLeft: 6 }} aria-label={`${count.data} open`}>
      {count.data > 999 ? "999+" : count.data}
    </span>
  );
}

export function TopBar() {
  const pathname = usePathname() ?? "/";
  const user = useCurrentUser();
  const [signingOut, setSigningOut] = useState(false);
  return (
    <header className="topbar">
      <Link href="/" className="brand" aria-label="Syncline home">
        <img src="/favicon.svg" alt="" width={20} height={20} /> Syncline
      </Link>
      {user && (
        <>
          <nav aria-label="Main">
            {links.map((link) => (
              <Link key={link.href} href={link.href} aria-current={link.match(pathname) ? "page" : undefined}>
                {link.label}
                {link.href === "/dead-letters" && <OpenDeadLetters />}
              </Link>
            ))}
          </nav>
          <KeySearch />
          <div className="topbar-user" data-testid="signed-in-user">
            <span>
              <span className="topbar-user-email">{user.email}</span> <span className="badge" aria-label={`Role: ${user.role}`}>{user.role}</span>
            </span>
            <button
              type="button"
              className="btn btn-sm topbar-sign-out"
              disabled={signingOut}
              onClick={async () => {
                setSigningOut(true);
                // Better Auth's client is loaded on this click, not with every page
                // (docs/decisions/0033-editor-route-javascript.md).
                const { authClient } = await import("./auth-client");
                await authClient.signOut();
                window.location.assign("/sign-in");
              }}
            >
              {signingOut ? "Signing out…" : "Sign out"}
            </button>
          </div>
        </>
      )}
    </header>
  );
}
