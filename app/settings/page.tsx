import type { Metadata } from "next";
import Link from "next/link";
import { currentUser } from "@/server/auth/current-user";
import { hasRole } from "@/server/auth/roles";
import { AlertsSection } from "./alerts-section";
import { ApiKeysSection } from "./api-keys-section";
import { CredentialsSection } from "./credentials-section";
import { UsersSection } from "./users-section";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Settings" };

export default async function SettingsPage() {
  const user = await currentUser();
  const admin = hasRole(user?.role, "admin");
  return (
    <div className="page">
      <div className="page-inner">
        <div className="page-header">
          <div>
            <h1>Settings</h1>
            <p className="muted" style={{ margin: "4px 0 0" }}>Users and their roles, API keys for the automation API (<code>/api/openapi.json</code> describes it), the credentials that flows and channels use, and where alerts are sent.</p>
          </div>
          <span className="spacer" />
          <Link className="btn" href="/settings/sources">Sources</Link>
          {admin && <Link className="btn" href="/settings/audit">Audit log</Link>}
        </div>
        {admin ? (
          <>
            <UsersSection currentUserId={user!.id} currentRole={user!.role} />
            <ApiKeysSection />
            <CredentialsSection />
            <AlertsSection />
          </>
        ) : (
          <div className="alert" role="status" data-testid="settings-admin-only">
            Users, API keys and credentials are managed by admins. You are signed in as <strong>{user?.role}</strong>; ask an admin or the owner if you need access.
          </div>
        )}
      </div>
    </div>
  );
}
