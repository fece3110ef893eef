import type { LucideIcon } from "lucide-react";
import type { ReactNode } from "react";

/** The body of the 404 and error pages: an icon, a heading, what happened and where to go from here. */
export function StatusPage({ icon: Icon, code, title, children, actions }: { icon: LucideIcon; code?: string; title: string; children: ReactNode; actions: ReactNode }) {
  return (
    <div className="page">
      <div className="page-inner status-page">
        <div className="card status-page-card">
          <div className="status-page-icon" aria-hidden>
            <Icon size={32} strokeWidth={1.5} />
          </div>
          {code && <p className="status-page-code">{code}</p>}
          <h1>{title}</h1>
          <div className="muted status-page-text">{children}</div>
          <div className="status-page-actions">{actions}</div>
        </div>
      </div>
    </div>
  );
}
