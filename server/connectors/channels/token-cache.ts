import "server-only";

// Access tokens of OAuth-style platforms (bol.com client credentials, Amazon LWA), cached per
// credential so a burst of updates does not fetch one token each. A token is used until shortly
// before it expires; a 401 with a cached token invalidates it and the call is retried once.

export interface AccessToken {
  value: string;
  /** Epoch ms. */
  expiresAt: number;
}

/** Tokens are refreshed this long before they expire, so none expires on the way. */
const EXPIRY_MARGIN_MS = 60_000;

export class TokenCache {
  private readonly tokens = new Map<string, AccessToken>();
  private readonly pending = new Map<string, Promise<AccessToken>>();

  constructor(private readonly now: () => number = Date.now) {}

  /** A valid cached token, or a new one from `fetchToken` (concurrent callers share one fetch). */
  async get(key: string, fetchToken: () => Promise<AccessToken>): Promise<AccessToken> {
    const cached = this.tokens.get(key);
    if (cached && cached.expiresAt - EXPIRY_MARGIN_MS > this.now()) return cached;
    let pending = this.pending.get(key);
    if (!pending) {
      pending = fetchToken().then(
        (token) => {
          this.tokens.set(key, token);
          this.pending.delete(key);
          return token;
        },
        (error: unknown) => {
          this.pending.delete(key);
          throw error;
        },
      );
      this.pending.set(key, pending);
    }
    return pending;
  }

  /** Forgets `token` (the platform refused it); a newer token fetched meanwhile is kept. */
  invalidate(key: string, token: AccessToken): void {
    if (this.tokens.get(key)?.value === token.value) this.tokens.delete(key);
  }

  clear(): void {
    this.tokens.clear();
  }
}

/** Shared by the connectors of one worker. */
export const sharedTokenCache = new TokenCache();
