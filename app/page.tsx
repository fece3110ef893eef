import type { Metadata } from "next";
import { FlowsPage } from "./flows/flows-page";

// The root segment is the layout's own, where its title template does not apply.
export const metadata: Metadata = { title: "Flows · Syncline" };

export default function Home() {
  return <FlowsPage />;
}
