import "server-only";
import * as z from "zod";
import { env } from "@/server/env";
import {
  ingestEvents,
  IngestTooLargeError,
  IngestUnavailableError,
  IngestValidationError,
  type IngestOptions,
  type IngestResult,
} from "@/server/events/ingest";
import { ApiError, jsonResponse, readJsonBody } from "./api-response";
import type { HttpRequest } from "./http-request";

// POST /api/events over HTTP: content types, batch shape and body limits; the events themselves
// are validated and published by server/events/ingest.ts.

const SINGLE_TYPES = new Set(["", "application/json", "application/cloudevents+json"]);
const BATCH_TYPE = "application/cloudevents-batch+json";

export interface EventsRequestOptions extends Omit<IngestOptions, "traceparent" | "indexIssues"> {
  /** Default SYNCLINE_MAX_EVENT_BYTES. */
  maxBytes?: number;
  /** Default SYNCLINE_MAX_BATCH_EVENTS. */
  maxBatchEvents?: number;
  /** Called with the ordering keys of an accepted request, before the 202 is sent (serverless drain). */
  onAccepted?: (orderingKeys: string[]) => void;
}

/**
 * The body of POST /api/events after authentication: one event (`application/cloudevents+json`
 * or `application/json`) or a batch (`application/cloudevents-batch+json`), answered 202 with a
 * result per event. Throws ApiError (400, 413, 415, 503) for apiRoute to turn into a response.
 */
export async function handleEventsRequest(request: HttpRequest, options: EventsRequestOptions = {}): Promise<Response> {
  return jsonResponse({ results: await ingestEventsRequest(request, options) }, 202);
}

/** handleEventsRequest before the Response: the results of the 202 (the ingest fast path writes them itself). */
export async function ingestEventsRequest(request: HttpRequest, options: EventsRequestOptions = {}): Promise<IngestResult[]> {
  const mediaType = (request.headers.get("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
  const batch = mediaType === BATCH_TYPE;
  if (!batch && !SINGLE_TYPES.has(mediaType)) {
    throw new ApiError(
      415,
      `Unsupported Content-Type "${mediaType}". Send one event as application/cloudevents+json (or application/json), ` +
        `or a batch as ${BATCH_TYPE}. CloudEvents binary mode is not supported.`,
    );
  }
  const body = await readJsonBody(request, z.unknown(), options.maxBytes ?? env().SYNCLINE_MAX_EVENT_BYTES);
  let events: unknown[];
  if (batch) {
    if (!Array.isArray(body)) throw new ApiError(400, "A batch is a JSON array of events.", [{ path: "", message: "expected an array of events" }]);
    if (body.length === 0) throw new ApiError(400, "The batch is empty.", [{ path: "", message: "a batch needs at least one event" }]);
    const maxEvents = options.maxBatchEvents ?? env().SYNCLINE_MAX_BATCH_EVENTS;
    if (body.length > maxEvents) {
      throw new ApiError(413, `The batch has ${body.length} events; the limit is ${maxEvents} per request (SYNCLINE_MAX_BATCH_EVENTS).`, [
        { path: "", message: `at most ${maxEvents} events per batch` },
      ]);
    }
    events = body;
  } else {
    if (Array.isArray(body)) {
      throw new ApiError(400, `A JSON array is a batch: send it with Content-Type: ${BATCH_TYPE}.`, [{ path: "", message: "expected one event (an object)" }]);
    }
    events = [body];
  }
  try {
    const { onAccepted, ...ingestOptions } = options;
    const results = await ingestEvents(events, {
      ...ingestOptions,
      traceparent: request.headers.get("traceparent"),
      tracestate: request.headers.get("tracestate"),
      indexIssues: batch,
      // readJsonBody has scanned the whole body for NUL, lone surrogates and deep nesting.
      inputChecked: true,
    });
    // Every event passed validation, so each has a string subject (its ordering key).
    onAccepted?.(events.map((event) => (event as { subject: string }).subject));
    return results;
  } catch (error) {
    if (error instanceof IngestValidationError) throw new ApiError(400, error.message, error.issues);
    if (error instanceof IngestTooLargeError) throw new ApiError(413, error.message, error.issues);
    if (error instanceof IngestUnavailableError) {
      throw new ApiError(503, error.message, undefined, { "Retry-After": String(error.retryAfterSeconds) });
    }
    throw error;
  }
}

export const ingestResponseSchema = z.object({
  results: z.array(
    z.object({
      id: z.string(),
      status: z.enum(["accepted", "duplicate"]).meta({ description: "duplicate: an event with this id was stored within the duplicate window" }),
    }),
  ),
});
