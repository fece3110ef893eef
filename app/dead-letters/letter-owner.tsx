import Link from "next/link";

// What a dead letter belongs to: its flow (name and version), or — for a message a source could
// not turn into an event (docs/decisions/0019) — the source, its kind, and a link to Settings → Sources.

interface Owner {
  flowId: string;
  flowName: string | null;
  flowVersion?: number;
  source: { id: string; name: string; kindLabel: string } | null;
}

export function LetterOwner({ letter, withVersion = true }: { letter: Owner; withVersion?: boolean }) {
  if (letter.source) {
    return (
      <span data-testid="letter-source">
        <Link href={`/settings/sources#source-${letter.source.id}`}>{letter.source.name}</Link> <span className="muted small">{letter.source.kindLabel} source</span>
      </span>
    );
  }
  return <>{letter.flowName ?? letter.flowId}{withVersion && letter.flowVersion !== undefined ? ` · v${letter.flowVersion}` : ""}</>;
}
