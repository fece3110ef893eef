import * as z from "zod";
import { expressionField } from "../config-fields";
import { defineNode } from "../define-node";
import { retryPolicyField } from "../retry-policy";

export const resizeImageNode = defineNode({
  kind: "action:resize-image",
  version: 1,
  label: "Resize images",
  description: "Makes web-sized copies of product images in the sizes and format channels want.",
  icon: "image",
  category: "Product content",
  config: z.object({
    images: expressionField("event.data.images", {
      title: "Images",
      description: "A JSONata expression giving the image URL or list of URLs to resize.",
    }),
    widths: z
      .array(z.number().int().min(16).max(8192))
      .min(1, "choose at least one width")
      .max(12)
      .default([400, 800, 1600])
      .meta({ title: "Widths (px)", description: "One copy per width; heights follow the aspect ratio unless the fit crops." }),
    fit: z
      .enum(["cover", "contain", "inside"])
      .default("inside")
      .meta({
        title: "Fit",
        description: "inside: shrink to the width, keep the whole image; contain: pad to a square; cover: crop to a square.",
      }),
    format: z.enum(["webp", "avif", "jpeg", "png"]).default("webp").meta({ title: "Format", description: "File format of the copies." }),
    quality: z.number().int().min(1).max(100).default(80).meta({ title: "Quality", description: "1 (smallest file) to 100 (best image)." }),
    retry: retryPolicyField(),
  }),
  output: z.object({
    images: z
      .array(
        z.object({
          source: z.string().meta({ description: "The original image URL" }),
          url: z.string().meta({ description: "Where the resized copy is stored" }),
          width: z.number().int(),
          height: z.number().int(),
          format: z.string(),
          bytes: z.number().int(),
        }),
      )
      .meta({ description: "One entry per image and width" }),
  }),
});
