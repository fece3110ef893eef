import type { ReactNode } from "react";

/** The frame of the pages used before sign-in: a centred card with the product name. */
export function AuthCard({ title, intro, children }: { title: string; intro?: ReactNode; children: ReactNode }) {
  return (
    <div className="page" style={{ display: "grid", placeItems: "center", flex: 1 }}>
      <section className="card" style={{ width: "100%", maxWidth: 420 }} aria-labelledby="auth-heading">
        <div className="card-body" style={{ display: "flex", flexDirection: "column", gap: 16 }}>
          <div>
            <h1 id="auth-heading" style={{ margin: 0 }}>{title}</h1>
            {intro && <p className="muted" style={{ margin: "6px 0 0" }}>{intro}</p>}
          </div>
          {children}
        </div>
      </section>
    </div>
  );
}
