import type { Metadata } from "next";
import { FlowsPage } from "./flows/flows-page";

export const metadata: Metadata = { title: "Flows" };

export default function Home() {
  return <FlowsPage />;
}
