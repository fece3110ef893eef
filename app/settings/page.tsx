import { ApiKeysSection } from "./api-keys-section";
import { CredentialsSection } from "./credentials-section";

export default function SettingsPage() {
  return (
    <div className="page">
      <div className="page-inner">
        <div>
          <h1>Settings</h1>
          <p className="muted" style={{ margin: "4px 0 0" }}>API keys for the automation API (<code>/api/openapi.json</code> describes it).</p>
        </div>
        <ApiKeysSection />
        <CredentialsSection />
      </div>
    </div>
  );
}
