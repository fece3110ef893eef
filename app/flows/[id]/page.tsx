import type { Metadata } from "next";
import { FlowEditor } from "./editor/flow-editor";

export const metadata: Metadata = { title: "Flow editor · Syncline" };

export default async function FlowEditorPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  return <FlowEditor flowId={id} />;
}
