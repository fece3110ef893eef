import {
  AlarmClock,
  Bot,
  Braces,
  CircleHelp,
  Globe,
  Hourglass,
  Image,
  Languages,
  Package,
  PackagePlus,
  Pencil,
  ShoppingCart,
  Signpost,
  Sparkles,
  Split,
  Store,
  Tag,
  Trash2,
  TriangleAlert,
  Waypoints,
  Webhook,
  Rabbit,
  CloudUpload,
  Network,
  type LucideIcon,
} from "lucide-react";
import type { NodeIconName } from "@/server/nodes/node-icons";

// The drawn icon for each name a node type declares. A Record over the name union: a new name
// in server/nodes/node-icons.ts does not typecheck until it is drawn here.
const nodeIcons: Record<NodeIconName, LucideIcon> = {
  split: Split,
  hourglass: Hourglass,
  "package-plus": PackagePlus,
  pencil: Pencil,
  trash: Trash2,
  tag: Tag,
  package: Package,
  "shopping-cart": ShoppingCart,
  bot: Bot,
  globe: Globe,
  image: Image,
  signpost: Signpost,
  store: Store,
  braces: Braces,
  languages: Languages,
  sparkles: Sparkles,
  "alarm-clock": AlarmClock,
  webhook: Webhook,
  rabbit: Rabbit,
  "cloud-upload": CloudUpload,
  network: Network,
  waypoints: Waypoints,
};

/** A node type's icon; a step of an unknown kind shows a warning sign, a missing definition a question mark. */
export function NodeIcon({ name, size = 18, unknown = false }: { name: NodeIconName | undefined; size?: number; unknown?: boolean }) {
  const Icon = name ? nodeIcons[name] : unknown ? TriangleAlert : CircleHelp;
  return <Icon size={size} strokeWidth={1.75} aria-hidden focusable={false} />;
}
