import type { AnyNodeDefinition } from "../nodes/define-node";
import { orderPlacedTrigger, priceChangedTrigger, productCreatedTrigger, stockChangedTrigger } from "../nodes/event-triggers/definition";
import { conditionNode } from "../nodes/condition/definition";
import { httpRequestNode } from "../nodes/http-request/definition";
import { resizeImageNode } from "../nodes/resize-image/definition";
import { syncChannelNode } from "../nodes/sync-channel/definition";
import { transformNode } from "../nodes/transform/definition";
import { translateNode } from "../nodes/translate/definition";
import { FLOW_SCHEMA_VERSION, type FlowDocument, type FlowEdge, type FlowNode } from "./flow-document";

// The four examples of the seed document as ready-made flows (see the README). Browser-safe.
//
// They validate with no problems: channels and credentials are referenced by readable ids
// ("webshop", "amazon", "deepl") that the user sees on each node and can change. Whether those
// exist is for the server to say where channels and credentials are stored; validateFlow only
// demands that a reference is filled in. Node ids are JSONata identifiers so that later steps can
// write `steps.discount.price` without backticks.

export interface FlowTemplate {
  id: string;
  name: string;
  description: string;
  document: FlowDocument;
}

const COLUMN_WIDTH = 320;
const ROW_HEIGHT = 140;

interface Step {
  id: string;
  definition: AnyNodeDefinition;
  config?: Record<string, unknown>;
  /** Ids of the steps this one follows; `id:handle` to start from a branch. */
  after?: string[];
}

/**
 * Builds a document from steps listed column by column; positions come from each step's depth,
 * rows are centred on the trigger so branches fan out evenly to the right.
 */
function flow(name: string, steps: Step[]): FlowDocument {
  const depth = new Map<string, number>();
  for (const step of steps) {
    const parents = (step.after ?? []).map((ref) => depth.get(ref.split(":")[0]!) ?? 0);
    depth.set(step.id, parents.length === 0 ? 0 : Math.max(...parents) + 1);
  }
  const columns = new Map<number, string[]>();
  for (const step of steps) columns.set(depth.get(step.id)!, [...(columns.get(depth.get(step.id)!) ?? []), step.id]);

  const nodes: FlowNode[] = steps.map((step) => {
    const column = columns.get(depth.get(step.id)!)!;
    const row = column.indexOf(step.id) - (column.length - 1) / 2;
    return {
      id: step.id,
      kind: step.definition.kind,
      version: step.definition.version,
      // Stored with every default spelled out, like a node the editor creates.
      config: step.definition.config.parse(step.config ?? {}) as Record<string, unknown>,
      position: { x: depth.get(step.id)! * COLUMN_WIDTH, y: Math.round(row * ROW_HEIGHT) },
    };
  });
  const edges: FlowEdge[] = steps.flatMap((step) =>
    (step.after ?? []).map((ref) => {
      const [source, sourceHandle] = ref.split(":") as [string, string | undefined];
      // Same id scheme as the editor's edgeIdFor(), so an edited template keeps consistent ids.
      const id = `${source}${sourceHandle ? `:${sourceHandle}` : ""}->${step.id}`;
      return sourceHandle ? { id, source, target: step.id, sourceHandle } : { id, source, target: step.id };
    }),
  );
  return { schemaVersion: FLOW_SCHEMA_VERSION, name, nodes, edges, settings: { orderingPolicy: "hold" } };
}

const FIVE_CHANNELS = ["webshop", "amazon", "bol_com", "zalando", "google_shopping"] as const;

const outOfStockEverywhere: FlowTemplate = {
  id: "out-of-stock-everywhere",
  name: "Out of stock on every channel",
  description: "When a warehouse reports zero stock, mark the product out of stock on five sales channels at once.",
  document: flow(
    "Out of stock on every channel",
    [
      { id: "stock_changed", definition: stockChangedTrigger },
      {
        id: "sold_out",
        definition: conditionNode,
        config: { expression: "event.data.quantity <= 0" },
        after: ["stock_changed"],
      },
      ...FIVE_CHANNELS.map((channel) => ({
        id: channel,
        definition: syncChannelNode,
        config: { channelId: channel, operation: "mark-out-of-stock" },
        after: ["sold_out:true"],
      })),
    ],
  ),
};

const translateNewProducts: FlowTemplate = {
  id: "translate-new-products",
  name: "Translate and prepare new products",
  description: "When a new SKU is created, translate its texts into German, French and Dutch and make web-sized images.",
  document: flow("Translate and prepare new products", [
    { id: "product_created", definition: productCreatedTrigger },
    {
      id: "translate",
      definition: translateNode,
      config: { credentialId: "deepl", provider: "deepl", targetLanguages: ["de", "fr", "nl"], fields: ["name", "description", "attributes"] },
      after: ["product_created"],
    },
    {
      id: "resize_images",
      definition: resizeImageNode,
      config: { widths: [400, 800, 1600], fit: "inside", format: "webp", quality: 80 },
      after: ["product_created"],
    },
  ]),
};

const orderFulfilment: FlowTemplate = {
  id: "order-fulfilment",
  name: "Order to CRM, shipping and inventory",
  description: "When a customer places an order, update the CRM, notify the shipping provider and lower inventory, side by side.",
  document: flow("Order to CRM, shipping and inventory", [
    { id: "order_placed", definition: orderPlacedTrigger },
    {
      id: "update_crm",
      definition: httpRequestNode,
      config: {
        method: "POST",
        url: "https://crm.example.com/api/orders",
        jsonBody: '{\n  "orderId": event.data.orderId,\n  "customer": event.data.customer,\n  "currency": event.data.currency,\n  "total": $sum(event.data.lines.(quantity * price))\n}',
      },
      after: ["order_placed"],
    },
    {
      id: "notify_shipping",
      definition: httpRequestNode,
      config: {
        method: "POST",
        url: "https://shipping.example.com/api/shipments",
        jsonBody: '{\n  "reference": event.data.orderId,\n  "recipient": event.data.customer.name,\n  "items": [event.data.lines.{"sku": sku, "quantity": quantity}]\n}',
      },
      after: ["order_placed"],
    },
    {
      id: "update_inventory",
      definition: httpRequestNode,
      config: {
        method: "POST",
        url: "https://erp.example.com/api/inventory/adjustments",
        jsonBody: '{\n  "reference": event.data.orderId,\n  "adjustments": [event.data.lines.{"sku": sku, "delta": -quantity}]\n}',
      },
      after: ["order_placed"],
    },
  ]),
};

const PRICE_CHANNELS = ["webshop", "amazon", "bol_com", "zalando"] as const;

const discountsEverywhere: FlowTemplate = {
  id: "discounts-everywhere",
  name: "Price change to every store",
  description: "When the ERP changes a price, work out the discount once and update the price on every connected store.",
  document: flow("Price change to every store", [
    { id: "price_changed", definition: priceChangedTrigger },
    {
      id: "discount",
      definition: transformNode,
      config: {
        fields:
          '(\n  $old := event.data.previousPrice;\n  $new := event.data.price;\n  {\n    "price": $new,\n    "compareAtPrice": $old > $new ? $old : null,\n    "discountPercent": $old > $new ? $round((1 - $new / $old) * 100) : 0\n  }\n)',
      },
      after: ["price_changed"],
    },
    ...PRICE_CHANNELS.map((channel) => ({
      id: channel,
      definition: syncChannelNode,
      config: {
        channelId: channel,
        operation: "update-price",
        mapping: {
          price: "steps.discount.price",
          compareAtPrice: "steps.discount.compareAtPrice",
          currency: "event.data.currency",
        },
      },
      after: ["discount"],
    })),
  ]),
};

export const flowTemplates: readonly FlowTemplate[] = [outOfStockEverywhere, translateNewProducts, orderFulfilment, discountsEverywhere];

export function getFlowTemplate(id: string): FlowTemplate | undefined {
  return flowTemplates.find((template) => template.id === id);
}
