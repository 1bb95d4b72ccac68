/** A bearer token that cannot be trusted; the message is safe to show the client. */
export class AuthenticationError extends Error {
  readonly code = 'UNAUTHENTICATED';
  constructor(message: string) {
    super(message);
    this.name = 'AuthenticationError';
  }
}
