import { redirect } from "next/navigation";

// /dead-letters/{id}: the link an alert carries; the inbox opens that letter's detail.
export default async function DeadLetterLink({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  redirect(`/dead-letters?open=${encodeURIComponent(id)}`);
}
