// The errors domain modules (flows, channels, credentials, events, history) throw. They carry no
// status codes: server/http-api/api-response.ts maps them to HTTP and the domainErrors middleware in
// server/api/trpc.ts maps them to tRPC, each in one place.

/** The thing asked for does not exist (HTTP 404, tRPC NOT_FOUND). */
export class NotFoundError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "NotFoundError";
  }
}

/** The request clashes with the current state, e.g. a stale revision or a taken name (HTTP 409, tRPC CONFLICT). */
export class ConflictError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ConflictError";
  }
}

/**
 * Input the domain refuses, with one message per field (HTTP 400, tRPC BAD_REQUEST).
 * `path` is dot-separated (`settings.url`, `nodes.n2.config.url`); empty for the input as a whole.
 */
export class InvalidInputError extends Error {
  constructor(message: string, readonly issues: { path: string; message: string }[] = [], options?: ErrorOptions) {
    super(message, options);
    this.name = "InvalidInputError";
  }
}

/**
 * Well-formed input that the current state refuses, e.g. publishing a draft that has problems
 * (HTTP 422, tRPC PRECONDITION_FAILED): what must change is the stored thing, not this request.
 */
export class UnprocessableError extends InvalidInputError {
  constructor(message: string, issues: { path: string; message: string }[] = [], options?: ErrorOptions) {
    super(message, issues, options);
    this.name = "UnprocessableError";
  }
}
