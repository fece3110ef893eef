import { FlowsPage } from "./flows/flows-page";

export default function Home() {
  return <FlowsPage />;
}
