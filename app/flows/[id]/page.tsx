import type { Metadata } from "next";
import { db } from "@/server/db/client";
import { FlowEditor } from "./editor/flow-editor";

/** The tab shows the flow's name ("Stock sync · Syncline"), so several open flows are told apart. */
export async function generateMetadata({ params }: { params: Promise<{ id: string }> }): Promise<Metadata> {
  const { id } = await params;
  const flow = await db().flow.findUnique({ where: { id }, select: { name: true } }).catch(() => null);
  return { title: flow?.name ?? "Flow not found" };
}

export default async function FlowEditorPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  return <FlowEditor flowId={id} />;
}
