// The domain's refusals, in words a user understands. Domain and read-model modules throw these;
// only the inbound layers (the HTTP API's route wrapper and the tRPC procedures) turn them into
// status codes, so nothing below them imports the HTTP layer.

/** The thing asked for does not exist (HTTP 404). */
export class NotFoundError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "NotFoundError";
  }
}

/** The request is valid but clashes with the current state (HTTP 409). */
export class ConflictError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConflictError";
  }
}

/** The input is not valid; `issues` say which field and why (HTTP 400). */
export class InvalidInputError extends Error {
  constructor(
    message: string,
    readonly issues: { path: string; message: string }[] = [],
  ) {
    super(message);
    this.name = "InvalidInputError";
  }
}
