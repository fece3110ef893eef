// A node type names its icon; the editor maps the name to a drawn icon (app/components/node-icon.tsx).
// Names, not components, so the runtime imports no React and a machine without an emoji font
// still shows every node's icon.

export const nodeIconNames = [
  "split",
  "hourglass",
  "package-plus",
  "pencil",
  "trash",
  "tag",
  "package",
  "shopping-cart",
  "bot",
  "globe",
  "image",
  "signpost",
  "store",
  "braces",
  "languages",
  "sparkles",
  "alarm-clock",
  "webhook",
  "rabbit",
  "cloud-upload",
  "network",
  "waypoints",
] as const;

export type NodeIconName = (typeof nodeIconNames)[number];
